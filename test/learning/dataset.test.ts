import { describe, expect, it } from 'vitest';
import { DatasetError, makeDataset, windowsOf } from '../../src/learning/dataset.ts';
import { buildVocabulary } from '../../src/learning/vocabulary.ts';
import { melodyOf, nabiya } from './fixtures.ts';

describe("seq2dataset on 나비야 (window 4) = the tutorial's printed dataset", () => {
  const melody = nabiya();
  const dataset = makeDataset(melody, buildVocabulary(melody), 4);

  it('has shape (50, 5)', () => {
    expect(dataset.rows).toHaveLength(50);
    for (const row of dataset.rows) expect(row).toHaveLength(5);
  });

  it('starts and ends with the printed rows', () => {
    expect(dataset.rows.slice(0, 3)).toEqual([
      [11, 9, 2, 10, 8],
      [9, 2, 10, 8, 1],
      [2, 10, 8, 1, 7],
    ]);
    expect(dataset.rows.slice(-3)).toEqual([
      [7, 9, 11, 11, 9],
      [9, 11, 11, 9, 9],
      [11, 11, 9, 9, 2],
    ]);
  });

  it('splits rows into inputs and targets (train_X, train_Y)', () => {
    expect(dataset.inputs[0]).toEqual([11, 9, 2, 10]);
    expect(dataset.targets.slice(0, 3)).toEqual([8, 1, 7]);
    expect(dataset.targets).toHaveLength(50);
    expect(Math.max(...dataset.targets)).toBe(11);
  });
});

describe('dataset errors', () => {
  const vocabulary = buildVocabulary(nabiya());

  it('rejects windows outside 1–16 and fractions', () => {
    for (const window of [0, 17, 2.5, Number.NaN]) {
      expect(() => makeDataset(nabiya(), vocabulary, window)).toThrow(DatasetError);
    }
    expect(() => windowsOf([1, 2, 3], 0)).toThrow(/window must be a whole number from 1 to 16 \(got 0\)/);
  });

  it('needs window + 1 notes', () => {
    const short = melodyOf(['g8', 'e8', 'e4', 'f8']);
    expect(() => makeDataset(short, vocabulary, 4)).toThrow(/has 4 notes, but window 4 needs at least 5/);
    expect(makeDataset(short, vocabulary, 3).rows).toEqual([[11, 9, 2, 10]]);
    expect(makeDataset(short, vocabulary, 1).rows).toHaveLength(3);
  });
});
