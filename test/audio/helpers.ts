// Shared checks for the audio tests. Everything here is written independently of src/audio's
// encoders (its own CRC, its own Ogg page reader, its own MP3 frame walker), so that a test
// cannot pass merely because writer and reader share a mistake.

import { note, rest } from '../../src/music/melody.ts';
import type { Melody } from '../../src/music/melody.ts';
import type { ScheduledNote, ScheduledRest } from '../../src/audio/render.ts';
import type { DetectedNote } from '../../src/audio/pitch.ts';

/** Accidentals (♯, ♭, 𝄪), five octaves (C2 … E6), dotted notes, repeated notes, and rests at the start, middle and end. */
export const TEST_MELODY: Melody = {
  title: 'accidentals, octaves, dots and rests',
  events: [
    rest(8),
    note('f', 8, { alter: 1 }), // F#4
    note('b', 8, { alter: -1 }), // Bb4
    note('c', 4, { alter: 1, octave: 5 }), // C#5
    rest(4),
    note('c', 4, { octave: 3 }), // C3, 131 Hz
    note('c', 8, { octave: 2 }), // C2, 65 Hz
    note('e', 8, { octave: 6, dotted: true }), // E6, 1319 Hz, dotted
    note('d', 16, { octave: 6 }),
    note('a', 2, { dotted: true }), // dotted half
    rest(16),
    note('a', 16),
    note('a', 16), // the same pitch twice in a row
    note('c', 8, { alter: 2 }), // C double sharp = D4
    note('e', 4, { alter: -1, octave: 5 }), // Eb5
    rest(2),
  ],
};

export interface Tolerance {
  /** Relative frequency error allowed. */
  readonly pitch: number;
  /** Onset and duration error allowed, seconds. */
  readonly time: number;
  /** Constant delay of the signal (a codec's), subtracted from detected onsets. */
  readonly delay?: number;
}

export const STRICT: Tolerance = { pitch: 0.01, time: 0.02 };

/** Every way the detected notes differ from the rendered ones; empty when they agree. */
export function noteProblems(expected: readonly ScheduledNote[], found: readonly DetectedNote[], tolerance: Tolerance = STRICT): string[] {
  const problems: string[] = [];
  if (found.length !== expected.length) problems.push(`expected ${expected.length} notes, found ${found.length}`);
  const delay = tolerance.delay ?? 0;
  for (let i = 0; i < Math.min(expected.length, found.length); i++) {
    const want = expected[i]!;
    const got = found[i]!;
    const pitchError = Math.abs(got.frequency / want.frequency - 1);
    if (pitchError > tolerance.pitch) problems.push(`note ${i}: ${got.frequency.toFixed(2)} Hz, expected ${want.frequency.toFixed(2)} Hz`);
    const onsetError = Math.abs(got.startSeconds - delay - want.startSeconds);
    if (onsetError > tolerance.time) problems.push(`note ${i}: onset ${(got.startSeconds - delay).toFixed(4)} s, expected ${want.startSeconds.toFixed(4)} s`);
    const durationError = Math.abs(got.durationSeconds - want.durationSeconds);
    if (durationError > tolerance.time) problems.push(`note ${i}: lasts ${got.durationSeconds.toFixed(4)} s, expected ${want.durationSeconds.toFixed(4)} s`);
  }
  return problems;
}

/**
 * Clicks at note boundaries. At each onset and end of a note the waveform must (a) be closed —
 * within ±3 samples of the boundary no sample above 0.02 — and (b) move no faster, within ±1 ms,
 * than it does in the body of the neighbouring notes (largest sample-to-sample step).
 */
export function clickProblems(samples: Float32Array, sampleRate: number, notes: readonly ScheduledNote[]): string[] {
  const problems: string[] = [];
  const at = (seconds: number): number => Math.round(seconds * sampleRate);
  const bodyStep = (n: ScheduledNote): number => maxStep(samples, at(n.startSeconds + n.durationSeconds * 0.25), at(n.startSeconds + n.durationSeconds * 0.75));
  notes.forEach((n, i) => {
    const neighbours = [n, notes[i - 1], notes[i + 1]].filter((x): x is ScheduledNote => x !== undefined);
    const reference = Math.max(...neighbours.map(bodyStep));
    for (const [label, seconds] of [['onset', n.startSeconds], ['end', n.startSeconds + n.durationSeconds]] as const) {
      const b = at(seconds);
      const level = maxAbs(samples, b - 3, b + 4);
      if (level > 0.02) problems.push(`note ${i} ${label} at ${seconds.toFixed(4)} s: level ${level.toFixed(3)} (not closed)`);
      const step = maxStep(samples, b - at(0.001), b + at(0.001));
      if (step > reference) problems.push(`note ${i} ${label} at ${seconds.toFixed(4)} s: step ${step.toFixed(4)} > body ${reference.toFixed(4)}`);
    }
  });
  return problems;
}

/** Rests, and the tail after the last note, must be digital silence (below -100 dBFS). */
export function restProblems(samples: Float32Array, sampleRate: number, rests: readonly ScheduledRest[], notes: readonly ScheduledNote[]): string[] {
  const problems: string[] = [];
  const last = notes.at(-1);
  const spans = rests.map((r) => [r.startSeconds, r.startSeconds + r.durationSeconds] as const);
  if (last) spans.push([last.startSeconds + last.durationSeconds, samples.length / sampleRate]);
  for (const [from, to] of spans) {
    const level = maxAbs(samples, Math.round(from * sampleRate), Math.round(to * sampleRate));
    if (level > 1e-5) problems.push(`silence ${from.toFixed(3)}–${to.toFixed(3)} s reaches ${level}`);
  }
  return problems;
}

export function maxAbs(samples: Float32Array, from: number, to: number): number {
  let peak = 0;
  for (let i = Math.max(0, from); i < Math.min(samples.length, to); i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return peak;
}

function maxStep(samples: Float32Array, from: number, to: number): number {
  let step = 0;
  for (let i = Math.max(1, from); i < Math.min(samples.length, to); i++) step = Math.max(step, Math.abs(samples[i]! - samples[i - 1]!));
  return step;
}

// ------------------------------------------------------------------------------------ Ogg reader

/** Ogg's CRC-32 computed bit by bit (the encoder uses a table). */
export function bitwiseOggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
  }
  return crc >>> 0;
}

export interface OggPage {
  readonly offset: number;
  readonly flags: number;
  readonly granule: bigint;
  readonly serial: number;
  readonly sequence: number;
  readonly crcStored: number;
  readonly crcComputed: number;
  readonly segments: readonly number[];
  readonly body: Uint8Array;
}

export function readOggPages(bytes: Uint8Array): OggPage[] {
  const pages: OggPage[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
    const magic = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    if (magic !== 'OggS') throw new Error(`no OggS capture pattern at byte ${offset}`);
    if (bytes[offset + 4] !== 0) throw new Error(`page at ${offset}: version ${bytes[offset + 4]}`);
    const count = bytes[offset + 26]!;
    const segments = Array.from(bytes.subarray(offset + 27, offset + 27 + count));
    const bodyLength = segments.reduce((a, b) => a + b, 0);
    const length = 27 + count + bodyLength;
    if (offset + length > bytes.length) throw new Error(`page at ${offset} runs past the end`);
    const copy = bytes.slice(offset, offset + length);
    copy.fill(0, 22, 26);
    pages.push({
      offset,
      flags: bytes[offset + 5]!,
      granule: view.getBigInt64(6, true),
      serial: view.getUint32(14, true),
      sequence: view.getUint32(18, true),
      crcStored: view.getUint32(22, true),
      crcComputed: bitwiseOggCrc(copy),
      segments,
      body: bytes.subarray(offset + 27 + count, offset + length),
    });
    offset += length;
  }
  return pages;
}

/** Packets reassembled from the lacing values (a packet may continue across pages). */
export function oggPackets(pages: readonly OggPage[]): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let partial: number[] = [];
  for (const page of pages) {
    let position = 0;
    for (const lace of page.segments) {
      partial.push(...page.body.subarray(position, position + lace));
      position += lace;
      if (lace < 255) {
        packets.push(Uint8Array.from(partial));
        partial = [];
      }
    }
  }
  if (partial.length > 0) throw new Error('stream ends inside a packet');
  return packets;
}

// ------------------------------------------------------------------------------------ MP3 frames

const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0];
const MPEG1_RATES = [44100, 48000, 32000, 0];

export interface Mp3Frame {
  readonly offset: number;
  readonly kbps: number;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly length: number;
}

/** Walks MPEG-1 Layer III frame headers from byte 0; throws at the first byte that is not one. */
export function walkMp3Frames(bytes: Uint8Array): Mp3Frame[] {
  const frames: Mp3Frame[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const b1 = bytes[offset + 1] ?? 0;
    const b2 = bytes[offset + 2] ?? 0;
    const b3 = bytes[offset + 3] ?? 0;
    if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) throw new Error(`no frame sync at byte ${offset}`);
    if (((b1 >> 3) & 3) !== 3) throw new Error(`frame at ${offset} is not MPEG-1`);
    if (((b1 >> 1) & 3) !== 1) throw new Error(`frame at ${offset} is not Layer III`);
    const kbps = MPEG1_L3_KBPS[b2 >> 4]!;
    const sampleRate = MPEG1_RATES[(b2 >> 2) & 3]!;
    if (kbps === 0 || sampleRate === 0) throw new Error(`frame at ${offset}: bad bitrate or rate index`);
    const padding = (b2 >> 1) & 1;
    const length = Math.floor((144_000 * kbps) / sampleRate) + padding;
    frames.push({ offset, kbps, sampleRate, channels: (b3 >> 6) === 3 ? 1 : 2, length });
    offset += length;
  }
  if (offset !== bytes.length) throw new Error(`last frame runs ${offset - bytes.length} bytes past the end`);
  return frames;
}

// ---------------------------------------------------------------------------------------- signals

/** A sine that starts and stops abruptly: the control that the click check must reject. */
export function hardGatedTones(notes: readonly ScheduledNote[], sampleRate: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (const n of notes) {
    const from = Math.round(n.startSeconds * sampleRate);
    const to = Math.round((n.startSeconds + n.durationSeconds) * sampleRate);
    for (let i = from; i < to && i < out.length; i++) out[i] = 0.8 * Math.sin((2 * Math.PI * n.frequency * (i - from)) / sampleRate + 1);
  }
  return out;
}
