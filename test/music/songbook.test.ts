import { describe, expect, it } from 'vitest';
import { UnknownSongError } from '../../src/music/errors.ts';
import { quarterLength } from '../../src/music/melody.ts';
import { SONGBOOK, SONG_NAMES, getSong } from '../../src/music/songbook.ts';
import { formatEvent } from '../../src/music/token.ts';
import { onsets } from './helpers.ts';

// The tutorial's `seq`, as a list of strings (not through the token parser).
const SEQ = [
  'g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'd8', 'e8', 'f8', 'g8', 'g8', 'g4',
  'g8', 'e8', 'e8', 'e8', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4',
  'd8', 'd8', 'd8', 'd8', 'd8', 'e8', 'f4', 'e8', 'e8', 'e8', 'e8', 'e8', 'f8', 'g4',
  'g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4',
];

describe('songbook', () => {
  it('나비야 is exactly the tutorial\'s seq, in 2/4 at about 100 bpm', () => {
    const song = SONGBOOK.nabiya;
    expect(song.melody.events.map(formatEvent)).toEqual(SEQ);
    expect(song.melody.events).toHaveLength(54);
    expect(song.title).toBe('나비야 (Butterfly)');
    expect(song.melody.timeSignature).toEqual({ beats: 2, beatValue: 4 });
    expect(song.melody.tempo).toBeGreaterThanOrEqual(90);
    expect(song.melody.tempo).toBeLessThanOrEqual(110);
  });

  it.each(SONG_NAMES)('%s fills whole bars, every bar line falling between notes', (name) => {
    const { melody } = SONGBOOK[name];
    const signature = melody.timeSignature;
    expect(signature).toBeDefined();
    if (!signature) return;
    const bar = (signature.beats * 4) / signature.beatValue;
    const { starts, total } = onsets(melody);
    expect(total % bar).toBe(0);
    for (let line = bar; line < total; line += bar) expect(starts, `bar line at ${line}`).toContain(line);
  });

  it('has 3–4 songs besides 나비야 that use what the tutorial\'s codes cannot', () => {
    expect(SONG_NAMES.length - 1).toBeGreaterThanOrEqual(3);
    expect(SONG_NAMES.length - 1).toBeLessThanOrEqual(4);
    const events = SONG_NAMES.filter((n) => n !== 'nabiya').flatMap((n) => SONGBOOK[n].melody.events);
    expect(events.some((e) => e.kind === 'note' && e.pitch.alter === 1)).toBe(true);
    expect(events.some((e) => e.kind === 'note' && e.pitch.alter === -1)).toBe(true);
    expect(events.some((e) => e.kind === 'note' && e.pitch.octave !== 4)).toBe(true);
    expect(events.some((e) => e.duration.dotted)).toBe(true);
    expect(SONG_NAMES.some((n) => SONGBOOK[n].melody.timeSignature?.beatValue === 8)).toBe(true);
  });

  it('transcribes the tunes note for note', () => {
    const text = (name: keyof typeof SONGBOOK): string => SONGBOOK[name].melody.events.map(formatEvent).join(' ');
    expect(text('twinkle').startsWith('c4 c4 g4 g4 a4 a4 g2 f4 f4 e4 e4 d4 d4 c2')).toBe(true);
    expect(text('ode-to-joy').endsWith('d4 d4 e4 f#4 e4. d8 d2')).toBe(true);
    expect(text('frere-jacques')).toContain('a4 bb4 c5:2 c5:8 d5:8 c5:8 bb8 a4 f4');
    expect(text('row-your-boat').startsWith('c4. c4. c4 d8 e4.')).toBe(true);
    for (const name of SONG_NAMES) {
      const song = SONGBOOK[name];
      expect(song.name).toBe(name);
      expect(song.melody.title).toBe(song.title);
      expect(song.description.length).toBeGreaterThan(10);
      expect(song.melody.events.every((e) => quarterLength(e.duration) > 0)).toBe(true);
    }
  });

  it('getSong finds a song by name or alias, ignoring case, spaces and accents', () => {
    expect(getSong('nabiya')).toBe(SONGBOOK.nabiya);
    expect(getSong(' Nabiya ')).toBe(SONGBOOK.nabiya);
    expect(getSong('나비야')).toBe(SONGBOOK.nabiya);
    expect(getSong('Frère Jacques')).toBe(SONGBOOK['frere-jacques']);
    expect(getSong('ODE_TO_JOY')).toBe(SONGBOOK['ode-to-joy']);
  });

  it('getSong names the songs it has when it does not know one', () => {
    let caught: unknown;
    try {
      getSong('yesterday');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnknownSongError);
    const error = caught as UnknownSongError;
    expect(error.message).toContain('`yesterday`');
    for (const name of SONG_NAMES) expect(error.message).toContain(name);
    expect(error.available).toEqual(SONG_NAMES);
  });
});
