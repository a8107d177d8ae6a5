import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeMelody, learnMelody, loadModel, disposeModel } from '../../src/learning/engine.ts';
import type { LearnResult } from '../../src/learning/engine.ts';
import { formatEvent } from '../../src/music/token.ts';
import { melodyOf, NABIYA_CODES, nabiya, startBackend } from './fixtures.ts';

let root: string;
let result: LearnResult;
let dir: string;
let tensorsAtStart: number;

beforeAll(async () => {
  await startBackend();
  root = await mkdtemp(path.join(tmpdir(), 'nabi-engine-'));
  dir = path.join(root, 'stateful');
  tensorsAtStart = tf.memory().numTensors;
  result = await learnMelody(nabiya(), { model: 'stateful', epochs: 2, seed: 5, saveTo: dir });
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('learnMelody', () => {
  it('returns plain data describing the run', () => {
    expect(structuredClone(result)).toEqual(result);
    expect(result).toMatchObject({
      model: 'stateful',
      window: 4,
      seed: 5,
      epochs: 2,
      startEpoch: 0,
      learnedAtEpoch: null,
      stopReason: 'epochs',
      cancelled: false,
      parameters: 66560 + 1548,
      vocabularySize: 14,
      classes: 12,
      savedTo: dir,
    });
    expect(['tensorflow', 'wasm', 'cpu']).toContain(result.backend);
    expect(result.history.loss).toHaveLength(2);
    expect(result.finalLoss).toBe(result.history.loss[1]);
    expect(result.trainAccuracy).toBeGreaterThanOrEqual(0);
    expect(result.trainAccuracy).toBeLessThanOrEqual(1);
    expect(result.trainLoss).toBeGreaterThan(0);
    expect(result.seconds).toBeGreaterThan(0);
  });

  it("reports one-step and full-song predictions like the tutorial's seq_out", () => {
    for (const part of [result.oneStep, result.fullSong]) {
      expect(part.notes).toHaveLength(54);
      expect(part.tokens.slice(0, 4)).toEqual(['g8', 'e8', 'e4', 'f8']);
      expect(part.tokens).toEqual(part.notes.map(formatEvent));
      const wrong = part.tokens.slice(4).filter((t, i) => t !== NABIYA_CODES[i + 4]).length;
      expect(part.wrong).toHaveLength(wrong);
      expect(part.accuracy).toBeCloseTo(1 - wrong / 50, 10);
      for (const w of part.wrong) expect(w.expected).toBe(NABIYA_CODES[w.index]);
    }
    expect(result.fullSong.exact).toBe(result.fullSong.wrong.length === 0);
  });

  it('leaves no tensors behind', () => {
    expect(tf.memory().numTensors).toBe(tensorsAtStart);
  });
});

describe('completeMelody', () => {
  it('sings the saved song from its first notes exactly as after training, without leaks', async () => {
    const before = tf.memory().numTensors;
    const song = await completeMelody(dir);
    expect(structuredClone(song)).toEqual(song);
    expect(song.tokens).toEqual(result.fullSong.tokens);
    expect(song.fullSong).toEqual({
      accuracy: result.fullSong.accuracy,
      exact: result.fullSong.exact,
      compared: 50,
      wrong: result.fullSong.wrong,
    });
    expect(song.oneStep).toEqual(result.oneStep);
    expect(song).toMatchObject({ model: 'stateful', start: 0, temperature: 0, epochs: 2, learnedAtEpoch: null });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts anywhere, samples reproducibly, and accepts own start notes', async () => {
    const loaded = await loadModel(dir);
    const a = await completeMelody(loaded, { start: 10, length: 8, temperature: 1.2, seed: 9 });
    const b = await completeMelody(loaded, { start: 10, length: 8, temperature: 1.2, seed: 9 });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens.slice(0, 4)).toEqual(NABIYA_CODES.slice(10, 14));
    expect(a.tokens).toHaveLength(12);
    expect(a.fullSong?.compared).toBe(8);
    expect(a.fullSong?.wrong.every((w) => w.index >= 14 && w.index < 22)).toBe(true);
    const own = await completeMelody(loaded, { start: melodyOf(['c8', 'd8', 'e8', 'f8']).events, length: 5 });
    expect(own.start).toBeNull();
    expect(own.fullSong).toBeNull();
    expect(own.tokens.slice(0, 4)).toEqual(['c8', 'd8', 'e8', 'f8']);
    expect(own.tokens).toHaveLength(9);
    disposeModel(loaded.model);
  });

  it('explains bad requests', async () => {
    await expect(completeMelody(dir, { start: 51 })).rejects.toThrow(/start must be a note position from 0 to 50/);
    await expect(completeMelody(dir, { start: melodyOf(['c8', 'd8']).events })).rejects.toThrow(/exactly 4 start notes/);
    await expect(completeMelody(dir, { start: melodyOf(['c8', 'd8', 'e8', 'a16']).events })).rejects.toThrow(/"a16" \(note 4\) is not in this model's vocabulary/);
    await expect(completeMelody(dir, { temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(completeMelody(dir, { length: 5000 })).rejects.toThrow(/length must be/);
    await expect(completeMelody(path.join(root, 'missing'))).rejects.toThrow(/no saved model/);
  });
});
