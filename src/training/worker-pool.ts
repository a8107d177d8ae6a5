import type { Worker } from 'node:worker_threads';

// Warm worker threads, kept between tasks. Starting a training worker costs more than a fast-engine
// job itself — importing tf.js, starting its wasm backend and compiling the kernels take ~0.5 s of
// CPU — so a worker that finished a task cleanly waits here for the next one instead of exiting.
// Only workers that said they can take another task (worker.ts's result carries `reusable`) and
// did not leak tensors come back; anything that crashed, was cancelled or timed out is terminated,
// so one bad task never poisons the next. Idle workers are unref'd (they never keep the process
// alive) and end after IDLE_MS; closeWorkerPool() ends them at shutdown.

/** How long an idle worker is kept. */
export const IDLE_MS = 60_000;
/** Idle workers kept per kind (script and heap limit). */
export const MAX_IDLE_PER_KIND = 4;

interface Idle {
  readonly worker: Worker;
  readonly timer: NodeJS.Timeout;
  readonly onExit: () => void;
}

const idle = new Map<string, Idle[]>();

/** Pool key: workers are interchangeable only with the same script and resource limits. */
export function poolKey(url: URL, maxOldGenerationSizeMb: number): string {
  return `${url.href}#${maxOldGenerationSizeMb}`;
}

/** A warm worker of this kind, taken out of the pool and ref'd again, or null. */
export function takeIdleWorker(key: string): Worker | null {
  const list = idle.get(key);
  const entry = list?.pop();
  if (!entry) return null;
  clearTimeout(entry.timer);
  entry.worker.off('exit', entry.onExit);
  entry.worker.off('error', entry.onExit);
  entry.worker.ref();
  return entry.worker;
}

/** Puts a worker that finished cleanly back, or terminates it when the pool is full. */
export function returnWorker(key: string, worker: Worker): void {
  const list = idle.get(key) ?? [];
  if (list.length >= MAX_IDLE_PER_KIND) {
    void worker.terminate().catch(() => {});
    return;
  }
  const remove = (): void => {
    const current = idle.get(key);
    const at = current?.findIndex((e) => e.worker === worker) ?? -1;
    if (current && at >= 0) {
      clearTimeout(current[at]!.timer);
      current.splice(at, 1);
    }
  };
  // An idle worker that dies (out of memory, killed) simply leaves the pool.
  const onExit = (): void => remove();
  const timer = setTimeout(() => {
    remove();
    void worker.terminate().catch(() => {});
  }, IDLE_MS);
  timer.unref();
  worker.on('exit', onExit);
  worker.on('error', onExit);
  worker.unref();
  list.push({ worker, timer, onExit });
  idle.set(key, list);
}

/** Idle workers right now (tests, diagnostics). */
export function idleWorkerCount(): number {
  let n = 0;
  for (const list of idle.values()) n += list.length;
  return n;
}

/** Ends every idle worker (bot shutdown). Busy workers end with their task. */
export async function closeWorkerPool(): Promise<void> {
  const all = [...idle.values()].flat();
  idle.clear();
  await Promise.all(
    all.map((entry) => {
      clearTimeout(entry.timer);
      entry.worker.off('exit', entry.onExit);
      entry.worker.off('error', entry.onExit);
      return entry.worker.terminate().catch(() => 0);
    }),
  );
}
