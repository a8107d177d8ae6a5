// The fast trainer against src/learning/train.ts: same seed → same loss curve and predictions,
// weights that load into the tf.js model, the train options (cancel, until-learned, checkpoints and
// resume), no leaked tensors and no allocation per optimiser step.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel } from '../../models/common.ts';
import type { ModelName } from '../../models/registry.ts';
import { loadModel, saveModel } from '../../src/learning/persistence.ts';
import { predictOneStep } from '../../src/learning/predict.ts';
import type { Predictor } from '../../src/learning/predict.ts';
import { train } from '../../src/learning/train.ts';
import { engineFromEnv, encodeInputs, fastSingsBack, trainFast } from '../../src/fast/trainer.ts';
import type { FastNet } from '../../src/fast/bridge.ts';
import type { KernelsName } from '../../src/fast/kernels.ts';
import { nabiya, schoolBell, startBackend } from '../learning/fixtures.ts';
import { relativeError } from './helpers.ts';

let root: string;
beforeAll(async () => {
  await startBackend();
  root = await mkdtemp(path.join(tmpdir(), 'nabi-fast-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Greedy one-step predictions of the fast net over the training windows (state carried, reset first). */
function fastOneStep(net: FastNet, x: Float32Array, samples: number, perSample: number, classes: number): number[] {
  const probs = new Float32Array(classes);
  const out: number[] = [];
  net.resetState();
  for (let s = 0; s < samples; s++) {
    net.predict(x, s * perSample, probs);
    let best = 0;
    for (let k = 1; k < classes; k++) if ((probs[k] as number) > (probs[best] as number)) best = k;
    out.push(best);
  }
  net.resetState();
  return out;
}

const RUNS: readonly [ModelName, number, KernelsName][] = [
  ['mlp', 40, 'wasm'],
  ['lstm', 3, 'wasm'],
  ['stateful', 3, 'wasm'],
  ['stateful-2f', 3, 'wasm'],
  ['mlp', 10, 'js'],
  ['stateful', 2, 'js'],
];

describe.each(RUNS)('%s: fast vs tf.js for %i epochs from the same seed (%s kernels)', (name, epochs, kernels) => {
  it('gives the same loss and accuracy curve, weights and predictions; the weights load into tf.js', async () => {
    const melody = nabiya();
    const reference = await train(melody, { model: name, epochs, seed: 5 });
    const before = tf.memory().numTensors;
    const fast = await trainFast(melody, { model: name, epochs, seed: 5, kernels });
    expect(fast.engine).toBe('fast');
    expect(fast.net.kernels.name).toBe(kernels);
    expect(fast.history.loss).toHaveLength(epochs);
    expect(relativeError(fast.history.loss, reference.history.loss)).toBeLessThan(1e-4);
    expect(relativeError(fast.history.accuracy, reference.history.accuracy)).toBeLessThan(1e-6);
    const refWeights = reference.model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
    fast.model.trainableWeights.forEach((w, i) => {
      expect(relativeError(w.read().dataSync() as Float32Array, refWeights[i] as Float32Array), w.originalName).toBeLessThan(1e-4);
    });

    // Same one-step predictions from the fast net, the tf.js-trained model and the fast-trained tf.js model.
    const { spec, vocabulary, dataset, window } = fast;
    const x = encodeInputs(spec, vocabulary, dataset);
    const fastNotes = fastOneStep(fast.net, x, dataset.rows.length, window * spec.featuresPerStep, vocabulary.classes);
    const fastPredictor: Predictor = { model: fast.model, spec, vocabulary, window };
    const refPredictor: Predictor = { model: reference.model, spec, vocabulary, window };
    expect(predictOneStep(fastPredictor, dataset.indices)).toEqual(fastNotes);
    expect(predictOneStep(refPredictor, dataset.indices)).toEqual(fastNotes);

    // Saved in tf.js format, loaded back by the tf.js loader: same notes.
    const dir = path.join(root, `saved-${name}`);
    await saveModel(dir, fast.model, {
      model: name,
      window,
      seed: 5,
      vocabulary,
      melody: fast.melody,
      epochs: fast.epochs,
      learnedAtEpoch: fast.learnedAtEpoch,
      history: fast.history,
      backend: fast.backend,
    });
    const loaded = await loadModel(dir);
    expect(predictOneStep({ model: loaded.model, spec, vocabulary, window }, dataset.indices)).toEqual(fastNotes);
    disposeModel(loaded.model);
    disposeModel(fast.model);
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(reference.model);
  });
});

describe('late in training, where the loss is near its float32 floor', () => {
  // 700 epochs into the tutorial's stateful run (seed 1) the loss is ~2.6e-6: most samples sit at
  // the cross-entropy's clip and give no gradient, the rest tiny ones that Adam normalises. From
  // the same checkpoint both engines must still take the same steps (scripts/compare-engines.ts
  // shows them spiking together at epoch 710).
  it('tf.js and the fast engine go on from the same checkpoint with the same losses and weights', async () => {
    const dir = path.join(root, 'late');
    const base = await trainFast(nabiya(), { model: 'stateful', epochs: 700, seed: 1, checkpoint: { dir, every: 700 } });
    disposeModel(base.model);
    expect(base.history.loss.at(-1)).toBeLessThan(1e-4);
    const onTfjs = await train(nabiya(), { epochs: 704, resumeFrom: dir });
    const onFast = await trainFast(nabiya(), { epochs: 704, resumeFrom: dir });
    const late = (r: { history: { loss: readonly number[] } }): number[] => r.history.loss.slice(700);
    expect(late(onTfjs)).toHaveLength(4);
    // a sample's clip decision may flip on float32 noise: that moves the epoch's mean by < 1e-3
    expect(relativeError(late(onFast), late(onTfjs))).toBeLessThan(1e-3);
    const [a, b] = [onTfjs.model.getWeights(), onFast.model.getWeights()];
    const flat = (ts: tf.Tensor[]): Float32Array => Float32Array.from(ts.flatMap((t) => Array.from(t.dataSync())));
    expect(relativeError(flat(b), flat(a))).toBeLessThan(1e-5);
    for (const r of [onTfjs, onFast]) disposeModel(r.model);
  }, 120_000);
});

describe('trainFast options', () => {
  it('stops when the song is learned and reports it like train()', async () => {
    const result = await trainFast(schoolBell(), { model: 'stateful', epochs: 3000, untilLearned: true, checkEvery: 5 });
    expect(result.stopReason).toBe('learned');
    expect(result.learnedAtEpoch).toBe(result.epochs);
    expect(result.epochs % 5).toBe(0);
    expect(fastSingsBack(result.net, result.spec, result.vocabulary, result.dataset)).toBe(true);
    disposeModel(result.model);
  });

  it('reports training time without the set-up, on both engines, so that an ETA is right from epoch 1', async () => {
    for (const run of [trainFast, train] as const) {
      const reports: { elapsedMs: number; epochMs: number }[] = [];
      const result = await run(nabiya(), { model: 'mlp', epochs: 3, seed: 2, onEpoch: (r) => void reports.push(r) });
      disposeModel(result.model);
      expect(reports).toHaveLength(3);
      // epoch 1's elapsed time is that epoch alone — building the model (hundreds of ms) is not in it
      expect(reports[0]!.elapsedMs).toBeCloseTo(reports[0]!.epochMs, 6);
      expect(reports[2]!.elapsedMs).toBeGreaterThanOrEqual(reports[1]!.elapsedMs + reports[2]!.epochMs - 1e-6);
      expect(result.elapsedMs).toBeGreaterThan(reports[2]!.elapsedMs);
    }
  });

  it('cancels between batches and keeps only completed epochs', async () => {
    const controller = new AbortController();
    const result = await trainFast(nabiya(), {
      model: 'stateful',
      epochs: 100_000,
      signal: controller.signal,
      onEpoch: (r) => {
        if (r.epoch === 7) controller.abort();
      },
    });
    expect(result).toMatchObject({ stopReason: 'cancelled', cancelled: true, epochs: 7 });
    expect(result.history.loss).toHaveLength(7);
    disposeModel(result.model);
  });

  it('writes checkpoints that resume to the same result as an uninterrupted run', async () => {
    const dir = path.join(root, 'ckpt');
    const whole = await trainFast(nabiya(), { model: 'mlp', epochs: 30, seed: 8 });
    const first = await trainFast(nabiya(), { model: 'mlp', epochs: 20, seed: 8, checkpoint: { dir, every: 10 } });
    expect(first.lastCheckpoint).toMatch(/epoch-000020$/);
    disposeModel(first.model);
    const resumed = await trainFast(nabiya(), { epochs: 30, resumeFrom: dir });
    expect(resumed.startEpoch).toBe(20);
    expect(resumed.history.loss).toHaveLength(30);
    // Resuming restores β^t by pow (as tf.js's setWeights does), so allow float32 noise.
    expect(relativeError(resumed.history.loss, whole.history.loss)).toBeLessThan(1e-5);
    // and tf.js can go on from the fast engine's checkpoint
    const onTfjs = await train(nabiya(), { epochs: 30, resumeFrom: dir });
    expect(relativeError(onTfjs.history.loss, whole.history.loss)).toBeLessThan(1e-4);
    for (const r of [whole, resumed, onTfjs]) disposeModel(r.model);
  });

  it('validates options like train()', async () => {
    await expect(trainFast(nabiya(), { epochs: 0 })).rejects.toThrow(/epochs must be a whole number from 1/);
    await expect(trainFast(nabiya(), { model: 'gru' as never })).rejects.toThrow(/choose one of/);
    expect(engineFromEnv({})).toBe('fast');
    expect(engineFromEnv({ NABI_ENGINE: ' TFJS ' })).toBe('tfjs');
    expect(engineFromEnv({ NABI_ENGINE: ' Fast ' })).toBe('fast');
    expect(() => engineFromEnv({ NABI_ENGINE: 'gpu' })).toThrow(/NABI_ENGINE="gpu" is not a training engine/);
  });
});

describe('optimiser steps', () => {
  it.each(['mlp', 'lstm', 'stateful', 'stateful-2f'] as const)('%s: allocate nothing per step (heap stays flat over 2000 steps)', async (name) => {
    const result = await trainFast(nabiya(), { model: name, epochs: 1 });
    const { net, spec, vocabulary, dataset } = result;
    const x = encodeInputs(spec, vocabulary, dataset);
    const targets = Int32Array.from(dataset.targets);
    const order = Array.from({ length: dataset.rows.length }, (_, i) => i);
    const run = (steps: number): void => {
      for (let s = 0; s < steps; s++) net.trainBatch(x, targets, order, (s * net.batchSize) % order.length);
    };
    run(1000); // warm up: let the JIT settle (compiled code counts as heap too)
    // The smallest growth over three windows of 2000 steps: even 16 bytes (one boxed double) per
    // step would be 32 kB; a young-generation GC can only lower a window's figure.
    const growth: number[] = [];
    for (let w = 0; w < 3; w++) {
      const heap = process.memoryUsage().heapUsed;
      run(2000);
      growth.push(process.memoryUsage().heapUsed - heap);
    }
    expect(Math.min(...growth)).toBeLessThan(16 * 1024);
    disposeModel(result.model);
  });
});
