import { expect } from 'vitest';
import { NotationError } from '../../src/music/errors.ts';
import { midiNumber, quarterLength } from '../../src/music/melody.ts';
import type { Melody, MelodyEvent } from '../../src/music/melody.ts';

/** Runs `action`, asserts it throws a NotationError, and returns it for closer checks. */
export function notationError(action: () => unknown): NotationError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a NotationError to be thrown').toBeInstanceOf(NotationError);
  return caught as NotationError;
}

/** Events as `midi/quarters` strings: what survives a trip through a format that loses spelling. */
export function sounding(events: readonly MelodyEvent[]): string[] {
  return events.map((e) => `${e.kind === 'note' ? midiNumber(e.pitch) : 'rest'}/${quarterLength(e.duration)}`);
}

/** Quarter-note offsets at which each event starts, and the total. */
export function onsets(melody: Melody): { starts: number[]; total: number } {
  const starts: number[] = [];
  let total = 0;
  for (const event of melody.events) {
    starts.push(total);
    total += quarterLength(event.duration);
  }
  return { starts, total };
}

/** A melody touching every corner of the data model: accidentals, octaves, dots, rests. */
export const CORNERS = 'r8 g8 e8 e4 f#8. c#5:16 bb4 r4 c3:2 d6:8 e8 r8. f16 g1 a2. b0:16 c8:16 d##8 ebb4 r2';

/** Like CORNERS, but spelled the way a MIDI file can give back (one key's sharps, no doubles). */
export const SHARP_CORNERS = 'r8 g8 e8 e4 f#8. c#5:16 g#4 r4 c3:2 d6:8 e8 r8. f16 g1 a2. b0:16 c8:16 d#8 r2';
