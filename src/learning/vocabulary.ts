// The learning vocabulary: which index stands for which note.
//
// The tutorial's dictionary is a grid — one row per note length, one column per pitch letter:
//   code2idx = {'c4':0, 'd4':1, … 'b4':6, 'c8':7, … 'b8':13}
// We generalise the same grid to any melody:
//   rows    = the durations present in the melody, longest first (4 before 8, a dotted 4 before 4);
//   columns = the 7 natural pitches of every octave the melody's notes span, plus every altered
//             pitch that occurs, in ascending pitch order; then one rest column when rests occur.
// index = row × columns + column. For 나비야 (quarters and eighths, naturals of octave 4) that is
// exactly the tutorial's c4 … b4 = 0–6, c8 … b8 = 7–13.
//
// Inputs are normalised by maxIndex = size − 1 (the tutorial's max_idx_value = 13) and the output
// layer has `classes` = highest index occurring in the melody + 1 units (what keras's
// to_categorical gives: the tutorial's one_hot_vec_size = 12, because g8 = 11 is the highest).
//
// A Vocabulary is plain JSON-serialisable data; lookups go through the functions below.

import { midiNumber, NOTE_VALUES, quarterLength, STEPS } from '../music/melody.ts';
import type { Duration, Melody, MelodyEvent, Pitch } from '../music/melody.ts';
import { formatDuration, formatEvent, formatPitch } from '../music/token.ts';

export interface Vocabulary {
  readonly version: 1;
  /** Grid rows: note lengths present in the training melody, longest first. */
  readonly durations: readonly Duration[];
  /** Grid columns (notes): naturals of every spanned octave plus altered pitches that occur, ascending. */
  readonly pitches: readonly Pitch[];
  /** Whether the grid has a final rest column. */
  readonly hasRest: boolean;
  /** index → canonical token (`formatEvent`), e.g. tokens[11] = 'g8'. */
  readonly tokens: readonly string[];
  /** Number of grid cells (= tokens.length). */
  readonly size: number;
  /** size − 1: the divisor that normalises an index into [0, 1]. */
  readonly maxIndex: number;
  /** Output classes: highest index occurring in the training melody + 1. */
  readonly classes: number;
}

export class VocabularyError extends Error {
  override name = 'VocabularyError';
}

function eventsOf(melody: Melody | readonly MelodyEvent[]): readonly MelodyEvent[] {
  return Array.isArray(melody) ? (melody as readonly MelodyEvent[]) : (melody as Melody).events;
}

function durationKey(d: Duration): string {
  return formatDuration(d);
}

function pitchKey(p: Pitch): string {
  return `${formatPitch(p)}${p.octave}`;
}

function diatonic(p: Pitch): number {
  return p.octave * 7 + STEPS.indexOf(p.step);
}

function comparePitches(a: Pitch, b: Pitch): number {
  return midiNumber(a) - midiNumber(b) || diatonic(a) - diatonic(b) || a.alter - b.alter;
}

function cellEvent(duration: Duration, pitch: Pitch | null): MelodyEvent {
  return pitch === null ? { kind: 'rest', duration } : { kind: 'note', pitch, duration };
}

function gridTokens(durations: readonly Duration[], pitches: readonly Pitch[], hasRest: boolean): string[] {
  const tokens: string[] = [];
  for (const duration of durations) {
    for (const pitch of pitches) tokens.push(formatEvent(cellEvent(duration, pitch)));
    if (hasRest) tokens.push(formatEvent(cellEvent(duration, null)));
  }
  return tokens;
}

/** Builds the vocabulary of a training melody (see the header for the layout). */
export function buildVocabulary(melody: Melody | readonly MelodyEvent[]): Vocabulary {
  const events = eventsOf(melody);
  if (events.length === 0) throw new VocabularyError('the melody is empty: there is nothing to learn');
  const notes = events.filter((e) => e.kind === 'note');
  if (notes.length === 0) throw new VocabularyError('the melody has only rests: there is nothing to learn');

  const durationMap = new Map<string, Duration>();
  for (const e of events) {
    durationMap.set(durationKey(e.duration), { value: e.duration.value, dotted: e.duration.dotted });
  }
  const durations = [...durationMap.values()].sort((a, b) => quarterLength(b) - quarterLength(a));

  const octaves = notes.map((n) => n.pitch.octave);
  const lowOctave = Math.min(...octaves);
  const highOctave = Math.max(...octaves);
  const pitchMap = new Map<string, Pitch>();
  for (let octave = lowOctave; octave <= highOctave; octave++) {
    for (const step of STEPS) {
      const pitch: Pitch = { step, alter: 0, octave };
      pitchMap.set(pitchKey(pitch), pitch);
    }
  }
  for (const n of notes) {
    const { step, alter, octave } = n.pitch;
    pitchMap.set(pitchKey(n.pitch), { step, alter, octave });
  }
  const pitches = [...pitchMap.values()].sort(comparePitches);
  const hasRest = events.some((e) => e.kind === 'rest');

  const partial = makeVocabulary(durations, pitches, hasRest, 1);
  const highest = Math.max(...events.map((e) => indexOfEvent(partial, e)));
  return makeVocabulary(durations, pitches, hasRest, highest + 1);
}

function makeVocabulary(
  durations: readonly Duration[],
  pitches: readonly Pitch[],
  hasRest: boolean,
  classes: number,
): Vocabulary {
  const tokens = gridTokens(durations, pitches, hasRest);
  return { version: 1, durations, pitches, hasRest, tokens, size: tokens.length, maxIndex: tokens.length - 1, classes };
}

const lookupCache = new WeakMap<Vocabulary, Map<string, number>>();

function lookup(vocabulary: Vocabulary): Map<string, number> {
  let map = lookupCache.get(vocabulary);
  if (map === undefined) {
    map = new Map(vocabulary.tokens.map((token, index) => [token, index]));
    lookupCache.set(vocabulary, map);
  }
  return map;
}

/** Number of grid columns (pitches, plus the rest column if any). */
export function columnCount(vocabulary: Vocabulary): number {
  return vocabulary.pitches.length + (vocabulary.hasRest ? 1 : 0);
}

export function hasEvent(vocabulary: Vocabulary, event: MelodyEvent): boolean {
  return lookup(vocabulary).has(formatEvent(event));
}

/** Index of an event; a clear error when the model never saw that pitch or length. */
export function indexOfEvent(vocabulary: Vocabulary, event: MelodyEvent, position?: number): number {
  const token = formatEvent(event);
  const index = lookup(vocabulary).get(token);
  if (index === undefined) {
    const where = position === undefined ? '' : ` (note ${position + 1})`;
    const lengths = vocabulary.durations.map(formatDuration).join(', ');
    const low = vocabulary.pitches[0];
    const high = vocabulary.pitches[vocabulary.pitches.length - 1];
    const range = low && high ? `${pitchKey(low)}–${pitchKey(high)}` : 'none';
    throw new VocabularyError(
      `"${token}"${where} is not in this model's vocabulary: it knows note lengths ${lengths}, ` +
        `pitches ${range}${vocabulary.hasRest ? ' and rests' : ' and no rests'}`,
    );
  }
  return index;
}

export function encodeEvents(vocabulary: Vocabulary, events: readonly MelodyEvent[]): number[] {
  return events.map((e, i) => indexOfEvent(vocabulary, e, i));
}

/** The event an index stands for (row = duration, column = pitch or rest). */
export function eventAt(vocabulary: Vocabulary, index: number): MelodyEvent {
  if (!Number.isInteger(index) || index < 0 || index >= vocabulary.size) {
    throw new VocabularyError(`index ${index} is outside the vocabulary (0–${vocabulary.maxIndex})`);
  }
  const cols = columnCount(vocabulary);
  const duration = vocabulary.durations[Math.floor(index / cols)] as Duration;
  const pitch = vocabulary.pitches[index % cols] ?? null;
  return cellEvent(duration, pitch);
}

export function decodeIndices(vocabulary: Vocabulary, indices: readonly number[]): MelodyEvent[] {
  return indices.map((i) => eventAt(vocabulary, i));
}

/** Row (duration rank, 0 = longest) and column (pitch rank, or pitches.length for a rest) of an index. */
export function gridPosition(vocabulary: Vocabulary, index: number): { row: number; column: number } {
  const cols = columnCount(vocabulary);
  return { row: Math.floor(index / cols), column: index % cols };
}

/** Validates parsed JSON (e.g. from nabi.json) and rebuilds a Vocabulary from its grid. */
export function vocabularyFromJSON(json: unknown): Vocabulary {
  const fail = (why: string): never => {
    throw new VocabularyError(`invalid vocabulary: ${why}`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const v = json as Record<string, unknown>;
  if (v['version'] !== 1) fail(`unsupported version ${String(v['version'])}`);
  if (!Array.isArray(v['durations']) || !Array.isArray(v['pitches'])) return fail('missing durations or pitches');
  const durations = (v['durations'] as unknown[]).map((d): Duration => {
    const r = d as Record<string, unknown>;
    if (!NOTE_VALUES.includes(r['value'] as never) || typeof r['dotted'] !== 'boolean') fail('bad duration');
    return { value: r['value'] as Duration['value'], dotted: r['dotted'] as boolean };
  });
  const pitches = (v['pitches'] as unknown[]).map((p): Pitch => {
    const r = p as Record<string, unknown>;
    if (!STEPS.includes(r['step'] as never) || ![-2, -1, 0, 1, 2].includes(r['alter'] as number)) fail('bad pitch');
    if (!Number.isInteger(r['octave'])) fail('bad octave');
    return { step: r['step'] as Pitch['step'], alter: r['alter'] as Pitch['alter'], octave: r['octave'] as number };
  });
  const hasRest = v['hasRest'] === true;
  const classes = v['classes'];
  const vocabulary = makeVocabulary(durations, pitches, hasRest, typeof classes === 'number' ? classes : 0);
  if (!Number.isInteger(classes) || vocabulary.classes < 1 || vocabulary.classes > vocabulary.size) {
    fail(`classes ${String(classes)} out of range 1–${vocabulary.size}`);
  }
  if (Array.isArray(v['tokens']) && JSON.stringify(v['tokens']) !== JSON.stringify(vocabulary.tokens)) {
    fail('tokens do not match the duration × pitch grid');
  }
  return vocabulary;
}

/** True when two vocabularies assign the same indices and classes. */
export function sameVocabulary(a: Vocabulary, b: Vocabulary): boolean {
  return a.classes === b.classes && JSON.stringify(a.tokens) === JSON.stringify(b.tokens);
}
