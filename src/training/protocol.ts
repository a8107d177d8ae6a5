import type { CompleteOptions, CompletionResult, EpochReport, LearnResult } from '../learning/engine.ts';
import type { LearnOptions } from '../learning/engine.ts';
import type { AudioFile, AudioFormat } from '../audio/index.ts';
import type { Melody, MelodyEvent } from '../music/melody.ts';

// Messages between the main thread and a training worker (worker.ts). Everything is structured-
// clone safe: plain data only, no functions, no signals.

/** learnMelody's options minus what cannot cross a thread (signal and callback live in the worker). */
export type WorkerLearnOptions = Omit<LearnOptions, 'signal' | 'onEpoch'>;

interface RequestBase {
  /** SharedArrayBuffer of one Int32: set to 1 by the parent to stop the task. */
  readonly abortFlag: SharedArrayBuffer;
}

export interface LearnRequest extends RequestBase {
  readonly task: 'learn';
  readonly events: readonly MelodyEvent[];
  readonly options: WorkerLearnOptions;
}

export interface CompleteRequest extends RequestBase {
  readonly task: 'complete';
  /** A saved model directory. */
  readonly dir: string;
  readonly options: CompleteOptions;
}

/** A melody's sound file (Tone.js offline rendering and encoding, off the bot's main thread). */
export interface SoundRequest extends RequestBase {
  readonly task: 'sound';
  readonly melody: Melody;
  readonly format: AudioFormat;
  readonly name?: string;
}

export type WorkerRequest = LearnRequest | CompleteRequest | SoundRequest;

/** tf.memory().numTensors before and after the task, inside the worker. */
export interface TensorCount {
  readonly before: number;
  readonly after: number;
}

/** Sent when the task is over; `reusable`: the thread can take another task (worker-pool.ts). */
interface Finished {
  readonly reusable?: boolean;
}

export type WorkerReply =
  | { readonly type: 'epoch'; readonly report: EpochReport }
  | (Finished & { readonly type: 'result'; readonly task: 'learn'; readonly result: LearnResult; readonly tensors: TensorCount; readonly threadId?: number })
  | (Finished & { readonly type: 'result'; readonly task: 'complete'; readonly result: CompletionResult; readonly tensors: TensorCount; readonly threadId?: number })
  | (Finished & { readonly type: 'result'; readonly task: 'sound'; readonly result: AudioFile; readonly tensors: TensorCount; readonly threadId?: number })
  | (Finished & { readonly type: 'error'; readonly name: string; readonly message: string });

/** A further task for a reused worker (the first comes as workerData). */
export interface TaskMessage {
  readonly type: 'task';
  readonly request: WorkerRequest;
}
