import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeModel } from '../../models/common.ts';
import { getModelSpec } from '../../models/registry.ts';
import { makeDataset } from '../../src/learning/dataset.ts';
import { buildVocabulary } from '../../src/learning/vocabulary.ts';
import { nabiya, startBackend } from '../learning/fixtures.ts';

beforeAll(startBackend);

const melody = nabiya();
const vocabulary = buildVocabulary(melody);
const window = makeDataset(melody, vocabulary, 4).inputs[0] as number[];

function predictOnce(model: tf.LayersModel, x: tf.Tensor): number[] {
  return tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
}

describe.each(['stateful', 'stateful-2f'] as const)('%s state', (name) => {
  it('carries from one prediction to the next and resets to the first', () => {
    const spec = getModelSpec(name);
    const model = spec.build({ window: 4, classes: vocabulary.classes, seed: 3 });
    const x = spec.encode([window], vocabulary);
    const before = tf.memory().numTensors;
    const first = predictOnce(model, x);
    const second = predictOnce(model, x);
    expect(second).not.toEqual(first);
    model.resetStates();
    expect(predictOnce(model, x)).toEqual(first);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    disposeModel(model);
  });
});

describe('stateless lstm', () => {
  it('gives the same output for the same window every time', () => {
    const spec = getModelSpec('lstm');
    const model = spec.build({ window: 4, classes: vocabulary.classes, seed: 3 });
    const x = spec.encode([window], vocabulary);
    expect(predictOnce(model, x)).toEqual(predictOnce(model, x));
    x.dispose();
    disposeModel(model);
  });
});
