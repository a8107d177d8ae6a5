// Test fixtures: 나비야 exactly as the tutorial lists it, built with note() so the learning tests do
// not depend on the notation parsers, plus a short melody for quick learning runs.

import { note, rest } from '../../src/music/melody.ts';
import type { Melody, MelodyEvent, NoteValue, Step } from '../../src/music/melody.ts';
import { initBackend } from '../../src/learning/backend.ts';

/** The tutorial's `seq`. */
export const NABIYA_CODES = [
  'g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'd8', 'e8', 'f8', 'g8', 'g8', 'g4',
  'g8', 'e8', 'e8', 'e8', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4',
  'd8', 'd8', 'd8', 'd8', 'd8', 'e8', 'f4', 'e8', 'e8', 'e8', 'e8', 'e8', 'f8', 'g4',
  'g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4',
] as const;

/** The tutorial's code2idx. */
export const CODE2IDX: Readonly<Record<string, number>> = {
  c4: 0, d4: 1, e4: 2, f4: 3, g4: 4, a4: 5, b4: 6,
  c8: 7, d8: 8, e8: 9, f8: 10, g8: 11, a8: 12, b8: 13,
};

/** The tutorial's code2features: [code2scale[letter] / 6, code2length[digit]]. */
export function code2features(code: string): [number, number] {
  const scale: Record<string, number> = { c: 0, d: 1, e: 2, f: 3, g: 4, a: 5, b: 6 };
  const length: Record<string, number> = { '4': 0, '8': 1 };
  return [(scale[code[0] as string] as number) / 6.0, length[code[1] as string] as number];
}

/** A tutorial code ("g8", "e4", "r4") as an event in octave 4. */
export function codeToEvent(code: string): MelodyEvent {
  const value = Number(code.slice(1)) as NoteValue;
  if (code[0] === 'r') return rest(value);
  return note(code[0] as Step, value);
}

export function melodyOf(codes: readonly string[], title?: string): Melody {
  const events = codes.map(codeToEvent);
  return title === undefined ? { events } : { title, events };
}

export const nabiya = (): Melody => melodyOf(NABIYA_CODES, '나비야');

/** 학교종 (the school bell), first two phrases: 12 notes, 8 windows of 4. */
export const SCHOOL_BELL_CODES = ['g8', 'g8', 'a8', 'a8', 'g8', 'g8', 'e4', 'g8', 'g8', 'e8', 'e8', 'd4'] as const;
export const schoolBell = (): Melody => melodyOf(SCHOOL_BELL_CODES, '학교종');

/** Every test file starts the backend the way the product does (NABI_TF_BACKEND or automatic). */
export function startBackend(): ReturnType<typeof initBackend> {
  return initBackend();
}
