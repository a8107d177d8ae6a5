import { describe, expect, it } from 'vitest';
import { AUDIO_FORMATS, AudioRequestError, fileBase, midiFile, renderAudioFile } from '../../src/audio/index.ts';
import { readMidi } from '../../src/music/midi.ts';
import type { Melody } from '../../src/music/melody.ts';
import { getSong } from '../../src/music/songbook.ts';

const SHORT: Melody = { ...getSong('nabiya').melody, events: getSong('nabiya').melody.events.slice(0, 8) };

describe('renderAudioFile', () => {
  it.each([
    ['ogg', 'audio/ogg', 'OggS'],
    ['wav', 'audio/wav', 'RIFF'],
    ['mp3', 'audio/mpeg', '\xff'],
  ] as const)('renders %s with its mime type, file name and magic bytes', async (format, mime, magic) => {
    const file = await renderAudioFile(SHORT, format, { tempo: 120, instrument: 'synth', name: 'nabiya' });
    expect(file).toMatchObject({ format, mime, filename: `nabiya.${format}`, tempo: 120 });
    expect(String.fromCharCode(...file.bytes.subarray(0, magic.length))).toBe(magic);
    expect(file.durationSeconds).toBeCloseTo(2.5 + 0.25, 6); // 5 quarter notes at 120 bpm, and the tail
    expect(file.notes).toHaveLength(8);
  });

  it('defaults to OGG named after the title, and refuses bad requests with a member-facing message', async () => {
    expect(AUDIO_FORMATS).toEqual(['ogg', 'wav', 'mp3']);
    const file = await renderAudioFile(SHORT);
    expect(file.filename).toBe('butterfly.ogg');
    await expect(renderAudioFile(SHORT, 'ogg', { tempo: 1000 })).rejects.toBeInstanceOf(AudioRequestError);
    await expect(renderAudioFile(SHORT, 'ogg', { tempo: 1000 })).rejects.toHaveProperty('userMessage', expect.stringMatching(/tempo 1000/));
  });
});

describe('midiFile', () => {
  it('writes the melody as MIDI, at the requested tempo', () => {
    const file = midiFile(SHORT, { tempo: 90, name: 'nabiya' });
    expect(file.filename).toBe('nabiya.mid');
    expect(file.mime).toBe('audio/midi');
    expect(String.fromCharCode(...file.bytes.subarray(0, 4))).toBe('MThd');
    const back = readMidi(file.bytes);
    expect(back.tempo).toBe(90);
    expect(back.events).toHaveLength(8);
  });
});

describe('fileBase', () => {
  it('keeps file names ASCII, short and never empty', () => {
    expect(fileBase('나비야 (Butterfly)')).toBe('butterfly');
    expect(fileBase('Ode to Joy!')).toBe('ode-to-joy');
    expect(fileBase('Café / Crème')).toBe('cafe-creme');
    expect(fileBase('나비야')).toBe('melody');
    expect(fileBase(undefined)).toBe('melody');
    expect(fileBase('x'.repeat(100))).toHaveLength(40);
    expect(fileBase('../../etc/passwd')).toBe('etc-passwd');
  });
});
