// Pieces the four architectures share: Keras-2 defaults, compile settings, the fast orthogonal
// recurrent kernel, input encoding and disposal of stateful models.

import * as tf from '@tensorflow/tfjs';
import { orthogonalMatrix } from '../src/learning/orthogonal.ts';
import { deriveSeed } from '../src/learning/random.ts';
import type { Vocabulary } from '../src/learning/vocabulary.ts';
import type { ModelSpec } from './types.ts';

export const HIDDEN_UNITS = 128;
export const LEARNING_RATE = 0.001;
/** Keras 2.0's Adam defaults (the tutorial's `optimizer='adam'`): beta1 0.9, beta2 0.999, epsilon 1e-8. */
export const ADAM = { learningRate: LEARNING_RATE, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

export function compileModel(model: tf.LayersModel): void {
  model.compile({
    optimizer: tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
}

export function glorotUniform(seed: number, layer: string, weight = 'kernel'): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: deriveSeed(seed, layer, weight) });
}

/** Keras 2's Dense(units, activation): glorot-uniform kernel, zero bias. */
export function kerasDense(
  seed: number,
  name: string,
  units: number,
  activation: 'relu' | 'softmax',
  inputShape?: number[],
): tf.layers.Layer {
  return tf.layers.dense({
    name,
    units,
    activation,
    kernelInitializer: glorotUniform(seed, name),
    biasInitializer: 'zeros',
    ...(inputShape ? { inputShape } : {}),
  });
}

/**
 * Keras 2's LSTM(units): tanh activation, hard-sigmoid recurrent activation, glorot-uniform kernel,
 * orthogonal recurrent kernel, zero bias with the forget gate's bias at 1 (unit_forget_bias).
 * The recurrent kernel is created with a cheap initializer and replaced by `setOrthogonalKernels`.
 */
export function kerasLstm(
  seed: number,
  options: { name?: string; inputShape?: number[]; batchInputShape?: number[]; stateful?: boolean },
): tf.layers.Layer {
  const name = options.name ?? 'lstm_1';
  return tf.layers.lstm({
    name,
    units: HIDDEN_UNITS,
    activation: 'tanh',
    recurrentActivation: 'hardSigmoid',
    useBias: true,
    unitForgetBias: true,
    kernelInitializer: glorotUniform(seed, name),
    recurrentInitializer: 'zeros',
    biasInitializer: 'zeros',
    stateful: options.stateful ?? false,
    ...(options.inputShape ? { inputShape: options.inputShape } : {}),
    ...(options.batchInputShape ? { batchInputShape: options.batchInputShape } : {}),
  });
}

/** Writes a seeded orthogonal matrix (Keras's Orthogonal, gain 1) into every recurrent kernel. */
export function setOrthogonalKernels(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      if (!weight.originalName.endsWith('/recurrent_kernel')) continue;
      const [rows, cols] = weight.shape as [number, number];
      const values = orthogonalMatrix(rows, cols, deriveSeed(seed, layer.name, 'recurrent_kernel'));
      const tensor = tf.tensor2d(values, [rows, cols]);
      weight.write(tensor);
      tensor.dispose();
    }
  }
}

/** [windows, window, features] (or [windows, window] when `flat`) from per-note features. */
export function encodeWindows(
  spec: Pick<ModelSpec, 'stepFeatures' | 'sampleShape'>,
  windows: readonly (readonly number[])[],
  vocabulary: Vocabulary,
): tf.Tensor {
  const window = windows[0]?.length ?? 0;
  const shape = spec.sampleShape(window);
  const perSample = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(windows.length * perSample);
  let offset = 0;
  for (const w of windows) {
    if (w.length !== window) throw new RangeError(`all windows must have ${window} notes (got ${w.length})`);
    for (const index of w) {
      for (const f of spec.stepFeatures(index, vocabulary)) values[offset++] = f;
    }
  }
  return tf.tensor(values, [windows.length, ...shape]);
}

/** The tutorial's single feature: index / max_idx_value. */
export function normalisedIndex(index: number, vocabulary: Vocabulary): readonly number[] {
  return [index / vocabulary.maxIndex];
}

/**
 * Runs a model-building function inside tf.tidy. tf.js leaks a few temporaries while building
 * (the zeros a stateful RNN clones its initial state from, the pieces of the unit-forget-bias
 * initial value); variables and kept state tensors survive the tidy, the temporaries do not.
 */
export function buildTidy(build: () => tf.LayersModel): tf.LayersModel {
  let model: tf.LayersModel | undefined;
  tf.tidy(() => {
    model = build();
  });
  return model as tf.LayersModel;
}

/** Resets the state of stateful layers (no-op for stateless models). */
export function resetStates(model: tf.LayersModel): void {
  if (model.stateful) model.resetStates();
}

/**
 * Disposes a model completely: weights, its optimizer (we compile with an optimizer instance, which
 * tf.js does not dispose for us) and the state tensors of stateful RNN layers (also not freed by
 * `LayersModel.dispose()`).
 */
export function disposeModel(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (layer instanceof tf.RNN && layer.stateful) {
      tf.tidy(() => layer.resetStates()); // outside a tidy, resetStates leaks the zeros it clones
      tf.dispose(layer.states);
      layer.states = [];
    }
  }
  const optimizer = model.optimizer as tf.Optimizer | undefined;
  model.dispose();
  optimizer?.dispose();
}
