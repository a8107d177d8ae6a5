import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { completeMelody, learnMelody, learningBackend } from '../learning/engine.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';

// The worker thread's side: a task (learn a melody, complete one from a saved model, or render a
// melody's sound file) arrives as
// workerData when the thread starts, later ones as { type: 'task' } messages when the thread is
// reused (worker-pool.ts): tf.js, its backend and the kernels load once per thread, not per job.
// Every task ends with one result or error message, marked reusable; the parent decides whether
// the thread gets another. The main thread only ever sees plain messages (protocol.ts).
//
// Cancelling: the parent posts { type: 'abort' } and also raises the task's flag in shared memory.
// The flag is read after every epoch, so a stop is honoured even if tf.js never yields to this
// thread's event loop between batches; the message covers the time before the first epoch ends.

if (isMainThread || parentPort === null) throw new Error('src/training/worker.ts runs only inside a worker thread');
const port = parentPort;
const post = (reply: WorkerReply): void => port.postMessage(reply);

/** The task running now: its abort controller and shared flag. */
let current: { controller: AbortController; flag: Int32Array } | null = null;

port.on('message', (message: unknown) => {
  if (typeof message !== 'object' || message === null) return;
  const type = (message as { type?: unknown }).type;
  if (type === 'abort') current?.controller.abort();
  else if (type === 'task') void run((message as { request: WorkerRequest }).request);
});

async function run(request: WorkerRequest): Promise<void> {
  const controller = new AbortController();
  const flag = new Int32Array(request.abortFlag);
  current = { controller, flag };
  const abortIfFlagged = (): void => {
    if (!controller.signal.aborted && Atomics.load(flag, 0) !== 0) controller.abort();
  };
  try {
    if (request.task === 'sound') {
      // loaded on the first sound task only: a thread that only trains never loads Tone.js
      const { renderAudioFile } = await import('../audio/index.ts');
      const before = tf.memory().numTensors;
      const result = await renderAudioFile(request.melody, request.format, request.name === undefined ? {} : { name: request.name });
      post({ type: 'result', task: 'sound', result, tensors: { before, after: tf.memory().numTensors }, threadId, reusable: true });
      return;
    }
    await learningBackend();
    const before = tf.memory().numTensors;
    if (request.task === 'learn') {
      abortIfFlagged();
      const result = await learnMelody(request.events, {
        ...request.options,
        signal: controller.signal,
        onEpoch: (report) => {
          post({ type: 'epoch', report });
          abortIfFlagged();
        },
      });
      post({ type: 'result', task: 'learn', result, tensors: { before, after: tf.memory().numTensors }, threadId, reusable: true });
    } else {
      const result = await completeMelody(request.dir, request.options);
      post({ type: 'result', task: 'complete', result, tensors: { before, after: tf.memory().numTensors }, threadId, reusable: true });
    }
  } catch (error) {
    post({
      type: 'error',
      name: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message : String(error),
      // whatever the failed task left behind (tensors, a half-built model) goes with the thread
      reusable: false,
    });
  } finally {
    current = null;
  }
}

await run(workerData as WorkerRequest);
