// Shared pieces of the fast-engine tests: random weights and inputs, tf.js autodiff gradients,
// and a relative comparison.

import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../src/learning/random.ts';
import type { Rng } from '../../src/learning/random.ts';

export function uniform(rng: Rng, n: number, low: number, high: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * rng();
  return out;
}

/** Replaces every weight of `model` with uniform values in [−scale, scale]. */
export function randomizeWeights(model: tf.LayersModel, seed: number, scale: number): void {
  const rng = createRng(seed);
  const tensors = model.weights.map((w) => {
    const shape = w.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(uniform(rng, size, -scale, scale), shape);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** tf.js's gradients of the compiled loss (mean categorical cross-entropy) w.r.t. the trainable weights. */
export function tfjsGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): { loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true }) as tf.Tensor;
      return tf.mean(tf.metrics.categoricalCrossentropy(y, out)) as tf.Scalar;
    }, vars);
    return {
      loss: value.dataSync()[0] as number,
      grads: vars.map((v) => Float32Array.from((grads[v.name] as tf.Tensor).dataSync())),
    };
  });
}

/** max |a − b| / max |b| — the error relative to the reference's scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

export function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
}
