import { MPEGDecoder } from 'mpg123-decoder';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPUS_FRAME, OPUS_PRE_SKIP, OpusScript, encodeMp3, encodeOgg, encodeWav } from '../../src/audio/encode.ts';
import { trackNotes } from '../../src/audio/pitch.ts';
import { renderMelody } from '../../src/audio/render.ts';
import type { RenderedMelody } from '../../src/audio/render.ts';
import { getSong } from '../../src/music/songbook.ts';
import { STRICT, TEST_MELODY, maxAbs, noteProblems, oggPackets, readOggPages, walkMp3Frames } from './helpers.ts';

let nabiya: RenderedMelody;

beforeAll(async () => {
  nabiya = await renderMelody(getSong('nabiya').melody, { tempo: 120, instrument: 'piano' });
});

/** CRC-16/ARC with a lookup-free loop written from the definition (reflected 0x8005, init 0). */
function crc16Arc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    for (let bit = 0; bit < 8; bit++) {
      const mix = (crc ^ (byte >> bit)) & 1;
      crc >>>= 1;
      if (mix) crc ^= 0xa001;
    }
  }
  return crc;
}

/** Decodes an Ogg Opus stream the way a player does: every packet, then pre-skip and end trimming from the headers. */
function decodeOggOpus(bytes: Uint8Array): { channels: number; samples: Float32Array[]; preSkip: number } {
  const pages = readOggPages(bytes);
  const [head, , ...audio] = oggPackets(pages);
  const view = new DataView(head!.buffer, head!.byteOffset);
  const channels = head![9]!;
  const preSkip = view.getUint16(10, true);
  const decoder = new OpusScript(48_000, channels);
  const pcm: number[][] = Array.from({ length: channels }, () => []);
  try {
    for (const packet of audio) {
      const out = decoder.decode(Buffer.from(packet));
      for (let i = 0; i < out.length / 2; i++) pcm[i % channels]!.push(out.readInt16LE(i * 2) / 32768);
    }
  } finally {
    decoder.delete();
  }
  const end = Number(pages.at(-1)!.granule);
  return { channels, preSkip, samples: pcm.map((channel) => Float32Array.from(channel.slice(preSkip, end))) };
}

describe('encodeWav', () => {
  it('writes a canonical 16-bit PCM header', () => {
    const wav = encodeWav(nabiya);
    const view = new DataView(wav.buffer);
    const text = (offset: number): string => String.fromCharCode(...wav.subarray(offset, offset + 4));
    const frames = nabiya.channels[0]!.length;
    expect(text(0)).toBe('RIFF');
    expect(view.getUint32(4, true)).toBe(wav.length - 8);
    expect(text(8)).toBe('WAVE');
    expect(text(12)).toBe('fmt ');
    expect(view.getUint32(16, true)).toBe(16);
    expect(view.getUint16(20, true)).toBe(1); // PCM
    expect(view.getUint16(22, true)).toBe(1); // mono
    expect(view.getUint32(24, true)).toBe(48_000);
    expect(view.getUint32(28, true)).toBe(96_000); // bytes per second
    expect(view.getUint16(32, true)).toBe(2); // block align
    expect(view.getUint16(34, true)).toBe(16);
    expect(text(36)).toBe('data');
    expect(view.getUint32(40, true)).toBe(frames * 2);
    expect(wav.length).toBe(44 + frames * 2);
  });

  it('decodes back to the same samples within one LSB', () => {
    const wav = encodeWav(nabiya);
    const view = new DataView(wav.buffer);
    const source = nabiya.channels[0]!;
    let worst = 0;
    for (let i = 0; i < source.length; i++) worst = Math.max(worst, Math.abs(view.getInt16(44 + 2 * i, true) / 32767 - source[i]!));
    expect(worst).toBeLessThanOrEqual(1 / 32767);
  });

  it('interleaves stereo and clamps what lies outside [-1, 1]', () => {
    const wav = encodeWav({ sampleRate: 8000, channels: [Float32Array.from([0.5, 2, -3]), Float32Array.from([-0.5, 0, 1])] });
    const view = new DataView(wav.buffer);
    expect(view.getUint16(22, true)).toBe(2);
    expect(view.getUint16(32, true)).toBe(4);
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getInt16(44 + 2 * i, true))).toEqual([16384, -16383, 32767, 0, -32768, 32767]);
  });
});

describe('encodeOgg (Opus in Ogg)', () => {
  let ogg: Uint8Array;
  beforeAll(async () => {
    ogg = await encodeOgg(nabiya, { title: '나비야 (Butterfly)' });
  });

  it('is a well-formed Ogg stream: capture patterns, CRCs, flags, sequence, one serial', () => {
    const pages = readOggPages(ogg);
    expect(pages.length).toBeGreaterThan(3);
    for (const page of pages) expect(page.crcComputed, `page ${page.sequence}`).toBe(page.crcStored);
    expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
    expect(new Set(pages.map((p) => p.serial)).size).toBe(1);
    expect(pages.map((p) => p.flags & 0x02)).toEqual(pages.map((_, i) => (i === 0 ? 2 : 0))); // BOS on the first page only
    expect(pages.map((p) => p.flags & 0x04)).toEqual(pages.map((_, i) => (i === pages.length - 1 ? 4 : 0))); // EOS on the last only
    expect(pages.every((p) => (p.flags & 0x01) === 0)).toBe(true); // no packet continues across pages
  });

  it('carries RFC 7845 headers and granule positions that give the exact length', () => {
    const pages = readOggPages(ogg);
    const packets = oggPackets(pages);
    const head = packets[0]!;
    const view = new DataView(head.buffer, head.byteOffset);
    expect(String.fromCharCode(...head.subarray(0, 8))).toBe('OpusHead');
    expect(head.length).toBe(19);
    expect(head[8]).toBe(1); // version
    expect(head[9]).toBe(1); // channels
    expect(view.getUint16(10, true)).toBe(OPUS_PRE_SKIP);
    expect(view.getUint32(12, true)).toBe(48_000);
    expect(view.getInt16(16, true)).toBe(0);
    expect(head[18]).toBe(0);
    const tags = new TextDecoder().decode(packets[1]);
    expect(tags.startsWith('OpusTags')).toBe(true);
    expect(tags).toContain('TITLE=나비야 (Butterfly)');
    // Headers alone on their pages, granule 0; audio granules rise to pre-skip + samples.
    expect(pages[0]!.segments.length).toBe(1);
    expect(pages[0]!.granule).toBe(0n);
    expect(pages[1]!.granule).toBe(0n);
    const granules = pages.slice(2).map((p) => p.granule);
    expect([...granules].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(granules);
    expect(pages.at(-1)!.granule).toBe(BigInt(OPUS_PRE_SKIP + nabiya.channels[0]!.length));
    // Enough 20 ms packets to cover pre-skip and all samples, and no more.
    const audioPackets = packets.length - 2;
    expect(audioPackets).toBe(Math.ceil((OPUS_PRE_SKIP + nabiya.channels[0]!.length) / OPUS_FRAME));
    expect(audioPackets * OPUS_FRAME).toBeGreaterThanOrEqual(Number(pages.at(-1)!.granule));
  });

  it('decodes (opusscript) to the original length, and pitch tracking still recovers 나비야', () => {
    const decoded = decodeOggOpus(ogg);
    expect(decoded.channels).toBe(1);
    const samples = decoded.samples[0]!;
    expect(samples.length).toBe(nabiya.channels[0]!.length);
    expect(maxAbs(samples, 0, samples.length)).toBeGreaterThan(0.7);
    expect(noteProblems(nabiya.notes, trackNotes(samples, 48_000), STRICT)).toEqual([]);
  });

  it('keeps the test melody (C2 to E6, rests) recognisable through Opus on a bright instrument', async () => {
    const rendered = await renderMelody(TEST_MELODY, { tempo: 150, instrument: 'pluck' });
    const decoded = decodeOggOpus(await encodeOgg(rendered)).samples[0]!;
    expect(noteProblems(rendered.notes, trackNotes(decoded, 48_000), STRICT)).toEqual([]);
  });

  it('has the right pre-skip: an impulse comes back at the same sample', async () => {
    const input = new Float32Array(48_000);
    input[10_000] = 0.9;
    input[30_000] = -0.9;
    const decoded = decodeOggOpus(await encodeOgg({ sampleRate: 48_000, channels: [input] })).samples[0]!;
    expect(decoded.length).toBe(48_000);
    for (const position of [10_000, 30_000]) {
      let best = position - 50;
      for (let i = position - 50; i <= position + 50; i++) if (Math.abs(decoded[i]!) > Math.abs(decoded[best]!)) best = i;
      expect(best).toBe(position);
    }
  });

  it('resamples other rates to 48 kHz and encodes stereo', async () => {
    const left = new Float32Array(22_050).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 22_050));
    const right = new Float32Array(22_050).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 660 * i) / 22_050));
    const decoded = decodeOggOpus(await encodeOgg({ sampleRate: 22_050, channels: [left, right] }));
    expect(decoded.channels).toBe(2);
    expect(decoded.samples[0]!.length).toBe(48_000);
    const [l, r] = decoded.samples.map((channel) => trackNotes(channel, 48_000));
    expect(l![0]!.frequency).toBeCloseTo(440, 0);
    expect(r![0]!.frequency).toBeCloseTo(660, 0);
  });

  it('the page check catches a single flipped byte', () => {
    const damaged = ogg.slice();
    const middle = Math.floor(damaged.length / 2);
    damaged[middle] = damaged[middle]! ^ 0x10;
    const bad = readOggPages(damaged).filter((page) => page.crcComputed !== page.crcStored);
    expect(bad).toHaveLength(1);
  });
});

describe('encodeMp3', () => {
  let mp3: Uint8Array;
  beforeAll(async () => {
    mp3 = await encodeMp3(nabiya);
  });

  it('is a chain of valid MPEG-1 Layer III frames, 128 kb/s, 48 kHz, mono', () => {
    const frames = walkMp3Frames(mp3);
    expect(frames.every((f) => f.kbps === 128 && f.sampleRate === 48_000 && f.channels === 1)).toBe(true);
    // Enough audio frames (after the Info frame) for LAME's 576-sample delay and every sample, and
    // no more than its flush adds (under two frames).
    const audioSeconds = ((frames.length - 1) * 1152) / 48_000;
    expect(audioSeconds).toBeGreaterThanOrEqual(nabiya.durationSeconds + 576 / 48_000);
    expect(audioSeconds - nabiya.durationSeconds).toBeLessThan((576 + 2 * 1152) / 48_000);
  });

  it('starts with a LAME Info tag that gives the exact length: frames, bytes, delay, padding, CRC', () => {
    const frames = walkMp3Frames(mp3);
    const tag = mp3.subarray(0, frames[0]!.length);
    const view = new DataView(tag.buffer, tag.byteOffset);
    expect(tag.subarray(4, 21).every((b) => b === 0)).toBe(true); // empty side information
    expect(String.fromCharCode(...tag.subarray(21, 25))).toBe('Info');
    expect(view.getUint32(25)).toBe(0x0f);
    expect(view.getUint32(29)).toBe(frames.length - 1);
    expect(view.getUint32(33)).toBe(mp3.length);
    const lame = 21 + 120;
    expect(String.fromCharCode(...tag.subarray(lame, lame + 9))).toBe('LAME3.100');
    const delay = (tag[lame + 21]! << 4) | (tag[lame + 22]! >> 4);
    const padding = ((tag[lame + 22]! & 0x0f) << 8) | tag[lame + 23]!;
    expect(delay).toBe(576);
    expect((frames.length - 1) * 1152 - delay - padding).toBe(nabiya.channels[0]!.length);
    expect(crc16Arc(new TextEncoder().encode('123456789'))).toBe(0xbb3d); // the check value, so crc16Arc is right
    expect(view.getUint16(lame + 34)).toBe(crc16Arc(tag.subarray(0, lame + 34)));
  });

  it('decodes (mpg123, gapless) to exactly the rendered samples: same length, pitches and timing', async () => {
    const decoder = new MPEGDecoder();
    await decoder.ready;
    try {
      const decoded = decoder.decode(mp3);
      expect(decoded.sampleRate).toBe(48_000);
      expect(decoded.samplesDecoded).toBe(nabiya.channels[0]!.length);
      const samples = decoded.channelData[0]!;
      expect(noteProblems(nabiya.notes, trackNotes(samples, 48_000), STRICT)).toEqual([]);
      // No lead-in left: the first onset is where it was rendered, within a millisecond.
      expect(Math.abs(trackNotes(samples, 48_000)[0]!.startSeconds - nabiya.notes[0]!.startSeconds)).toBeLessThan(0.001);
    } finally {
      decoder.free();
    }
  });

  it('the frame walk rejects a broken header', () => {
    const damaged = mp3.slice();
    const second = walkMp3Frames(mp3)[1]!.offset;
    damaged[second] = 0x00;
    expect(() => walkMp3Frames(damaged)).toThrow(/no frame sync at byte/);
  });
});
