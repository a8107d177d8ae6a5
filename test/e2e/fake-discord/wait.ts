// Every wait in a test is bounded: on timeout the error says what was awaited and, through
// `describe`, what happened instead.

export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, detail?: string) {
    super(`Timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail}` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}

/** Polls `probe` until it returns something other than undefined, null or false. */
export async function waitUntil<T>(
  probe: () => T | undefined | null | false,
  options: { readonly timeoutMs?: number; readonly what?: string; readonly describe?: () => string; readonly intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.what ?? 'a condition', timeoutMs, options.describe?.());
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5));
  }
}
