import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createEncoder } from 'wasm-media-encoders';
import { OggWriter } from './ogg.ts';
import { checkPcm, frameCount, resampleLinear, toInt16 } from './pcm.ts';
import type { PcmAudio } from './pcm.ts';

// PCM → file bytes, with nothing that downloads a binary at install time:
// - WAV: 16-bit PCM, written here.
// - OGG: Opus (libopus through opusscript, the emscripten build @discordjs/voice also uses) in an
//   Ogg stream written by ogg.ts, with the OpusHead / OpusTags headers of RFC 7845.
// - MP3: LAME compiled to WebAssembly (wasm-media-encoders), constant bitrate, behind a LAME
//   "Info" tag written here so that players know the exact length.
// The lossy encoders are synchronous libraries; they are fed in slices with a turn of the event
// loop in between, so that encoding a long melody never freezes the bot.

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------- WAV

export function encodeWav(pcm: PcmAudio): Uint8Array {
  checkPcm(pcm, 8);
  const channels = pcm.channels.length;
  const frames = frameCount(pcm);
  const dataBytes = frames * channels * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, pcm.sampleRate, true);
  view.setUint32(28, pcm.sampleRate * channels * 2, true); // byte rate
  view.setUint16(32, channels * 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  let offset = 44;
  for (let frame = 0; frame < frames; frame++) {
    for (let channel = 0; channel < channels; channel++) {
      view.setInt16(offset, toInt16(pcm.channels[channel]![frame]!), true);
      offset += 2;
    }
  }
  return bytes;
}

// --------------------------------------------------------------------------------------------- Opus

/** The parts of opusscript (0.0.8) used here; its bundled typings are a CommonJS `export =`. */
interface OpusScriptInstance {
  encode(pcm: Buffer, frameSize: number): Buffer;
  decode(packet: Buffer): Buffer;
  encoderCTL(request: number, value: number): void;
  delete(): void;
}
interface OpusScriptConstructor {
  new (sampleRate: 8000 | 12000 | 16000 | 24000 | 48000, channels?: number, application?: number): OpusScriptInstance;
  readonly Application: { readonly VOIP: number; readonly AUDIO: number; readonly RESTRICTED_LOWDELAY: number };
}

export const OpusScript = require('opusscript') as OpusScriptConstructor;

/** libopus encoder requests (opus_defines.h). */
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_MUSIC = 3002;

/** Samples per channel in a 20 ms frame at 48 kHz. */
export const OPUS_FRAME = 960;
/**
 * libopus's lookahead at 48 kHz with the AUDIO application: 2.5 ms + 4 ms of delay compensation.
 * opusscript cannot run the GET requests that would report it; the tests measure it instead.
 */
export const OPUS_PRE_SKIP = 312;
const OPUS_RATE = 48_000;
const OGG_SERIAL = 0x4e414249; // "NABI"
const SLICE_FRAMES = 25; // 0.5 s of audio (~50 ms of work) between event-loop turns

export interface OggOptions {
  /** Bits per second for the whole stream; default 64 kb/s mono, 96 kb/s stereo. */
  readonly bitrate?: number;
  /** libopus complexity 0–10: 10 is its default and best; 5 encodes ~2.5× faster, nearly as well. */
  readonly complexity?: number;
  /** Written as the stream's TITLE comment. */
  readonly title?: string;
}

export const DEFAULT_OPUS_COMPLEXITY = 5;

/** Opus in Ogg (RFC 7845), 48 kHz, mono or stereo; other input rates are resampled first. */
export async function encodeOgg(pcm: PcmAudio, options: OggOptions = {}): Promise<Uint8Array> {
  checkPcm(pcm, 2);
  const channels = pcm.channels.length;
  const input = pcm.channels.map((channel) => resampleLinear(channel, pcm.sampleRate, OPUS_RATE));
  const samples = input[0]!.length;
  const bitrate = options.bitrate ?? (channels === 1 ? 64_000 : 96_000);
  const complexity = options.complexity ?? DEFAULT_OPUS_COMPLEXITY;
  if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) throw new RangeError('Opus complexity is 0 to 10');
  if (!Number.isInteger(bitrate) || bitrate < 6_000 || bitrate > 510_000) throw new RangeError('Opus bitrate is 6000 to 510000 b/s');

  const encoder = new OpusScript(OPUS_RATE, channels, OpusScript.Application.AUDIO);
  try {
    encoder.encoderCTL(OPUS_SET_BITRATE, bitrate);
    encoder.encoderCTL(OPUS_SET_COMPLEXITY, complexity);
    encoder.encoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_MUSIC);

    const ogg = new OggWriter(OGG_SERIAL);
    ogg.writeHeaderPage(opusHead(channels, OPUS_PRE_SKIP, pcm.sampleRate));
    ogg.writeHeaderPage(opusTags(options.title));

    // Enough frames that the decoder, after dropping the pre-skip, has every input sample.
    const frames = Math.max(1, Math.ceil((samples + OPUS_PRE_SKIP) / OPUS_FRAME));
    const frame = Buffer.alloc(OPUS_FRAME * channels * 2);
    for (let index = 0; index < frames; index++) {
      const first = index * OPUS_FRAME;
      for (let i = 0; i < OPUS_FRAME; i++) {
        for (let channel = 0; channel < channels; channel++) {
          const sample = input[channel]![first + i] ?? 0;
          frame.writeInt16LE(toInt16(sample), (i * channels + channel) * 2);
        }
      }
      const packet = encoder.encode(frame, OPUS_FRAME);
      const last = index === frames - 1;
      // Granule: 48 kHz samples decoded so far, pre-skip included; the last page's says where to
      // stop, which trims the padding of the final frame.
      const granule = last ? BigInt(OPUS_PRE_SKIP + samples) : BigInt((index + 1) * OPUS_FRAME);
      ogg.writePacket({ data: new Uint8Array(packet), granule });
      if ((index + 1) % SLICE_FRAMES === 0) await nextTurn();
    }
    return ogg.finish();
  } finally {
    encoder.delete();
  }
}

function opusHead(channels: number, preSkip: number, inputRate: number): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode('OpusHead'));
  head[8] = 1; // version
  head[9] = channels;
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputRate, true); // informational: the rate before encoding
  view.setInt16(16, 0, true); // output gain
  head[18] = 0; // channel mapping family 0: mono or stereo
  return head;
}

function opusTags(title: string | undefined): Uint8Array {
  const encoder = new TextEncoder();
  const vendor = encoder.encode('nabi (libopus via opusscript)');
  const comments = title ? [encoder.encode(`TITLE=${Array.from(title).slice(0, 200).join('')}`)] : [];
  const length = 8 + 4 + vendor.length + 4 + comments.reduce((sum, comment) => sum + 4 + comment.length, 0);
  const tags = new Uint8Array(length);
  const view = new DataView(tags.buffer);
  tags.set(encoder.encode('OpusTags'));
  view.setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  let offset = 12 + vendor.length;
  view.setUint32(offset, comments.length, true);
  offset += 4;
  for (const comment of comments) {
    view.setUint32(offset, comment.length, true);
    tags.set(comment, offset + 4);
    offset += 4 + comment.length;
  }
  return tags;
}

// ---------------------------------------------------------------------------------------------- MP3

export interface Mp3Options {
  /** Constant bitrate in kb/s (constant, so that every player reads the duration right). */
  readonly bitrate?: 64 | 96 | 128 | 160 | 192 | 256 | 320;
}

const MP3_RATES = new Set([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]);
const MP3_SLICE = 48_000 * 2;
/** Node's global WebAssembly (not in the ES lib the project compiles against). */
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<object> } };
type Mp3Wasm = Parameters<typeof createEncoder>[1];
let mp3Module: Promise<Mp3Wasm> | undefined;

/** LAME's wasm, compiled once per process and instantiated per file. */
function loadMp3Module(): Promise<Mp3Wasm> {
  mp3Module ??= readFile(require.resolve('wasm-media-encoders/wasm/mp3'))
    .then(async (bytes) => (await wasm.compile(bytes)) as Mp3Wasm)
    .catch((error: unknown) => {
      mp3Module = undefined;
      throw error;
    });
  return mp3Module;
}

/** MPEG-1/2 Layer III, constant bitrate, at the input's rate (resampled to 48 kHz if MP3 has no such rate). */
export async function encodeMp3(pcm: PcmAudio, options: Mp3Options = {}): Promise<Uint8Array> {
  checkPcm(pcm, 2);
  const rate = MP3_RATES.has(pcm.sampleRate) ? pcm.sampleRate : 48_000;
  const input = pcm.channels.map((channel) => resampleLinear(channel, pcm.sampleRate, rate));
  const encoder = await createEncoder('audio/mpeg', await loadMp3Module());
  encoder.configure({
    sampleRate: rate,
    channels: input.length as 1 | 2,
    bitrate: options.bitrate ?? 128,
  });
  const chunks: Uint8Array[] = [];
  const length = input[0]!.length;
  for (let offset = 0; offset < length; offset += MP3_SLICE) {
    // The encoder owns the returned bytes until its next call: copy them.
    chunks.push(encoder.encode(input.map((channel) => channel.subarray(offset, offset + MP3_SLICE))).slice());
    if (offset + MP3_SLICE < length) await nextTurn();
  }
  chunks.push(encoder.finalize().slice());
  return withInfoTag(concat(chunks), length, LAME_ENCODER_DELAY);
}

/** Samples LAME puts before the audio (its MDCT look-ahead); decoders add their own 529. */
const LAME_ENCODER_DELAY = 576;
const MPEG1_LAYER3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0];
const MPEG1_RATES = [44100, 48000, 32000, 0];

/**
 * Puts a LAME-style "Info" frame (Xing header + LAME extension, as LAME itself writes for CBR) in
 * front of the audio frames. The wasm encoder streams and cannot go back to write it. The tag gives
 * players the exact length and the encoder delay and padding, so gapless decoders (mpg123,
 * ffmpeg, browsers) return exactly the rendered samples instead of 23 ms of lead-in and a padded
 * last frame. MPEG-1 (32–48 kHz) only; other streams are returned unchanged.
 */
export function withInfoTag(mp3: Uint8Array, samples: number, delay: number): Uint8Array {
  const header = mp3.subarray(0, 4);
  const [b0, b1, b2, b3] = [header[0] ?? 0, header[1] ?? 0, header[2] ?? 0, header[3] ?? 0];
  const mpeg1Layer3 = b0 === 0xff && (b1 & 0xfe) === 0xfa; // sync, MPEG-1, Layer III (either CRC bit)
  const kbps = MPEG1_LAYER3_KBPS[b2 >> 4] ?? 0;
  const rate = MPEG1_RATES[(b2 >> 2) & 3] ?? 0;
  if (!mpeg1Layer3 || (b1 & 1) === 0 || kbps === 0 || rate === 0) return mp3;
  // Count the audio frames (CBR: every header like the first, bar the padding bit).
  let frames = 0;
  for (let offset = 0; offset + 4 <= mp3.length; frames++) {
    if (mp3[offset] !== 0xff || ((mp3[offset + 1] ?? 0) & 0xfe) !== 0xfa) return mp3;
    offset += Math.floor((144_000 * kbps) / rate) + (((mp3[offset + 2] ?? 0) >> 1) & 1);
  }
  const padding = frames * 1152 - delay - samples;
  if (padding < 0 || padding > 0xfff || delay > 0xfff) return mp3;

  const frameLength = Math.floor((144_000 * kbps) / rate);
  const sideInfo = b3 >> 6 === 3 ? 17 : 32; // mono : stereo
  const tag = new Uint8Array(frameLength);
  const view = new DataView(tag.buffer);
  tag.set([b0, b1, b2 & ~0x02, b3]); // same header, no padding byte
  let o = 4 + sideInfo; // side information stays zero: the frame decodes to silence if played
  tag.set(new TextEncoder().encode('Info'), o);
  view.setUint32(o + 4, 0x0f, false); // frames, bytes, TOC and quality present
  view.setUint32(o + 8, frames, false);
  view.setUint32(o + 12, frameLength + mp3.length, false);
  for (let i = 0; i < 100; i++) tag[o + 16 + i] = Math.floor((i * 256) / 100); // CBR: a straight line
  view.setUint32(o + 116, 100, false);
  o += 120;
  tag.set(new TextEncoder().encode('LAME3.100'), o);
  tag[o + 9] = 0x01; // tag revision 0, CBR
  tag[o + 20] = Math.min(kbps, 255);
  tag[o + 21] = delay >> 4;
  tag[o + 22] = ((delay & 0x0f) << 4) | (padding >> 8);
  tag[o + 23] = padding & 0xff;
  view.setUint32(o + 28, frameLength + mp3.length, false); // music length: the whole file
  view.setUint16(o + 32, crc16(mp3), false); // music CRC: the audio frames
  view.setUint16(o + 34, crc16(tag.subarray(0, o + 34)), false); // tag CRC: everything before it
  return concat([tag, mp3]);
}

/** CRC-16/ARC (polynomial 0x8005, reflected, initial 0), the one LAME uses in its tag. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i]!;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

// ------------------------------------------------------------------------------------------- shared

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
