import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { getModelSpec } from '../../models/registry.ts';
import { disposeModel } from '../../models/common.ts';
import { compareEvents, compareTokens } from '../../src/learning/compare.ts';
import { makeDataset } from '../../src/learning/dataset.ts';
import {
  argmax,
  checkTemperature,
  predictFullSong,
  predictOneStep,
  sampleIndex,
  PredictionError,
} from '../../src/learning/predict.ts';
import type { Predictor } from '../../src/learning/predict.ts';
import { createRng } from '../../src/learning/random.ts';
import { buildVocabulary } from '../../src/learning/vocabulary.ts';
import { melodyOf, nabiya, startBackend } from './fixtures.ts';

describe('sampleIndex', () => {
  const probs = Float32Array.from([0.1, 0.6, 0.05, 0.25]);

  it('is argmax at temperature 0', () => {
    expect(sampleIndex(probs, 0, createRng(1))).toBe(1);
    expect(argmax(probs)).toBe(1);
  });

  it('is reproducible with the same seed and varies with the seed', () => {
    const draw = (seed: number): number[] => {
      const rng = createRng(seed);
      return Array.from({ length: 40 }, () => sampleIndex(probs, 1, rng));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('follows p^(1/T): about the probabilities at T = 1, nearly greedy at low T', () => {
    const rng = createRng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleIndex(probs, 1, rng)]! += 1;
    expect((counts[1] as number) / 4000).toBeGreaterThan(0.55);
    expect((counts[1] as number) / 4000).toBeLessThan(0.65);
    let ones = 0;
    for (let i = 0; i < 1000; i++) if (sampleIndex(probs, 0.05, rng) === 1) ones++;
    expect(ones).toBeGreaterThan(995);
  });

  it('rejects bad temperatures clearly', () => {
    expect(() => checkTemperature(-1)).toThrow(PredictionError);
    expect(() => checkTemperature(Number.NaN)).toThrow(/temperature must be a number from 0/);
    expect(() => checkTemperature(11)).toThrow(/to 10/);
  });
});

describe('predictFullSong / predictOneStep', () => {
  let predictor: Predictor;
  let indices: number[];

  beforeAll(async () => {
    await startBackend();
    const melody = nabiya();
    const vocabulary = buildVocabulary(melody);
    const dataset = makeDataset(melody, vocabulary, 4);
    indices = [...dataset.indices];
    const spec = getModelSpec('stateful');
    predictor = { model: spec.build({ window: 4, classes: vocabulary.classes, seed: 11 }), spec, vocabulary, window: 4 };
    return () => disposeModel(predictor.model);
  });

  it('samples reproducibly with a seed, and greedily at temperature 0', () => {
    const start = indices.slice(0, 4);
    const a = predictFullSong(predictor, start, 30, { temperature: 1, seed: 42 });
    const b = predictFullSong(predictor, start, 30, { temperature: 1, seed: 42 });
    const c = predictFullSong(predictor, start, 30, { temperature: 1, seed: 43 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.every((i) => i >= 0 && i < predictor.vocabulary.classes)).toBe(true);
    const greedy = predictFullSong(predictor, start, 30);
    expect(predictFullSong(predictor, start, 30, { temperature: 0, seed: 99 })).toEqual(greedy);
  });

  it('one step gives one prediction per window and leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    expect(predictOneStep(predictor, indices)).toHaveLength(50);
    predictFullSong(predictor, indices.slice(0, 4), 10, { temperature: 0.5, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks the start and length', () => {
    expect(() => predictFullSong(predictor, [1, 2, 3], 5)).toThrow(/exactly 4 notes/);
    expect(() => predictFullSong(predictor, indices.slice(0, 4), 0)).toThrow(/length must be/);
  });
});

describe('compare', () => {
  it('lists wrong positions with expected and predicted tokens', () => {
    const expected = melodyOf(['g8', 'e8', 'e4', 'f8']).events;
    const got = melodyOf(['g8', 'd8', 'e4', 'f4']).events;
    const c = compareEvents(expected, got, 4);
    expect(c).toEqual({
      total: 4,
      correct: 2,
      accuracy: 0.5,
      exact: false,
      wrong: [
        { index: 5, expected: 'e8', got: 'd8' },
        { index: 7, expected: 'f8', got: 'f4' },
      ],
    });
    expect(compareEvents(expected, expected).exact).toBe(true);
    expect(compareTokens(['a4', 'b4'], ['a4']).exact).toBe(false);
  });
});
