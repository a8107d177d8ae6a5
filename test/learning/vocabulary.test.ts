import { describe, expect, it } from 'vitest';
import { note, rest } from '../../src/music/melody.ts';
import type { MelodyEvent } from '../../src/music/melody.ts';
import {
  buildVocabulary,
  decodeIndices,
  encodeEvents,
  eventAt,
  indexOfEvent,
  sameVocabulary,
  vocabularyFromJSON,
  VocabularyError,
} from '../../src/learning/vocabulary.ts';
import { formatEvent } from '../../src/music/token.ts';
import { CODE2IDX, codeToEvent, NABIYA_CODES, nabiya } from './fixtures.ts';

describe('vocabulary of 나비야', () => {
  const vocabulary = buildVocabulary(nabiya());

  it("is the tutorial's code2idx, in order", () => {
    const expected = Object.entries(CODE2IDX).sort((a, b) => a[1] - b[1]).map(([code]) => code);
    expect(vocabulary.tokens).toEqual(expected);
    for (const [code, index] of Object.entries(CODE2IDX)) {
      expect(indexOfEvent(vocabulary, codeToEvent(code))).toBe(index);
      expect(formatEvent(eventAt(vocabulary, index))).toBe(code);
    }
  });

  it('has size 14, maxIndex 13 (max_idx_value) and 12 classes (one_hot_vec_size)', () => {
    expect(vocabulary.size).toBe(14);
    expect(vocabulary.maxIndex).toBe(13);
    expect(vocabulary.classes).toBe(12);
  });

  it('round-trips the melody and JSON', () => {
    const indices = encodeEvents(vocabulary, nabiya().events);
    expect(indices.slice(0, 5)).toEqual([11, 9, 2, 10, 8]);
    expect(decodeIndices(vocabulary, indices).map(formatEvent)).toEqual([...NABIYA_CODES]);
    const copy = vocabularyFromJSON(JSON.parse(JSON.stringify(vocabulary)));
    expect(copy).toEqual(vocabulary);
    expect(sameVocabulary(copy, vocabulary)).toBe(true);
  });
});

describe('vocabulary generalised', () => {
  // Octaves 4–5, a sharp, a dotted quarter, and rests.
  const events: MelodyEvent[] = [
    note('c', 4),
    note('c', 8, { alter: 1 }),
    note('e', 8, { octave: 5 }),
    rest(8),
    note('g', 4, { dotted: true }),
    note('a', 8),
  ];
  const vocabulary = buildVocabulary(events);

  it('orders durations longest first and pitches ascending over the spanned octaves, rest last', () => {
    expect(vocabulary.durations).toEqual([
      { value: 4, dotted: true },
      { value: 4, dotted: false },
      { value: 8, dotted: false },
    ]);
    const columns = vocabulary.pitches.map((p) => `${p.step}${p.alter === 1 ? '#' : ''}${p.octave}`);
    expect(columns).toEqual(['c4', 'c#4', 'd4', 'e4', 'f4', 'g4', 'a4', 'b4', 'c5', 'd5', 'e5', 'f5', 'g5', 'a5', 'b5']);
    expect(vocabulary.hasRest).toBe(true);
    expect(vocabulary.size).toBe(3 * 16);
    expect(vocabulary.tokens.slice(0, 3)).toEqual(['c4.', 'c#4.', 'd4.']);
    expect(vocabulary.tokens[15]).toBe('r4.');
    expect(indexOfEvent(vocabulary, rest(8))).toBe(2 * 16 + 15);
    expect(indexOfEvent(vocabulary, note('e', 8, { octave: 5 }))).toBe(2 * 16 + 10);
    expect(vocabulary.classes).toBe(2 * 16 + 15 + 1); // the rest r8 is the highest index used
  });

  it('names the unknown token and what the model knows', () => {
    expect(() => indexOfEvent(vocabulary, note('d', 16), 7)).toThrow(VocabularyError);
    expect(() => indexOfEvent(vocabulary, note('d', 16), 7)).toThrow(/"d16" \(note 8\).*lengths 4\., 4, 8.*c4–b5 and rests/);
    expect(() => eventAt(vocabulary, vocabulary.size)).toThrow(/outside the vocabulary/);
  });

  it('rejects empty and rest-only melodies and malformed JSON', () => {
    expect(() => buildVocabulary([])).toThrow(/empty/);
    expect(() => buildVocabulary([rest(4), rest(8)])).toThrow(/only rests/);
    expect(() => vocabularyFromJSON({ ...vocabulary, classes: 999 })).toThrow(/classes/);
    expect(() => vocabularyFromJSON({ ...vocabulary, tokens: ['x'] })).toThrow(/tokens/);
    expect(() => vocabularyFromJSON(null)).toThrow(VocabularyError);
  });
});
