// Predicted notes against the original, as the tutorial's scores with wrong notes boxed in red.

import type { MelodyEvent } from '../music/melody.ts';
import { formatEvent } from '../music/token.ts';

export interface WrongNote {
  /** Position in the melody (0 = its first note). */
  readonly index: number;
  /** Original note's token, e.g. "d8". */
  readonly expected: string;
  /** Predicted note's token. */
  readonly got: string;
}

export interface Comparison {
  /** Positions compared: min(expected, got). */
  readonly total: number;
  readonly correct: number;
  /** correct / total (1 when nothing was compared). */
  readonly accuracy: number;
  /** Every compared note right and nothing missing. */
  readonly exact: boolean;
  readonly wrong: readonly WrongNote[];
}

/**
 * Compares `got` with `expected` position by position; `offset` is the melody position of their
 * first element (e.g. the window size, when comparing predictions that follow the start notes).
 */
export function compareEvents(
  expected: readonly MelodyEvent[],
  got: readonly MelodyEvent[],
  offset = 0,
): Comparison {
  return compareTokens(expected.map(formatEvent), got.map(formatEvent), offset);
}

/** The same on canonical tokens (`formatEvent` strings, the vocabulary's keys). */
export function compareTokens(expected: readonly string[], got: readonly string[], offset = 0): Comparison {
  const total = Math.min(expected.length, got.length);
  const wrong: WrongNote[] = [];
  for (let i = 0; i < total; i++) {
    const e = expected[i] as string;
    const g = got[i] as string;
    if (e !== g) wrong.push({ index: offset + i, expected: e, got: g });
  }
  const correct = total - wrong.length;
  return {
    total,
    correct,
    accuracy: total === 0 ? 1 : correct / total,
    exact: wrong.length === 0 && got.length >= expected.length,
    wrong,
  };
}
