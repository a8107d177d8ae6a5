import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel } from '../../models/common.ts';
import { getModelSpec, MODEL_NAMES, MODEL_SPECS, UnknownModelError } from '../../models/registry.ts';
import { REST_PITCH_FEATURE, twoFeatures } from '../../models/stateful-2f.ts';
import { note, rest } from '../../src/music/melody.ts';
import { buildVocabulary, indexOfEvent } from '../../src/learning/vocabulary.ts';
import { makeDataset } from '../../src/learning/dataset.ts';
import { CODE2IDX, code2features, nabiya, startBackend } from '../learning/fixtures.ts';

// Keras's parameter counts, by hand: Dense(n) on m inputs has m·n + n; LSTM(u) on f features has
// 4·(u·(f + u) + u) (kernel, recurrent kernel and bias of the four gates).
const dense = (inputs: number, units: number): number => inputs * units + units;
const lstm = (features: number, units: number): number => 4 * (units * (features + units) + units);

const WINDOW = 4;
const CLASSES = 12;
const EXPECTED: Record<string, number[]> = {
  mlp: [640, 16512, 1548],
  lstm: [66560, 1548],
  stateful: [66560, 1548],
  'stateful-2f': [67072, 1548],
};

beforeAll(startBackend);

describe('registry', () => {
  it("lists the tutorial's four models in order", () => {
    expect(MODEL_NAMES).toEqual(['mlp', 'lstm', 'stateful', 'stateful-2f']);
    expect(MODEL_SPECS.map((s) => s.name)).toEqual([...MODEL_NAMES]);
  });

  it('names the choices for an unknown model', () => {
    expect(() => getModelSpec('gru')).toThrow(UnknownModelError);
    expect(() => getModelSpec('gru')).toThrow('unknown model "gru": choose one of mlp, lstm, stateful, stateful-2f');
    expect(() => getModelSpec('x'.repeat(500))).toThrow(/x{40}…"/);
  });

  it('has the tutorial batch sizes and statefulness', () => {
    expect(MODEL_SPECS.map((s) => [s.name, s.batchSize, s.stateful, s.shuffle])).toEqual([
      ['mlp', 10, false, true],
      ['lstm', 1, false, true],
      ['stateful', 1, true, false],
      ['stateful-2f', 1, true, false],
    ]);
  });
});

describe.each(MODEL_NAMES)('%s architecture', (name) => {
  const spec = getModelSpec(name);
  let model: tf.LayersModel;
  let buildMs = 0;

  beforeAll(() => {
    const started = performance.now();
    model = spec.build({ window: WINDOW, classes: CLASSES, seed: 5 });
    buildMs = performance.now() - started;
  });
  afterAll(() => disposeModel(model));

  it("has Keras's parameter counts", () => {
    expect(dense(4, 128) + dense(128, 128) + dense(128, 12)).toBe(18700);
    expect(lstm(1, 128)).toBe(66560);
    expect(lstm(2, 128)).toBe(67072);
    expect(model.layers.map((l) => l.countParams())).toEqual(EXPECTED[name]);
    expect(model.countParams()).toBe((EXPECTED[name] as number[]).reduce((a, b) => a + b, 0));
  });

  it('builds quickly (fast orthogonal kernel)', () => {
    console.log(`[nabi] build ${name}: ${buildMs.toFixed(0)} ms on ${tf.getBackend()}`);
    expect(buildMs).toBeLessThan(5000);
  });

  it('takes the tutorial input shape and outputs a softmax over the classes', () => {
    const batch = spec.stateful ? [1] : [null];
    expect(model.inputs[0]?.shape).toEqual([...batch, ...spec.sampleShape(WINDOW)]);
    expect(model.outputs[0]?.shape).toEqual([batch[0], CLASSES]);
    const out = model.layers.at(-1)?.getConfig();
    expect(out?.['activation']).toBe('softmax');
  });

  it('is compiled with Adam(0.001), categorical cross-entropy and accuracy', () => {
    const optimizer = model.optimizer as tf.Optimizer;
    expect(optimizer.getClassName()).toBe('Adam');
    expect(optimizer.getConfig()['learningRate']).toBe(0.001);
    expect(model.loss).toBe('categoricalCrossentropy');
    expect(model.metricsNames).toEqual(['loss', 'acc']);
  });

  it('is seeded', () => {
    const again = spec.build({ window: WINDOW, classes: CLASSES, seed: 5 });
    const other = spec.build({ window: WINDOW, classes: CLASSES, seed: 6 });
    const values = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(values(again)).toEqual(values(model));
    expect(values(other)[0]).not.toEqual(values(model)[0]);
    disposeModel(again);
    disposeModel(other);
  });

  // The MLP has no recurrent layer: this test exists for the three LSTM models only.
  if (name !== 'mlp') {
    it('uses Keras 2 LSTM semantics and initial values', () => {
      const layer = model.layers[0] as tf.layers.Layer;
      const config = layer.getConfig();
      expect(config['units']).toBe(128);
      expect(config['activation']).toBe('tanh');
      expect(config['recurrentActivation']).toBe('hardSigmoid');
      expect(config['unitForgetBias']).toBe(true);
      expect(config['stateful']).toBe(spec.stateful);
      const [kernel, recurrent, bias] = layer.getWeights() as [tf.Tensor, tf.Tensor, tf.Tensor];
      // glorot uniform: |w| ≤ sqrt(6 / (fan_in + fan_out))
      const limit = Math.sqrt(6 / (spec.featuresPerStep + 512));
      expect(Math.max(...Array.from(kernel.dataSync(), Math.abs))).toBeLessThanOrEqual(limit);
      // orthogonal: R Rᵀ = I for the 128×512 recurrent kernel
      const gram = tf.tidy(() => tf.matMul(recurrent, recurrent, false, true).sub(tf.eye(128)).abs().max().dataSync()[0]);
      expect(gram).toBeLessThan(1e-4);
      // bias zeros except the forget gate (second quarter) at 1
      const b = Array.from(bias.dataSync());
      expect(b.slice(0, 128).every((v) => v === 0)).toBe(true);
      expect(b.slice(128, 256).every((v) => v === 1)).toBe(true);
      expect(b.slice(256).every((v) => v === 0)).toBe(true);
    });
  }
});

describe('input encoding', () => {
  const melody = nabiya();
  const vocabulary = buildVocabulary(melody);
  const dataset = makeDataset(melody, vocabulary, 4);

  it('normalises indices by max_idx_value = 13 (mlp: [n, 4]; LSTMs: [n, 4, 1])', () => {
    const x = getModelSpec('mlp').encode(dataset.inputs.slice(0, 2), vocabulary);
    expect(x.shape).toEqual([2, 4]);
    expect(Array.from(x.dataSync())).toEqual(Array.from(Float32Array.from([11, 9, 2, 10, 9, 2, 10, 8].map((i) => i / 13))));
    x.dispose();
    const y = getModelSpec('stateful').encode(dataset.inputs, vocabulary);
    expect(y.shape).toEqual([50, 4, 1]);
    y.dispose();
  });

  it("stateful-2f features of 나비야 equal the tutorial's code2features", () => {
    for (const [code, index] of Object.entries(CODE2IDX)) {
      expect(twoFeatures(index, vocabulary)).toEqual(code2features(code));
    }
    const x = getModelSpec('stateful-2f').encode(dataset.inputs.slice(0, 1), vocabulary);
    expect(x.shape).toEqual([1, 4, 2]);
    expect(Array.from(x.dataSync())).toEqual(Array.from(Float32Array.from(['g8', 'e8', 'e4', 'f8'].flatMap(code2features))));
    x.dispose();
  });

  it('stateful-2f generalises: pitch over the spanned range, rests apart, duration rank', () => {
    const v = buildVocabulary([note('c', 2), note('c', 8, { octave: 5 }), note('f', 4, { alter: 1 }), rest(4)]);
    // 15 pitch columns: the 14 naturals of octaves 4 and 5, plus f#4 between f4 and g4
    expect(v.pitches).toHaveLength(15);
    expect(twoFeatures(indexOfEvent(v, note('c', 2)), v)).toEqual([0, 0]);
    expect(twoFeatures(indexOfEvent(v, note('f', 4, { alter: 1 })), v)).toEqual([4 / 14, 0.5]);
    expect(twoFeatures(indexOfEvent(v, note('b', 8, { octave: 5 })), v)).toEqual([1, 1]);
    expect(twoFeatures(indexOfEvent(v, rest(4)), v)).toEqual([REST_PITCH_FEATURE, 0.5]);
  });
});
