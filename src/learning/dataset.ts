// Sliding windows over a melody, as the tutorial's seq2dataset():
//   for i in range(len(seq) - window_size): dataset.append(code2idx of seq[i : i + window_size + 1])
// Each row holds `window` input indices followed by the index of the note that comes next.

import type { Melody, MelodyEvent } from '../music/melody.ts';
import { encodeEvents } from './vocabulary.ts';
import type { Vocabulary } from './vocabulary.ts';

export const DEFAULT_WINDOW = 4;
export const MIN_WINDOW = 1;
export const MAX_WINDOW = 16;

export class DatasetError extends Error {
  override name = 'DatasetError';
}

export interface Dataset {
  readonly window: number;
  /** The whole melody as vocabulary indices. */
  readonly indices: readonly number[];
  /** indices.length − window rows of window + 1 indices (inputs, then the target). */
  readonly rows: readonly (readonly number[])[];
  /** rows without their last column. */
  readonly inputs: readonly (readonly number[])[];
  /** the last column of every row. */
  readonly targets: readonly number[];
}

export function checkWindow(window: number): number {
  if (!Number.isInteger(window) || window < MIN_WINDOW || window > MAX_WINDOW) {
    throw new DatasetError(`window must be a whole number from ${MIN_WINDOW} to ${MAX_WINDOW} (got ${String(window)})`);
  }
  return window;
}

/** Throws a clear error unless a melody of `length` events can make at least one window + target row. */
export function checkMelodyLength(length: number, window: number): void {
  if (length < window + 1) {
    throw new DatasetError(
      `the melody has ${length} note${length === 1 ? '' : 's'}, but window ${window} needs at least ${window + 1} ` +
        `(${window} to look at and 1 to predict)`,
    );
  }
}

/** seq2dataset on a sequence of vocabulary indices. */
export function windowsOf(indices: readonly number[], window = DEFAULT_WINDOW): Dataset {
  checkWindow(window);
  checkMelodyLength(indices.length, window);
  const rows: number[][] = [];
  for (let i = 0; i + window < indices.length; i++) rows.push(indices.slice(i, i + window + 1));
  return {
    window,
    indices: [...indices],
    rows,
    inputs: rows.map((r) => r.slice(0, window)),
    targets: rows.map((r) => r[window] as number),
  };
}

/** seq2dataset on a melody, through its vocabulary. */
export function makeDataset(
  melody: Melody | readonly MelodyEvent[],
  vocabulary: Vocabulary,
  window = DEFAULT_WINDOW,
): Dataset {
  const events = Array.isArray(melody) ? (melody as readonly MelodyEvent[]) : (melody as Melody).events;
  checkWindow(window);
  checkMelodyLength(events.length, window);
  return windowsOf(encodeEvents(vocabulary, events), window);
}
