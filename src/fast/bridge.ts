// Between the fast nets and tf.js models: the fast engine starts from the weights the tf.js
// builders make (same seed → same initial weights), and hands its results back into a tf.js model
// (and its Adam optimizer), so saving, loading, checkpoints and prediction stay tf.js's.

import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../../models/types.ts';
import { AdamClock } from './adam.ts';
import { LstmNet } from './lstm-net.ts';
import { MlpNet } from './mlp-net.ts';
import type { KernelsName } from './kernels.ts';
import { createKernels } from './wasm.ts';

export type FastNet = LstmNet | MlpNet;

type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

export class FastEngineError extends Error {
  override name = 'FastEngineError';
}

/**
 * A fast net shaped like `model` (built by `spec`), holding a copy of its current weights, on the
 * given kernels (default: NABI_FAST_KERNELS, else wasm SIMD when available, else TypeScript).
 */
export function netFromModel(
  spec: ModelSpec,
  model: tf.LayersModel,
  window: number,
  classes: number,
  kernels: KernelsName | 'auto' = 'auto',
): FastNet {
  const clock = new AdamClock();
  const k = kernels === 'auto' ? createKernels() : createKernels(kernels);
  let net: FastNet;
  if (spec.name === 'mlp') {
    net = new MlpNet({ inputs: window, units: unitsOf(model, 0), classes, batchSize: spec.batchSize }, clock, k);
  } else {
    if (spec.batchSize !== 1) throw new FastEngineError(`the fast LSTM trains with batch 1 (model ${spec.name} has ${spec.batchSize})`);
    net = new LstmNet(
      { window, features: spec.featuresPerStep, units: unitsOf(model, 1) / 4, classes, stateful: spec.stateful },
      clock,
      k,
    );
  }
  copyWeightsIn(net, model);
  return net;
}

function unitsOf(model: tf.LayersModel, weight: number): number {
  const w = model.weights[weight];
  if (!w) throw new FastEngineError(`model ${model.name} has no weight ${weight}`);
  return w.shape[w.shape.length - 1] as number;
}

function checkShapes(net: FastNet, model: tf.LayersModel): void {
  const weights = model.trainableWeights;
  if (weights.length !== net.weights.length) {
    throw new FastEngineError(`model ${model.name} has ${weights.length} trainable weights, the fast ${net.kind} net ${net.weights.length}`);
  }
  weights.forEach((w, i) => {
    const size = w.shape.reduce<number>((a, b) => a * (b as number), 1);
    if (size !== (net.weights[i] as Float32Array).length) {
      throw new FastEngineError(`weight ${w.originalName}: ${size} values in tf.js, ${(net.weights[i] as Float32Array).length} in the fast net`);
    }
  });
}

/** Copies the tf.js model's trainable weights into the net. */
export function copyWeightsIn(net: FastNet, model: tf.LayersModel): void {
  checkShapes(net, model);
  model.trainableWeights.forEach((w, i) => {
    const values = w.read().dataSync() as Float32Array;
    (net.weights[i] as Float32Array).set(values);
  });
}

/** Writes the net's weights into the tf.js model. */
export function copyWeightsOut(net: FastNet, model: tf.LayersModel): void {
  checkShapes(net, model);
  const tensors = model.trainableWeights.map((w, i) => tf.tensor(net.weights[i] as Float32Array, w.shape as number[]));
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Reads Adam's moments and iteration count from the model's optimizer (a resumed checkpoint). */
export async function copyOptimizerIn(net: FastNet, model: tf.LayersModel): Promise<void> {
  const optimizer = model.optimizer as tf.Optimizer | undefined;
  if (!optimizer) return;
  const weights = await optimizer.getWeights();
  try {
    const iter = weights[0];
    const moments = weights.slice(1);
    if (!iter || moments.length === 0) return; // never stepped
    if (moments.length !== 2 * net.weights.length) {
      throw new FastEngineError(`the optimizer holds ${moments.length} moments, the fast net needs ${2 * net.weights.length}`);
    }
    const n = net.weights.length;
    for (let i = 0; i < n; i++) {
      const m = moments[i] as NamedTensor;
      const v = moments[n + i] as NamedTensor;
      const target = net.moments[i];
      if (!target) continue;
      target.m.set(m.tensor.dataSync() as Float32Array);
      target.v.set(v.tensor.dataSync() as Float32Array);
    }
    net.clock.restore((iter.tensor.dataSync()[0] as number) ?? 0);
  } finally {
    // getWeights() makes a fresh scalar for the iteration count; the moments are live variables.
    tf.dispose(weights.filter((w) => w.name === 'iter').map((w) => w.tensor));
  }
}

/**
 * Gives the model's Adam optimizer the net's moments and iteration count (for checkpoints and for
 * training on with tf.js). Replaces — and disposes — moments the optimizer already had.
 */
export async function copyOptimizerOut(net: FastNet, model: tf.LayersModel): Promise<void> {
  const optimizer = model.optimizer as tf.Optimizer | undefined;
  if (!optimizer) throw new FastEngineError('the model is not compiled: no optimizer to hand Adam state to');
  const old = await optimizer.getWeights();
  tf.dispose(old.map((w) => w.tensor));
  const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  const values: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(net.clock.iterations, 'int32') }];
  net.moments.forEach((mo, i) => {
    values.push({ name: `${names[i] as string}/m`, tensor: tf.tensor(mo.m, model.trainableWeights[i]?.shape as number[]) });
  });
  net.moments.forEach((mo, i) => {
    values.push({ name: `${names[i] as string}/v`, tensor: tf.tensor(mo.v, model.trainableWeights[i]?.shape as number[]) });
  });
  await optimizer.setWeights(values);
  // setWeights made variables of the moments (sharing their data) and read the iteration count.
  tf.dispose(values.map((v) => v.tensor));
}
