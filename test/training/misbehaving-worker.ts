import { parentPort, workerData } from 'node:worker_threads';

// A stand-in for src/training/worker.ts that fails the way a test asks, chosen by the seed option:
// 1 throws at once, 2 exits with code 3 after one epoch report, 3 hangs (ignores abort requests).

const request = workerData as { options: { seed?: number } };
const mode = request.options.seed ?? 0;

if (mode === 1) throw new Error('boom in the worker');
if (mode === 2) {
  parentPort?.postMessage({ type: 'epoch', report: { epoch: 1, epochs: 10, loss: 1, accuracy: 0, elapsedMs: 1, epochMs: 1 } });
  // (bound, not called in an arrow: a skipped-test check misreads that call form as xit)
  setTimeout(process.exit.bind(process, 3), 20);
}
if (mode === 3) setInterval(() => {}, 1000);
