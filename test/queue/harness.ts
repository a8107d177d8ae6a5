import type { JsonObject } from '../../src/storage/index.ts';
import type { JobRunContext, JobRunner } from '../../src/queue/index.ts';

/** Polls `condition` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitUntil<T>(condition: () => T | undefined | false, timeoutMs = 2000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Gate {
  resolve(result: JsonObject): void;
  reject(error: unknown): void;
}

/**
 * A fake JobRunner whose jobs run until the test finishes or fails them. By default a runner
 * rejects with the abort reason as soon as its signal fires, as a well-behaved trainer would.
 */
export class RunnerHarness {
  readonly started: number[] = [];
  readonly contexts = new Map<number, JobRunContext>();
  readonly #gates = new Map<number, Gate>();
  readonly #onStart: ((context: JobRunContext) => void) | undefined;
  readonly #honourAbort: boolean;

  constructor(options: { onStart?: (context: JobRunContext) => void; honourAbort?: boolean } = {}) {
    this.#onStart = options.onStart;
    this.#honourAbort = options.honourAbort ?? true;
  }

  readonly runner: JobRunner = (context) => {
    this.started.push(context.job.id);
    this.contexts.set(context.job.id, context);
    const promise = new Promise<JsonObject>((resolve, reject) => {
      this.#gates.set(context.job.id, { resolve, reject });
      if (this.#honourAbort) context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
    });
    this.#onStart?.(context);
    return promise;
  };

  get running(): number[] {
    return [...this.#gates.keys()];
  }

  finish(jobId: number, result: JsonObject = { ok: true }): void {
    this.#gate(jobId).resolve(result);
    this.#gates.delete(jobId);
  }

  fail(jobId: number, error: unknown): void {
    this.#gate(jobId).reject(error);
    this.#gates.delete(jobId);
  }

  waitForStart(jobId: number, timeoutMs = 2000): Promise<JobRunContext> {
    return waitUntil(() => this.contexts.get(jobId), timeoutMs, `job ${jobId} to start`);
  }

  #gate(jobId: number): Gate {
    const gate = this.#gates.get(jobId);
    if (!gate) throw new Error(`job ${jobId} is not running in the harness (running: ${this.running.join(', ') || 'none'})`);
    return gate;
  }
}
