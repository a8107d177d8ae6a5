import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { completeMelody, learnMelody, learningBackend } from '../learning/engine.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';

// The worker thread's side: one task per thread (learn a melody, or complete one from a saved
// model), then the thread ends, so whatever tf.js holds goes with it. The main thread only ever
// sees plain messages (protocol.ts): epoch reports, then a result or an error.
//
// Cancelling: the parent posts { type: 'abort' } and also raises a flag in shared memory. The flag
// is read after every epoch, so a stop is honoured even if tf.js never yields to this thread's
// event loop between batches; the message covers the time before the first epoch ends.

if (isMainThread || parentPort === null) throw new Error('src/training/worker.ts runs only inside a worker thread');
const port = parentPort;
const request = workerData as WorkerRequest;
const controller = new AbortController();
const flag = new Int32Array(request.abortFlag);

const abortIfFlagged = (): void => {
  if (!controller.signal.aborted && Atomics.load(flag, 0) !== 0) controller.abort();
};

port.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'abort') controller.abort();
});

const post = (reply: WorkerReply): void => port.postMessage(reply);

try {
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
    post({ type: 'result', task: 'learn', result, tensors: { before, after: tf.memory().numTensors } });
  } else {
    const result = await completeMelody(request.dir, request.options);
    post({ type: 'result', task: 'complete', result, tensors: { before, after: tf.memory().numTensors } });
  }
} catch (error) {
  post({
    type: 'error',
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  });
} finally {
  port.close();
}
