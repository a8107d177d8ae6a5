import type { Duration, MelodyEvent, Pitch } from './melody.ts';

// Canonical text of one event in Nabi's token syntax. Octave-4 notes keep the tutorial's short
// form (`g8`, `e4`), so the tutorial's codes round-trip unchanged; other octaves spell the octave
// out (`c#5:8.`). This string is also the learning vocabulary's key for an event.

const ACCIDENTAL_TEXT: Readonly<Record<number, string>> = { [-2]: 'bb', [-1]: 'b', 0: '', 1: '#', 2: '##' };

export function formatDuration(duration: Duration): string {
  return `${duration.value}${duration.dotted ? '.' : ''}`;
}

export function formatPitch(pitch: Pitch): string {
  return `${pitch.step}${ACCIDENTAL_TEXT[pitch.alter] ?? ''}`;
}

export function formatEvent(event: MelodyEvent): string {
  if (event.kind === 'rest') return `r${formatDuration(event.duration)}`;
  const name = formatPitch(event.pitch);
  if (event.pitch.octave === 4) return `${name}${formatDuration(event.duration)}`;
  return `${name}${event.pitch.octave}:${formatDuration(event.duration)}`;
}

export function formatEvents(events: readonly MelodyEvent[]): string {
  return events.map(formatEvent).join(' ');
}
