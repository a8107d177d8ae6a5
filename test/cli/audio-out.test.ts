import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { OpusScript } from '../../src/audio/encode.ts';
import { trackNotes } from '../../src/audio/index.ts';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/main.ts';
import { midiNumber } from '../../src/music/melody.ts';
import { readMidi } from '../../src/music/midi.ts';
import { formatEvent } from '../../src/music/token.ts';
import { parseToken } from '../../src/music/tokens.ts';
import { oggPackets, readOggPages } from '../audio/helpers.ts';

// nabi learn/complete --out DIR also write the song as sound: fullsong.ogg + fullsong.mid,
// completion.<ogg|wav|mp3> + completion.mid, listed under `audio` in --json. The audio is decoded
// (Ogg pages and CRCs, opusscript; WAV's PCM) and pitch-tracked: the notes heard are the tokens the
// run printed, in order. --audio takes ogg, wav or mp3 and needs --out.

function capture(): { io: Io; out: () => string; err: () => string } {
  const chunks = { out: [] as string[], err: [] as string[] };
  const stream = (into: string[]): NodeJS.WriteStream =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        into.push(chunk.toString());
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  return { io: { stdout: stream(chunks.out), stderr: stream(chunks.err) }, out: () => chunks.out.join(''), err: () => chunks.err.join('') };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nabi-cli-audio-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A quarter of a semitone. */
const TOLERANCE = 2 ** (1 / 48) - 1;

function oggSamples(file: string): Float32Array {
  const pages = readOggPages(Uint8Array.from(readFileSync(file)));
  for (const page of pages) expect(page.crcComputed).toBe(page.crcStored);
  const [head, , ...audio] = oggPackets(pages);
  expect(new TextDecoder().decode(head!.subarray(0, 8))).toBe('OpusHead');
  const preSkip = new DataView(head!.buffer, head!.byteOffset).getUint16(10, true);
  const decoder = new OpusScript(48_000, 1);
  const pcm: number[] = [];
  try {
    for (const packet of audio) {
      const out = decoder.decode(Buffer.from(packet));
      for (let i = 0; i < out.length / 2; i++) pcm.push(out.readInt16LE(i * 2) / 32768);
    }
  } finally {
    decoder.delete();
  }
  return Float32Array.from(pcm.slice(preSkip, Number(pages.at(-1)!.granule)));
}

function wavSamples(file: string): { samples: Float32Array; rate: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect(bytes.subarray(36, 40).toString('latin1')).toBe('data');
  const rate = bytes.readUInt32LE(24);
  expect(bytes.readUInt16LE(22)).toBe(1);
  expect(bytes.readUInt16LE(34)).toBe(16);
  const frames = bytes.readUInt32LE(40) / 2;
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = bytes.readInt16LE(44 + i * 2) / 32768;
  return { samples, rate };
}

/** The heard notes are the tokens' notes, in order, each within a quarter semitone. */
function expectNotes(samples: Float32Array, rate: number, tokens: readonly string[]): void {
  const want = tokens.map(parseToken).flatMap((e) => (e.kind === 'note' ? [440 * 2 ** ((midiNumber(e.pitch) - 69) / 12)] : []));
  const heard = trackNotes(samples, rate).map((n) => n.frequency);
  expect(heard).toHaveLength(want.length);
  expect(heard.flatMap((f, i) => (Math.abs(f / want[i]! - 1) > TOLERANCE ? [`note ${i}: ${f.toFixed(1)} Hz, expected ${want[i]!.toFixed(1)} Hz`] : []))).toEqual([]);
}

describe('nabi --out: sound', () => {
  const model = path.join(tmp, 'model');

  it('learn --out writes fullsong.ogg and fullsong.mid: the song sung from its first notes', async () => {
    const out = path.join(tmp, 'learn');
    const c = capture();
    expect(await main(['learn', 'nabiya', '--model', 'mlp', '--epochs', '8', '--seed', '3', '--save', model, '--out', out, '--json'], c.io)).toBe(0);
    expect(c.err()).toBe('');
    const result = JSON.parse(c.out());
    expect(result.audio).toEqual([path.join(out, 'fullsong.ogg'), path.join(out, 'fullsong.mid')]);
    const tokens: string[] = result.fullSong.notes;
    expect(result.fullSong.wrong.length).toBeGreaterThan(0); // not learned: the sound must follow the model, not the song
    expectNotes(oggSamples(path.join(out, 'fullsong.ogg')), 48_000, tokens);
    expect(readMidi(readFileSync(path.join(out, 'fullsong.mid'))).events.map(formatEvent)).toEqual(tokens);
  }, 120_000);

  it('complete --out --audio wav writes completion.wav and completion.mid of the completion', async () => {
    const out = path.join(tmp, 'complete');
    const c = capture();
    expect(await main(['complete', model, '--start', '5', '--length', '12', '--out', out, '--audio', 'wav', '--json'], c.io)).toBe(0);
    expect(c.err()).toBe('');
    const result = JSON.parse(c.out());
    expect(result.audio).toEqual([path.join(out, 'completion.wav'), path.join(out, 'completion.mid')]);
    const tokens = readMidi(readFileSync(path.join(out, 'completion.mid'))).events.map(formatEvent);
    expect(tokens).toHaveLength(4 + 12);
    expect(tokens).toEqual(result.notes);
    const { samples, rate } = wavSamples(path.join(out, 'completion.wav'));
    expectNotes(samples, rate, tokens);
  }, 60_000);

  it('text output lists the audio files; --audio must be ogg, wav or mp3 and needs --out', async () => {
    const out = path.join(tmp, 'text');
    const c = capture();
    expect(await main(['complete', model, '--out', out, '--audio', 'mp3'], c.io)).toBe(0);
    expect(c.out()).toContain(`wrote ${path.join(out, 'completion.mp3')}`);
    expect(c.out()).toContain(`wrote ${path.join(out, 'completion.mid')}`);
    expect(readFileSync(path.join(out, 'completion.mp3'))[0]).toBe(0xff);

    const bad = capture();
    expect(await main(['complete', model, '--out', out, '--audio', 'flac'], bad.io)).toBe(1);
    expect(bad.err()).toContain('--audio must be one of ogg, wav, mp3 (got "flac")');
    const alone = capture();
    expect(await main(['complete', model, '--audio', 'wav'], alone.io)).toBe(1);
    expect(alone.err()).toContain('--audio needs --out DIR');
  }, 60_000);
});
