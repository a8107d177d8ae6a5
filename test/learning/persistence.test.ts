import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel, resetStates } from '../../models/common.ts';
import { MODEL_NAMES } from '../../models/registry.ts';
import {
  findCheckpoint,
  loadModel,
  readModelInfo,
  saveCheckpoint,
  saveModel,
  PersistenceError,
} from '../../src/learning/persistence.ts';
import type { ModelInfoInput } from '../../src/learning/persistence.ts';
import { predictFullSong } from '../../src/learning/predict.ts';
import { train } from '../../src/learning/train.ts';
import { schoolBell, startBackend } from './fixtures.ts';

let root: string;
beforeAll(async () => {
  await startBackend();
  root = await mkdtemp(path.join(tmpdir(), 'nabi-persist-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Output probabilities for every training window, from a freshly reset state. */
function probabilities(model: tf.LayersModel, x: tf.Tensor, batchSize: number): number[] {
  resetStates(model);
  const out = tf.tidy(() => Array.from((model.predict(x, { batchSize }) as tf.Tensor).dataSync()));
  resetStates(model);
  return out;
}

describe.each(MODEL_NAMES)('save → load (%s)', (name) => {
  it('gives identical predictions, vocabulary and metadata; checkpoints keep Adam', async () => {
    const trained = await train(schoolBell(), { model: name, epochs: 2, seed: 4 });
    const { model, spec, vocabulary, dataset, window } = trained;
    const input: ModelInfoInput = {
      model: name,
      window,
      seed: trained.seed,
      vocabulary,
      melody: trained.melody,
      epochs: trained.epochs,
      learnedAtEpoch: null,
      history: trained.history,
      backend: trained.backend,
    };
    const dir = path.join(root, name);
    await saveModel(dir, model, input);
    const modelJSON = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(modelJSON.format).toBe('layers-model');
    expect(modelJSON.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(modelJSON.trainingConfig.loss).toBe('categorical_crossentropy');

    const x = spec.encode(dataset.inputs, vocabulary);
    const before = tf.memory().numTensors;
    const loaded = await loadModel(dir);
    expect(loaded.info.vocabulary).toEqual(vocabulary);
    expect(loaded.info.history).toEqual(trained.history);
    expect(loaded.info.melody.events).toEqual(schoolBell().events);
    expect(loaded.info.includesOptimizer).toBe(false);
    expect(loaded.model.inputs[0]?.shape).toEqual(model.inputs[0]?.shape); // stateful keeps batch 1
    expect(probabilities(loaded.model, x, spec.batchSize)).toEqual(probabilities(model, x, spec.batchSize));
    const predictor = { spec, vocabulary, window };
    const start = dataset.indices.slice(0, window);
    expect(predictFullSong({ ...predictor, model: loaded.model }, start, 20, { temperature: 1, seed: 3 })).toEqual(
      predictFullSong({ ...predictor, model }, start, 20, { temperature: 1, seed: 3 }),
    );
    disposeModel(loaded.model);
    expect(tf.memory().numTensors).toBe(before);

    // A checkpoint also restores Adam's iteration count and moments.
    const checkpointDir = await saveCheckpoint(path.join(root, `${name}-ckpt`), model, input);
    expect(await findCheckpoint(path.join(root, `${name}-ckpt`))).toBe(checkpointDir);
    const resumed = await loadModel(checkpointDir);
    expect(resumed.info.includesOptimizer).toBe(true);
    const adamState = async (m: tf.LayersModel): Promise<number[][]> => {
      const weights = await (m.optimizer as tf.Optimizer).getWeights();
      const values = weights.map((w) => Array.from(w.tensor.dataSync()));
      tf.dispose(weights.filter((w) => w.name === 'iter').map((w) => w.tensor));
      return values;
    };
    const original = await adamState(model);
    expect(original[0]).toEqual([trained.epochs * Math.ceil(dataset.rows.length / spec.batchSize)]);
    expect(await adamState(resumed.model)).toEqual(original);
    disposeModel(resumed.model);
    x.dispose();
    disposeModel(model);
  }, 60_000);
});

describe('persistence errors', () => {
  it('says what is missing or wrong', async () => {
    await expect(readModelInfo(path.join(root, 'nowhere'))).rejects.toThrow(/no saved model in .*nowhere \(nabi\.json is missing\)/);
    expect(await findCheckpoint(path.join(root, 'nowhere'))).toBeNull();
    const trained = await train(schoolBell(), { model: 'mlp', epochs: 1 });
    const bad = path.join(root, 'bad');
    await saveModel(bad, trained.model, {
      model: 'mlp',
      window: 4,
      seed: 5,
      vocabulary: trained.vocabulary,
      melody: trained.melody,
      epochs: 1,
      learnedAtEpoch: null,
      history: trained.history,
      backend: trained.backend,
    });
    disposeModel(trained.model);
    await writeFile(path.join(bad, 'weights.bin'), new Uint8Array(12));
    await expect(loadModel(bad)).rejects.toThrow(PersistenceError);
    await expect(loadModel(bad)).rejects.toThrow(/weights\.bin has 12 bytes/);
    const info = JSON.parse(await readFile(path.join(bad, 'nabi.json'), 'utf8'));
    await writeFile(path.join(bad, 'nabi.json'), JSON.stringify({ ...info, model: 'gru' }));
    await expect(readModelInfo(bad)).rejects.toThrow(/unknown model gru/);
    await writeFile(path.join(bad, 'nabi.json'), '{');
    await expect(readModelInfo(bad)).rejects.toThrow(/not valid JSON/);
  }, 30_000);
});
