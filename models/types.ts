// What every model architecture in models/ provides. One file per architecture, as in the
// tutorial's four sections; the registry maps names to them.

import type * as tf from '@tensorflow/tfjs';
import type { Vocabulary } from '../src/learning/vocabulary.ts';
import type { ModelName } from './registry.ts';

export interface BuildOptions {
  /** Notes per input window (the tutorial's window_size = 4). */
  readonly window: number;
  /** Output units: the vocabulary's `classes` (the tutorial's one_hot_vec_size = 12). */
  readonly classes: number;
  /** Seed for every initializer; the same seed builds the same weights. */
  readonly seed: number;
}

export interface ModelSpec {
  readonly name: ModelName;
  /** Short human title, e.g. "Stateful LSTM, 2 features". */
  readonly title: string;
  /** One or two sentences for help texts. */
  readonly description: string;
  /** Batch size used for fit, evaluate and predict (the tutorial's batch_size). */
  readonly batchSize: number;
  /** Stateful recurrent layer: state carried sample to sample, reset every epoch and prediction run. */
  readonly stateful: boolean;
  /** Whether training reshuffles the samples every epoch (Keras's fit default; never for stateful). */
  readonly shuffle: boolean;
  /** Input features per note. */
  readonly featuresPerStep: number;
  /** Shape of one input sample, without the batch dimension. */
  sampleShape(window: number): number[];
  /** The input features of one note (a vocabulary index). */
  stepFeatures(index: number, vocabulary: Vocabulary): readonly number[];
  /** Encodes windows of vocabulary indices into the model's input tensor [windows, ...sampleShape]. */
  encode(windows: readonly (readonly number[])[], vocabulary: Vocabulary): tf.Tensor;
  /** A new compiled model: Adam(0.001), categorical cross-entropy, accuracy. */
  build(options: BuildOptions): tf.LayersModel;
}
