import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel } from '../../models/common.ts';
import { predictFullSong } from '../../src/learning/predict.ts';
import { train, TrainingError } from '../../src/learning/train.ts';
import type { EpochReport } from '../../src/learning/train.ts';
import { melodyOf, nabiya, schoolBell, SCHOOL_BELL_CODES, startBackend } from './fixtures.ts';

let root: string;
beforeAll(async () => {
  await startBackend();
  root = await mkdtemp(path.join(tmpdir(), 'nabi-train-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('train', () => {
  it('reports every epoch (1-based) with loss, accuracy and timings', async () => {
    const reports: EpochReport[] = [];
    const result = await train(nabiya(), { model: 'mlp', epochs: 3, onEpoch: async (r) => void reports.push(r) });
    expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(reports.every((r) => r.epochs === 3 && r.loss > 0 && r.accuracy >= 0 && r.accuracy <= 1 && r.epochMs > 0)).toBe(true);
    expect(reports[2]!.elapsedMs).toBeGreaterThan(reports[0]!.elapsedMs);
    expect(result.history.loss).toEqual(reports.map((r) => r.loss));
    expect(result.history.loss[2]).toBeLessThan(result.history.loss[0]!);
    expect(result).toMatchObject({ epochs: 3, startEpoch: 0, stopReason: 'epochs', cancelled: false, seed: 5, window: 4 });
    disposeModel(result.model);
  });

  it('is reproducible with a seed, shuffling included', async () => {
    const a = await train(nabiya(), { model: 'mlp', epochs: 3, seed: 21 });
    const b = await train(nabiya(), { model: 'mlp', epochs: 3, seed: 21 });
    expect(b.history).toEqual(a.history);
    disposeModel(a.model);
    disposeModel(b.model);
  });

  it('leaves no tensors behind: build, fit, checks, checkpoint, dispose', async () => {
    const before = tf.memory().numTensors;
    const result = await train(schoolBell(), {
      model: 'stateful',
      epochs: 3,
      checkEvery: 1,
      checkpoint: { dir: path.join(root, 'leak'), every: 2 },
    });
    disposeModel(result.model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates its options with clear messages', async () => {
    await expect(train(nabiya(), { epochs: 0 })).rejects.toThrow(/epochs must be a whole number from 1/);
    await expect(train(nabiya(), { window: 20 })).rejects.toThrow(/window must be a whole number from 1 to 16/);
    await expect(train(nabiya(), { seed: -1 })).rejects.toThrow(/seed must be an integer/);
    await expect(train(melodyOf(['g8', 'e8']), {})).rejects.toThrow(/has 2 notes, but window 4 needs at least 5/);
    await expect(train(nabiya(), { model: 'gru' as never })).rejects.toThrow(/choose one of mlp, lstm, stateful, stateful-2f/);
  });
});

describe('cancellation', () => {
  it('stops at the epoch end when aborted from the progress callback', async () => {
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const result = await train(nabiya(), {
      model: 'mlp',
      epochs: 50,
      signal: controller.signal,
      onEpoch: (r) => {
        if (r.epoch === 2) controller.abort();
      },
    });
    expect(result).toMatchObject({ epochs: 2, cancelled: true, stopReason: 'cancelled' });
    expect(result.history.loss).toHaveLength(2);
    disposeModel(result.model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops after the current batch when aborted mid-epoch, without counting the partial epoch', async () => {
    const controller = new AbortController();
    const result = await train(nabiya(), {
      model: 'stateful',
      epochs: 20,
      signal: controller.signal,
      // fires during epoch 2, at the training loop's next yield to the event loop
      onEpoch: (r) => void (r.epoch === 1 && setTimeout(() => controller.abort(), 0)),
    });
    expect(result).toMatchObject({ epochs: 1, cancelled: true, stopReason: 'cancelled' });
    disposeModel(result.model);
  }, 60_000);

  it('does not train at all with an already aborted signal', async () => {
    const result = await train(nabiya(), { model: 'mlp', epochs: 5, signal: AbortSignal.abort() });
    expect(result).toMatchObject({ epochs: 0, cancelled: true });
    disposeModel(result.model);
  });
});

describe('checkpoints', () => {
  it.each(['mlp', 'stateful'] as const)('%s: resuming continues the epoch count and history like an uninterrupted run', async (model) => {
    const melody = schoolBell();
    const straight = await train(melody, { model, epochs: 4, seed: 8 });
    disposeModel(straight.model);

    const dir = path.join(root, `ckpt-${model}`);
    const first = await train(melody, { model, epochs: 2, seed: 8, checkpoint: { dir, every: 1 } });
    disposeModel(first.model);
    expect(first.lastCheckpoint).toBe(path.join(dir, 'epoch-000002'));
    expect((await readdir(dir)).sort()).toEqual(['checkpoint.json', 'epoch-000002']);

    const reported: number[] = [];
    const second = await train(melody, { epochs: 4, resumeFrom: dir, onEpoch: (r) => void reported.push(r.epoch) });
    expect(reported).toEqual([3, 4]);
    expect(second).toMatchObject({ startEpoch: 2, epochs: 4, seed: 8, stopReason: 'epochs' });
    expect(second.spec.name).toBe(model);
    expect(second.history.loss).toHaveLength(4);
    expect(second.history.loss.slice(0, 2)).toEqual(straight.history.loss.slice(0, 2));
    for (let i = 2; i < 4; i++) expect(second.history.loss[i]).toBeCloseTo(straight.history.loss[i]!, 4);
    disposeModel(second.model);
  }, 60_000);

  it('refuses to resume with another melody or model', async () => {
    const dir = path.join(root, 'ckpt-mlp');
    await expect(train(nabiya(), { epochs: 6, resumeFrom: dir })).rejects.toThrow(TrainingError);
    await expect(train(nabiya(), { epochs: 6, resumeFrom: dir })).rejects.toThrow(/trained with a different melody/);
    await expect(train(schoolBell(), { epochs: 6, model: 'lstm', resumeFrom: dir })).rejects.toThrow(/model mlp, not lstm/);
    await expect(train(schoolBell(), { epochs: 6, resumeFrom: path.join(root, 'none') })).rejects.toThrow(/nothing to resume/);
  });
});

describe('untilLearned', () => {
  it('teaches the stateful model 학교종 until it sings it back exactly', async () => {
    const before = tf.memory().numTensors;
    const started = performance.now();
    const result = await train(schoolBell(), { model: 'stateful', seed: 3, epochs: 400, untilLearned: true });
    const seconds = (performance.now() - started) / 1000;
    console.log(`[nabi] stateful learned 학교종 (${SCHOOL_BELL_CODES.length} notes) at epoch ${result.learnedAtEpoch} on ${result.backend} in ${seconds.toFixed(1)} s`);
    expect(result.stopReason).toBe('learned');
    expect(result.learnedAtEpoch).not.toBeNull();
    expect(result.learnedAtEpoch).toBeLessThanOrEqual(400);
    expect(result.learnedAtEpoch! % 10).toBe(0);
    expect(result.epochs).toBe(result.learnedAtEpoch);
    const { model, spec, vocabulary, window, dataset } = result;
    const sung = predictFullSong({ model, spec, vocabulary, window }, dataset.indices.slice(0, 4), dataset.indices.length - 4);
    expect(sung).toEqual(dataset.indices.slice(4));
    disposeModel(model);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});
