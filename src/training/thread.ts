import { Worker } from 'node:worker_threads';
import type { CompleteOptions, CompletionResult, EpochReport, LearnResult } from '../learning/engine.ts';
import type { AudioFile, AudioFormat } from '../audio/index.ts';
import { AudioRequestError } from '../audio/errors.ts';
import type { Melody, MelodyEvent } from '../music/melody.ts';
import type { TaskMessage, TensorCount, WorkerLearnOptions, WorkerReply, WorkerRequest } from './protocol.ts';
import { poolKey, returnWorker, takeIdleWorker } from './worker-pool.ts';

// Runs one learning or completion task in a worker thread (worker.ts) and turns its messages back
// into a promise. The main thread only relays messages, so it never blocks on tf.js. Threads that
// finish a task cleanly are kept warm for the next one (worker-pool.ts).
//
// - Cancel: when `signal` aborts, the worker is asked to stop (message + shared flag); it stops
//   after the current batch (its checkpoints stay on disk) and the promise rejects with the
//   signal's reason. A worker that has not stopped within `abortGraceMs` is terminated.
// - A worker that dies (uncaught error, out of memory, process.exit) rejects with a
//   WorkerCrashError whose message says so plainly; an error the task itself threw (bad window,
//   note outside the vocabulary) rejects with a WorkerTaskError carrying the original name.

export const DEFAULT_WORKER_URL = new URL('./worker.ts', import.meta.url);

export class WorkerCrashError extends Error {
  override name = 'WorkerCrashError';
}

/** An error thrown by the task inside the worker; `originalName` is its class name there. */
export class WorkerTaskError extends Error {
  override name = 'WorkerTaskError';
  readonly originalName: string;

  constructor(originalName: string, message: string) {
    super(message);
    this.originalName = originalName;
  }
}

export interface ThreadOptions {
  readonly signal?: AbortSignal;
  /** Default: worker.ts beside this file. Tests point it at a misbehaving worker. */
  readonly workerUrl?: URL;
  /** How long a cancelled worker may take to stop before it is terminated. Default 5 s. */
  readonly abortGraceMs?: number;
  /** Terminate and reject when the task takes longer. Default: no limit. */
  readonly timeoutMs?: number;
  /** Heap cap of the worker (V8 old space); wasm memory is outside it. Default 1024 MB. */
  readonly maxOldGenerationSizeMb?: number;
}

export interface LearnInWorkerOptions extends ThreadOptions {
  readonly onEpoch?: (report: EpochReport) => void;
}

export interface ThreadOutcome<T> {
  readonly result: T;
  readonly tensors: TensorCount;
  /** The worker thread that ran the task (a reused worker keeps its id). */
  readonly threadId?: number;
}

export function learnInWorker(
  events: readonly MelodyEvent[],
  options: WorkerLearnOptions,
  thread: LearnInWorkerOptions = {},
): Promise<ThreadOutcome<LearnResult>> {
  return runTask<LearnResult>({ task: 'learn', events, options, abortFlag: new SharedArrayBuffer(4) }, thread, thread.onEpoch);
}

/**
 * A melody's sound file rendered in a worker thread (a warm one when idle), so that Tone.js's
 * offline rendering and the Opus/MP3 encoding never hold up the bot's event loop. A request the
 * member can fix (too long, bad tempo) rejects with the AudioRequestError the renderer threw.
 */
export async function renderAudioInWorker(melody: Melody, format: AudioFormat, name?: string, thread: ThreadOptions = {}): Promise<AudioFile> {
  try {
    const outcome = await runTask<AudioFile>({ task: 'sound', melody, format, ...(name === undefined ? {} : { name }), abortFlag: new SharedArrayBuffer(4) }, thread);
    return outcome.result;
  } catch (error) {
    if (error instanceof WorkerTaskError && error.originalName === 'AudioRequestError') throw new AudioRequestError(error.message);
    throw error;
  }
}

export function completeInWorker(dir: string, options: CompleteOptions, thread: ThreadOptions = {}): Promise<ThreadOutcome<CompletionResult>> {
  return runTask<CompletionResult>({ task: 'complete', dir, options, abortFlag: new SharedArrayBuffer(4) }, thread);
}

function runTask<T>(request: WorkerRequest, options: ThreadOptions, onEpoch?: (report: EpochReport) => void): Promise<ThreadOutcome<T>> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));

  return new Promise<ThreadOutcome<T>>((resolve, reject) => {
    const url = options.workerUrl ?? DEFAULT_WORKER_URL;
    const heapMb = options.maxOldGenerationSizeMb ?? 1024;
    const key = poolKey(url, heapMb);
    // A warm worker when one is idle (the task goes as a message), else a new thread (as workerData).
    const idle = takeIdleWorker(key);
    idle?.postMessage({ type: 'task', request } satisfies TaskMessage);
    const thread = idle ?? new Worker(url, { workerData: request, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    const flag = new Int32Array(request.abortFlag);
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;

    const finish = (outcome: { ok: true; value: ThreadOutcome<T> } | { ok: false; error: unknown }, reuse = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(graceTimer);
      clearTimeout(timeoutTimer);
      signal?.removeEventListener('abort', onAbort);
      thread.off('message', onMessage);
      thread.off('error', onError);
      thread.off('messageerror', onMessageError);
      thread.off('exit', onExit);
      // The task is over either way: a clean worker waits for the next task, any other is ended
      // (not waited for — it may still hold tf.js resources).
      if (reuse) returnWorker(key, thread);
      else void thread.terminate().catch(() => {});
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    };

    const onAbort = (): void => {
      Atomics.store(flag, 0, 1);
      try {
        thread.postMessage({ type: 'abort' });
      } catch {
        // The worker may already be gone; exit handling settles the promise.
      }
      graceTimer = setTimeout(() => finish({ ok: false, error: abortReason(signal) }), options.abortGraceMs ?? 5000);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    if (options.timeoutMs !== undefined) {
      timeoutTimer = setTimeout(
        () => finish({ ok: false, error: new WorkerCrashError(`The worker took longer than ${Math.round(options.timeoutMs! / 1000)} s and was stopped.`) }),
        options.timeoutMs,
      );
    }

    const onMessage = (message: WorkerReply): void => {
      if (settled) return;
      if (message.type === 'epoch') {
        try {
          onEpoch?.(message.report);
        } catch {
          // A progress listener's failure must not end the training.
        }
      } else if (message.type === 'result') {
        // A run cut short is not a result: the caller learns why it stopped from the signal.
        if (signal?.aborted) {
          finish({ ok: false, error: abortReason(signal) });
          return;
        }
        // Reused only when the worker says it can be and the task left no tensors behind.
        const clean = message.reusable === true && message.tensors.after <= message.tensors.before;
        finish({ ok: true, value: { result: message.result as T, tensors: message.tensors, ...(message.threadId === undefined ? {} : { threadId: message.threadId }) } }, clean);
      } else if (message.type === 'error') {
        finish({ ok: false, error: new WorkerTaskError(message.name, message.message) });
      }
    };
    const onError = (error: Error): void => {
      const detail = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory' : error.message;
      finish({ ok: false, error: new WorkerCrashError(`The training worker crashed: ${detail}`, { cause: error }) });
    };
    const onMessageError = (error: Error): void => {
      finish({ ok: false, error: new WorkerCrashError(`The training worker sent a message that could not be read: ${error.message}`) });
    };
    const onExit = (code: number): void => {
      if (settled) return;
      if (signal?.aborted) finish({ ok: false, error: abortReason(signal) });
      else finish({ ok: false, error: new WorkerCrashError(`The training worker stopped unexpectedly (exit code ${code}) before it had a result.`) });
    };
    thread.on('message', onMessage);
    thread.on('error', onError);
    thread.on('messageerror', onMessageError);
    thread.on('exit', onExit);
  });
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('The task was cancelled');
}
