// Prediction the tutorial's two ways:
// * one step (한 스텝 예측): the true previous `window` notes in, one note out, for every window;
// * full song (곡 전체 예측): only the first `window` notes are given; every prediction is appended and
//   fed back as input for the next one.
// Stateful models are reset before and after each run, and their state carries from step to step
// within a run, as in the tutorial. The choice of each note is greedy (argmax) or, with a
// temperature above 0, sampled with a seeded PRNG.

import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../../models/types.ts';
import { resetStates } from '../../models/common.ts';
import { windowsOf } from './dataset.ts';
import { createRng } from './random.ts';
import type { Rng } from './random.ts';
import type { Vocabulary } from './vocabulary.ts';

export interface Predictor {
  readonly model: tf.LayersModel;
  readonly spec: ModelSpec;
  readonly vocabulary: Vocabulary;
  readonly window: number;
}

export const MAX_TEMPERATURE = 10;
export const MAX_PREDICTION_LENGTH = 1000;

export class PredictionError extends Error {
  override name = 'PredictionError';
}

export function checkTemperature(temperature: number): number {
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > MAX_TEMPERATURE) {
    throw new PredictionError(`temperature must be a number from 0 (always the likeliest note) to ${MAX_TEMPERATURE} (got ${String(temperature)})`);
  }
  return temperature;
}

export function checkLength(length: number): number {
  if (!Number.isInteger(length) || length < 1 || length > MAX_PREDICTION_LENGTH) {
    throw new PredictionError(`length must be a whole number of notes from 1 to ${MAX_PREDICTION_LENGTH} (got ${String(length)})`);
  }
  return length;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/**
 * Picks an index from a probability vector: argmax at temperature 0, otherwise a draw from
 * p^(1/T) renormalised (as tfjs-examples' lstm-text-generation sample(): log(p) / T, softmax, draw).
 */
export function sampleIndex(probs: ArrayLike<number>, temperature: number, rng: Rng): number {
  if (temperature <= 0) return argmax(probs);
  const logits = Array.from(probs, (p) => (p > 0 ? Math.log(p) / temperature : -Infinity));
  const max = Math.max(...logits);
  if (!Number.isFinite(max)) return argmax(probs);
  const weights = logits.map((l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Output probabilities for each window, in order; state carries across windows for stateful models. */
function predictWindows(p: Predictor, windows: readonly (readonly number[])[]): Float32Array[] {
  if (windows.length === 0) return [];
  return tf.tidy(() => {
    const x = p.spec.encode(windows, p.vocabulary);
    const y = p.model.predict(x, { batchSize: p.spec.stateful ? p.spec.batchSize : 32 }) as tf.Tensor;
    const classes = y.shape[1] as number;
    const flat = y.dataSync() as Float32Array;
    return windows.map((_, i) => flat.slice(i * classes, (i + 1) * classes));
  });
}

/**
 * One-step prediction over a whole melody (as indices): for every window of true notes, the
 * predicted next index — indices.length − window predictions, aligned with indices[window…].
 */
export function predictOneStep(p: Predictor, indices: readonly number[]): number[] {
  const { inputs } = windowsOf(indices, p.window);
  resetStates(p.model);
  try {
    return predictWindows(p, inputs).map(argmax);
  } finally {
    resetStates(p.model);
  }
}

export interface FullSongOptions {
  /** 0 (default) = greedy. */
  readonly temperature?: number;
  /** Seed of the sampling PRNG (only used when temperature > 0). */
  readonly seed?: number;
}

/** Full-song prediction: `length` new indices after `start` (exactly `window` indices). */
export function predictFullSong(
  p: Predictor,
  start: readonly number[],
  length: number,
  options: FullSongOptions = {},
): number[] {
  if (start.length !== p.window) {
    throw new PredictionError(`a completion starts from exactly ${p.window} notes (the model's window), got ${start.length}`);
  }
  checkLength(length);
  const temperature = checkTemperature(options.temperature ?? 0);
  const rng = createRng(options.seed ?? 0);
  const window = [...start];
  const out: number[] = [];
  resetStates(p.model);
  try {
    for (let i = 0; i < length; i++) {
      const [probs] = predictWindows(p, [window]);
      const next = sampleIndex(probs as Float32Array, temperature, rng);
      out.push(next);
      window.push(next);
      window.shift();
    }
  } finally {
    resetStates(p.model);
  }
  return out;
}
