// The one data model every other part of Nabi speaks: a monophonic melody as an ordered list
// of notes and rests. Parsers (tokens, ABC, MIDI) produce it; learning, pictures and sound consume it.

/** Pitch letters in scale order; the index is the tutorial's `code2scale`. */
export const STEPS = ['c', 'd', 'e', 'f', 'g', 'a', 'b'] as const;
export type Step = (typeof STEPS)[number];

/** -2 = double flat … +2 = double sharp. */
export type Alter = -2 | -1 | 0 | 1 | 2;

/** Note values as the denominator of a whole note: 4 = quarter, 8 = eighth (the tutorial's codes). */
export const NOTE_VALUES = [1, 2, 4, 8, 16] as const;
export type NoteValue = (typeof NOTE_VALUES)[number];

export interface Duration {
  readonly value: NoteValue;
  readonly dotted: boolean;
}

/** Scientific pitch: octave 4 holds middle C (MIDI 60); the tutorial's `g8` is G4. */
export interface Pitch {
  readonly step: Step;
  readonly alter: Alter;
  readonly octave: number;
}

export interface Note {
  readonly kind: 'note';
  readonly pitch: Pitch;
  readonly duration: Duration;
}

export interface Rest {
  readonly kind: 'rest';
  readonly duration: Duration;
}

export type MelodyEvent = Note | Rest;

export interface TimeSignature {
  readonly beats: number;
  readonly beatValue: NoteValue;
}

export interface Melody {
  readonly events: readonly MelodyEvent[];
  readonly title?: string;
  /** Quarter notes per minute. */
  readonly tempo?: number;
  readonly timeSignature?: TimeSignature;
  /** Key as written in ABC's K: field, e.g. "G" or "Dm"; informational once events are spelled out. */
  readonly key?: string;
}

/** Semitone offset of each step above C. */
const STEP_SEMITONES: Readonly<Record<Step, number>> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

export function midiNumber(pitch: Pitch): number {
  return (pitch.octave + 1) * 12 + STEP_SEMITONES[pitch.step] + pitch.alter;
}

/** Length in quarter notes: a quarter is 1, a dotted eighth 0.75. */
export function quarterLength(duration: Duration): number {
  const base = 4 / duration.value;
  return duration.dotted ? base * 1.5 : base;
}

export function note(step: Step, value: NoteValue, options: { alter?: Alter; octave?: number; dotted?: boolean } = {}): Note {
  return {
    kind: 'note',
    pitch: { step, alter: options.alter ?? 0, octave: options.octave ?? 4 },
    duration: { value, dotted: options.dotted ?? false },
  };
}

export function rest(value: NoteValue, dotted = false): Rest {
  return { kind: 'rest', duration: { value, dotted } };
}
