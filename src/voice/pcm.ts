import { Readable } from 'node:stream';
import { createAudioResource, StreamType, type AudioResource } from '@discordjs/voice';
import type { PcmAudio } from '../audio/index.ts';

// Rendered audio → what Discord voice takes: 48 kHz, 2 channels, signed 16-bit little-endian,
// which @discordjs/voice encodes to 20 ms Opus frames (prism-media with opusscript) as it plays.

export const VOICE_SAMPLE_RATE = 48_000;
export const VOICE_CHANNELS = 2;
/** One 20 ms frame of stereo s16le. */
const FRAME_BYTES = (VOICE_SAMPLE_RATE / 50) * VOICE_CHANNELS * 2;
const CHUNK_FRAMES = 50;

/** Interleaved stereo s16le; mono is copied to both sides, more channels are mixed down to two. */
export function toVoicePcm(audio: PcmAudio): Buffer {
  if (audio.sampleRate !== VOICE_SAMPLE_RATE) throw new RangeError(`Voice needs ${VOICE_SAMPLE_RATE} Hz audio, got ${audio.sampleRate} Hz`);
  const left = audio.channels[0];
  if (!left) throw new RangeError('The audio has no channels');
  const right = audio.channels[1] ?? left;
  const out = Buffer.alloc(left.length * VOICE_CHANNELS * 2);
  for (let i = 0; i < left.length; i++) {
    out.writeInt16LE(toInt16(left[i] ?? 0), i * 4);
    out.writeInt16LE(toInt16(right[i] ?? 0), i * 4 + 2);
  }
  return out;
}

function toInt16(sample: number): number {
  const clamped = Math.max(-1, Math.min(1, sample));
  return Math.round(clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff);
}

/** A fresh resource over `pcm` (a resource plays once; make one per play). */
export function pcmResource<T extends object>(pcm: Buffer, metadata: T): AudioResource<T> {
  // createAudioResource types its metadata as `T extends null | undefined ? null : T`; T is an object here.
  function* chunks(): Generator<Buffer> {
    for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES * CHUNK_FRAMES) yield pcm.subarray(offset, offset + FRAME_BYTES * CHUNK_FRAMES);
  }
  return createAudioResource(Readable.from(chunks(), { objectMode: false }), { inputType: StreamType.Raw, metadata }) as AudioResource<T>;
}
