// The fast nets' loss and gradients against tf.js autodiff on random inputs and weights, and
// Adam steps against tf.js's optimizer (trainOnBatch).

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAM, disposeModel } from '../../models/common.ts';
import { TFJS_ADAM } from '../../src/fast/adam.ts';
import { getModelSpec } from '../../models/registry.ts';
import { createRng } from '../../src/learning/random.ts';
import { netFromModel } from '../../src/fast/bridge.ts';
import { LstmNet } from '../../src/fast/lstm-net.ts';
import { MlpNet } from '../../src/fast/mlp-net.ts';
import { softmaxCrossEntropy } from '../../src/fast/softmax.ts';
import { startBackend } from '../learning/fixtures.ts';
import { randomizeWeights, relativeError, tfjsGradients, uniform, weightsOf } from './helpers.ts';

beforeAll(startBackend);

const CLASSES = 12;
const WINDOW = 4;
const TOLERANCE = 1e-4;

function oneHot(targets: readonly number[]): tf.Tensor {
  return tf.tidy(() => tf.oneHot(tf.tensor1d([...targets], 'int32'), CLASSES).toFloat());
}

const KERNELS = ['js', 'wasm'] as const;

describe.each(
  KERNELS.flatMap((kernels) =>
    [
      ['lstm', 0.3],
      ['lstm', 1.0],
      ['stateful', 0.3],
      ['stateful', 1.0],
      ['stateful-2f', 0.5],
    ].map(([name, scale]) => [name as 'lstm' | 'stateful' | 'stateful-2f', scale as number, kernels] as const),
  ),
)('%s gradients (weights ±%s, %s kernels)', (name, scale, kernels) => {
  it('equal tf.js autodiff within 1e-4 relative, with a carried state for stateful models', () => {
    const spec = getModelSpec(name);
    const model = spec.build({ window: WINDOW, classes: CLASSES, seed: 11 });
    randomizeWeights(model, 100 + Math.round(scale * 10), scale);
    const F = spec.featuresPerStep;
    const rng = createRng(7);
    const net = netFromModel(spec, model, WINDOW, CLASSES, kernels) as LstmNet;
    expect(net.kernels.name).toBe(kernels);
    expect(net).toBeInstanceOf(LstmNet);
    for (let trial = 0; trial < 3; trial++) {
      if (spec.stateful) {
        // Give tf.js a non-zero carried state by predicting a random window, then hand it to the net.
        const pre = tf.tensor(uniform(rng, WINDOW * F, -1, 1), [1, WINDOW, F]);
        tf.dispose(model.predict(pre) as tf.Tensor);
        pre.dispose();
        const layer = model.layers[0] as tf.RNN;
        const [h, c] = layer.states.map((s) => s.dataSync() as Float32Array) as [Float32Array, Float32Array];
        expect(Math.max(...h.map(Math.abs))).toBeGreaterThan(0.01);
        net.setState(h, c);
      }
      const xs = uniform(rng, WINDOW * F, -1, 1);
      const target = Math.floor(rng() * CLASSES);
      const x = tf.tensor(xs, [1, WINDOW, F]);
      const y = oneHot([target]);
      const reference = tfjsGradients(model, x, y);
      const grads = net.weights.map((w) => new Float32Array(w.length));
      const loss = net.gradients(xs, 0, target, grads);
      expect(Math.abs(loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
      grads.forEach((g, i) => {
        const error = relativeError(g, reference.grads[i] as Float32Array);
        expect(error, `${model.trainableWeights[i]?.originalName}: ${error}`).toBeLessThan(TOLERANCE);
      });
      if (spec.stateful) {
        // The recurrent kernel's gradient includes h_{−1} ⊗ dz_0 from the carried state: it differs
        // from the gradient computed from a zero state.
        const fromZero = net.weights.map((w) => new Float32Array(w.length));
        net.resetState();
        net.gradients(xs, 0, target, fromZero);
        expect(relativeError(fromZero[1] as Float32Array, reference.grads[1] as Float32Array)).toBeGreaterThan(1e-2);
      }
      x.dispose();
      y.dispose();
    }
    disposeModel(model);
  });
});

describe.each(KERNELS)('mlp gradients (%s kernels)', (kernels) => {
  it.each([0.3, 1.0])('equal tf.js autodiff within 1e-4 relative on a batch of 10 (weights ±%s)', (scale) => {
    const spec = getModelSpec('mlp');
    const model = spec.build({ window: WINDOW, classes: CLASSES, seed: 11 });
    randomizeWeights(model, 200 + Math.round(scale * 10), scale);
    const net = netFromModel(spec, model, WINDOW, CLASSES, kernels) as MlpNet;
    expect(net).toBeInstanceOf(MlpNet);
    expect(net.kernels.name).toBe(kernels);
    const rng = createRng(9);
    const B = 10;
    const xs = uniform(rng, B * WINDOW, 0, 1);
    const targets = Array.from({ length: B }, () => Math.floor(rng() * CLASSES));
    const x = tf.tensor(xs, [B, WINDOW]);
    const y = oneHot(targets);
    const reference = tfjsGradients(model, x, y);
    const grads = net.weights.map((w) => new Float32Array(w.length));
    const order = Array.from({ length: B }, (_, i) => i);
    const loss = net.gradients(xs, Int32Array.from(targets), order, 0, grads);
    expect(Math.abs(loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
    grads.forEach((g, i) => {
      const error = relativeError(g, reference.grads[i] as Float32Array);
      expect(error, `${model.trainableWeights[i]?.originalName}: ${error}`).toBeLessThan(TOLERANCE);
    });
    tf.dispose([x, y]);
    disposeModel(model);
  });
});

describe('Adam settings', () => {
  it('are the models’ (models/common.ts ADAM)', () => {
    expect(TFJS_ADAM).toEqual(ADAM);
  });
});

describe('softmax cross-entropy at the clip bounds', () => {
  it('gives tf.js autodiff gradients when p ≥ 1 − 1e-7 (no gradient), near it, and p < 1e-7', () => {
    const rows: [number[], number][] = [
      [[30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0], // p ≈ 1: clipped, zero gradient in tf.js
      [[14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0], // p ≈ 1 − 9e-6: not clipped
      [[22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1], // p ≈ 3e-10: clipped at ε
      [[0.3, -1, 2, 0.5, 0, 1, -2, 0, 0.1, 0.2, 0, 1], 5],
    ];
    const B = rows.length;
    const logits = new Float64Array(rows.flatMap(([z]) => z));
    const z = tf.variable(tf.tensor2d(Array.from(logits), [B, CLASSES]));
    const y = oneHot(rows.map(([, t]) => t));
    const reference = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.mean(tf.metrics.categoricalCrossentropy(y, tf.softmax(z))) as tf.Scalar,
        [z],
      );
      return Float32Array.from((grads[z.name] as tf.Tensor).dataSync());
    });
    const probs = new Float32Array(B * CLASSES);
    const dz = new Float64Array(B * CLASSES);
    const losses = new Float64Array(B);
    rows.forEach(([, t], b) => softmaxCrossEntropy(logits, b * CLASSES, CLASSES, t, B, probs, b * CLASSES, dz, b * CLASSES, losses, b));
    expect(Array.from(reference.slice(0, CLASSES)).every((v) => v === 0)).toBe(true);
    expect(Array.from(reference.slice(2 * CLASSES, 3 * CLASSES)).every((v) => v === 0)).toBe(true);
    expect(Math.abs(reference[CLASSES] as number)).toBeGreaterThan(0);
    expect(relativeError(dz, reference)).toBeLessThan(TOLERANCE);
    tf.dispose([z, y]);
  });
});

describe.each(KERNELS.flatMap((k) => (['mlp', 'lstm', 'stateful', 'stateful-2f'] as const).map((n) => [n, k] as const)))('%s Adam steps (%s kernels)', (name, kernels) => {
  it('move the weights exactly as tf.js trainOnBatch does (3 steps)', async () => {
    const spec = getModelSpec(name);
    const model = spec.build({ window: WINDOW, classes: CLASSES, seed: 21 });
    const net = netFromModel(spec, model, WINDOW, CLASSES, kernels);
    const before = weightsOf(model);
    const rng = createRng(4);
    const B = spec.batchSize;
    const F = spec.featuresPerStep;
    const perSample = WINDOW * F;
    const order = Array.from({ length: B }, (_, i) => i);
    for (let step = 0; step < 3; step++) {
      const xs = uniform(rng, B * perSample, 0, 1);
      const targets = Array.from({ length: B }, () => Math.floor(rng() * CLASSES));
      const x = tf.tensor(xs, [B, ...spec.sampleShape(WINDOW)]);
      const y = oneHot(targets);
      const tfLoss = (await model.trainOnBatch(x, y)) as number[];
      net.trainBatch(xs, Int32Array.from(targets), order, 0);
      const loss = (net.stats[0] as number) / B;
      expect(Math.abs(loss - (tfLoss[0] as number)) / (tfLoss[0] as number)).toBeLessThan(1e-5);
      tf.dispose([x, y]);
    }
    const after = weightsOf(model);
    after.forEach((w, i) => {
      const tfDelta = w.map((v, k) => v - (before[i] as Float32Array)[k]!);
      const fastDelta = (net.weights[i] as Float32Array).map((v, k) => v - (before[i] as Float32Array)[k]!);
      // Three Adam steps move each weight by up to 3·lr; compare the moves.
      expect(relativeError(fastDelta, tfDelta), model.trainableWeights[i]?.originalName).toBeLessThan(1e-3);
      expect(relativeError(net.weights[i] as Float32Array, w)).toBeLessThan(5e-6);
    });
    expect(net.clock.iterations).toBe(3);
    disposeModel(model);
  });
});
