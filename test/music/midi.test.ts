import tonejs from '@tonejs/midi';
import { describe, expect, it } from 'vitest';
import { midiNumber, quarterLength } from '../../src/music/melody.ts';
import { readMidi, writeMidi } from '../../src/music/midi.ts';
import { SONGBOOK } from '../../src/music/songbook.ts';
import { formatTokens, parseTokens } from '../../src/music/tokens.ts';
import { CORNERS, SHARP_CORNERS, notationError, sounding } from './helpers.ts';

const { Midi } = tonejs;

/** Deterministic jitter in [-1, 1], so a failing run can be replayed. */
function jitter(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  };
}

/** A one-track MIDI file written by hand, as another program would. */
function handMade(ppq: number, notes: Array<{ midi: number; ticks: number; durationTicks: number }>, channel = 0): Uint8Array {
  const file = new Midi();
  file.header.fromJSON({ ...file.header.toJSON(), ppq });
  const track = file.addTrack();
  track.channel = channel;
  for (const n of notes) track.addNote({ ...n, velocity: 0.7 });
  return file.toArray();
}

describe('writeMidi → readMidi', () => {
  it.each(Object.keys(SONGBOOK))('songbook %s comes back identical', (name) => {
    const { melody } = SONGBOOK[name as keyof typeof SONGBOOK];
    const back = readMidi(writeMidi(melody));
    expect(formatTokens(back)).toBe(formatTokens(melody));
    expect(back.events).toEqual(melody.events);
    expect(back.tempo).toBe(melody.tempo);
    expect(back.timeSignature).toEqual(melody.timeSignature);
    expect(back.title).toBe(melody.title);
  });

  it('keeps sharps, octaves, dots and rests — leading, inner and trailing', () => {
    const melody = { events: parseTokens(SHARP_CORNERS).events, tempo: 90 };
    const back = readMidi(writeMidi(melody));
    expect(formatTokens(back)).toBe(SHARP_CORNERS);
  });

  it('spells a flat melody with flats', () => {
    const text = 'f4 g4 a4 bb4 c5:4 eb5:8 d5:8 bb4 ab4 f2';
    expect(formatTokens(readMidi(writeMidi({ events: parseTokens(text).events })))).toBe(text);
  });

  it('keeps every pitch and duration even where MIDI cannot keep the spelling', () => {
    const { events } = parseTokens(CORNERS);
    const back = readMidi(writeMidi({ events }));
    expect(sounding(back.events)).toEqual(sounding(events));
  });

  it('writes 120 bpm, a grand piano and a moderate velocity by default', () => {
    const file = new Midi(writeMidi({ events: parseTokens('g8 e8 e4').events }));
    expect(file.header.tempos[0]?.bpm).toBe(120);
    const track = file.tracks[0];
    expect(track?.instrument.number).toBe(0);
    expect(track?.notes.map((n) => n.midi)).toEqual([67, 64, 64]);
    for (const n of track?.notes ?? []) expect(n.velocity).toBeGreaterThan(0.5);
    expect(track?.notes.map((n) => n.durationTicks / file.header.ppq)).toEqual([0.5, 0.5, 1]);
  });
});

describe('readMidi quantization', () => {
  const nabiya = SONGBOOK.nabiya.melody.events;

  const takes = [96, 480, 960].flatMap((ppq) => [1, 2, 3, 4, 5].map((seed) => [ppq, seed] as const));
  it.each(takes)('reads a humanly played 나비야 (ppq %i, take %i): jittered onsets, shortened notes', (ppq, seed) => {
    const random = jitter(ppq * 31 + seed);
    const notes = [];
    let quarters = 0;
    for (const event of nabiya) {
      const length = quarterLength(event.duration);
      if (event.kind === 'note') {
        const start = (quarters + random() * 0.05) * ppq; // ± a fifth of a sixteenth
        const gate = 0.875 + random() * 0.075; // 80–95 % of the written length
        notes.push({ midi: midiNumber(event.pitch), ticks: Math.max(0, Math.round(start)), durationTicks: Math.round(length * gate * ppq) });
      }
      quarters += length;
    }
    expect(readMidi(handMade(ppq, notes)).events).toEqual(nabiya);
  });

  it('rounds a slightly long or short note to the nearest value', () => {
    const q = 480;
    const melody = readMidi(handMade(q, [
      { midi: 60, ticks: 0, durationTicks: 0.52 * q }, // eighth, a bit long, then a real rest
      { midi: 62, ticks: 1.02 * q, durationTicks: 1.45 * q }, // dotted quarter, a bit short
      { midi: 64, ticks: 2.5 * q, durationTicks: 0.27 * q }, // sixteenth, then an eighth of silence
      { midi: 65, ticks: 3.27 * q, durationTicks: 0.75 * q },
    ]));
    expect(formatTokens(melody)).toBe('c8 r8 d4. e16 r8 f8.');
  });

  it('turns silences of a sixteenth or more into rests, including a lead-in', () => {
    const q = 480;
    const melody = readMidi(handMade(q, [
      { midi: 67, ticks: q, durationTicks: q / 2 },
      { midi: 64, ticks: 3 * q, durationTicks: q },
    ]));
    expect(formatTokens(melody)).toBe('r4 g8 r4. e4');
  });

  it('keeps short written rests after notes, and hears a long note played short as the long note', () => {
    const exact = 'c8. r16 d4. r8 e2. r4 f16 r16 g8 r8 a2 r8 b4';
    expect(formatTokens(readMidi(writeMidi({ events: parseTokens(exact).events })))).toBe(exact);
    const q = 480;
    const held = readMidi(handMade(q, [
      { midi: 60, ticks: 0, durationTicks: 0.78 * 2 * q }, // a half note held 78 %
      { midi: 62, ticks: 2 * q, durationTicks: q },
    ]));
    expect(formatTokens(held)).toBe('c2 d4');
  });

  it.each([7, 8, 9, 10])('never lets the timeline drift, however short the notes are played (take %i)', (seed) => {
    const ppq = 480;
    const random = jitter(seed);
    const notes = [];
    const expectedOnsets: number[] = [];
    let quarters = 0;
    for (const event of nabiya) {
      const length = quarterLength(event.duration);
      if (event.kind === 'note') {
        expectedOnsets.push(quarters);
        const gate = 0.65 + random() * 0.35; // 30–100 %: staccato to legato
        notes.push({ midi: midiNumber(event.pitch), ticks: quarters * ppq, durationTicks: Math.round(length * gate * ppq) });
      }
      quarters += length;
    }
    const read = readMidi(handMade(ppq, notes));
    const readOnsets: number[] = [];
    let at = 0;
    for (const event of read.events) {
      if (event.kind === 'note') readOnsets.push(at);
      at += quarterLength(event.duration);
    }
    expect(readOnsets).toEqual(expectedOnsets);
  });

  it('trims a legato overlap of up to a 32nd', () => {
    const q = 480;
    const melody = readMidi(handMade(q, [
      { midi: 60, ticks: 0, durationTicks: q + 40 },
      { midi: 62, ticks: q, durationTicks: q },
    ]));
    expect(formatTokens(melody)).toBe('c4 d4');
  });

  it('refuses chords and second voices, saying where', () => {
    const q = 480;
    const chord = notationError(() => readMidi(handMade(q, [
      { midi: 60, ticks: 0, durationTicks: q },
      { midi: 62, ticks: q, durationTicks: q },
      { midi: 67, ticks: 5 * q, durationTicks: q },
      { midi: 64, ticks: 5 * q, durationTicks: q },
    ])));
    expect(chord.message).toContain('bar 2, beat 2');
    expect(chord.message).toContain('one line of melody');
    const overlap = notationError(() => readMidi(handMade(q, [
      { midi: 60, ticks: 0, durationTicks: 2 * q },
      { midi: 62, ticks: q, durationTicks: q },
    ])));
    expect(overlap.reason).toContain('two notes sound at once');
    expect(overlap.position).toBe(2);
  });

  it('takes the first track with notes and skips drums', () => {
    const file = new Midi();
    file.addTrack(); // conductor-style empty track
    const drums = file.addTrack();
    drums.channel = 9;
    drums.addNote({ midi: 36, ticks: 0, durationTicks: 240 });
    const melody = file.addTrack();
    melody.channel = 1;
    for (const [i, midi] of [67, 64, 64].entries()) melody.addNote({ midi, ticks: i * 240, durationTicks: 240 });
    const bass = file.addTrack();
    bass.channel = 2;
    for (const [i, midi] of [36, 38, 40, 41].entries()) bass.addNote({ midi, ticks: i * 240, durationTicks: 240 });
    expect(formatTokens(readMidi(file.toArray()))).toBe('g8 e8 e8');
  });
});

describe('readMidi errors', () => {
  it('refuses what is not a MIDI file', () => {
    expect(notationError(() => readMidi(new TextEncoder().encode('g8 e8 e4'))).reason).toBe('not a MIDI file');
    const damaged = writeMidi({ events: parseTokens('g8 e8').events }).slice(0, 30);
    expect(notationError(() => readMidi(damaged)).message).toContain('MIDI');
  });

  it('refuses a file with no notes', () => {
    const file = new Midi();
    file.addTrack();
    expect(notationError(() => readMidi(file.toArray())).reason).toContain('no notes');
  });

  it('refuses notes outside octaves 0–8 and absurd tempos', () => {
    expect(notationError(() => readMidi(handMade(480, [{ midi: 5, ticks: 0, durationTicks: 480 }]))).reason).toContain('outside octaves');
    const slow = new Midi();
    slow.header.setTempo(5);
    slow.addTrack().addNote({ midi: 60, ticks: 0, durationTicks: 480 });
    expect(notationError(() => readMidi(slow.toArray())).allowed).toContain('20–400');
  });
});

describe('readMidi titles', () => {
  it('reads a Latin-1 title written by an older program', () => {
    const file = new Midi();
    file.header.name = 'Fr\u00e8re Jacques';
    file.addTrack().addNote({ midi: 65, ticks: 0, durationTicks: 480 });
    expect(readMidi(file.toArray()).title).toBe('Frère Jacques');
  });
});
