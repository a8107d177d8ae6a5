import type { Melody } from '../music/melody.ts';
import { writeMidi } from '../music/midi.ts';
import { encodeMp3, encodeOgg, encodeWav } from './encode.ts';
import type { Mp3Options, OggOptions } from './encode.ts';
import { renderMelody } from './render.ts';
import type { RenderOptions, ScheduledNote } from './render.ts';

// The audio layer's front door: a melody in, a file a Discord message can carry out.
//
//   const file = await renderAudioFile(melody, 'ogg', { tempo: 120, instrument: 'piano', name: 'nabiya' });
//   // → { bytes, filename: 'nabiya.ogg', mime: 'audio/ogg', durationSeconds, notes, … }
//   const midi = midiFile(melody, { name: 'nabiya' });   // always offered beside it
//
// OGG (Opus) is the default attachment: a twentieth of WAV's size, and Discord plays it inline.

export { AudioRequestError } from './errors.ts';
export { DEFAULT_INSTRUMENT, DEFAULT_SAMPLE_RATE, DEFAULT_TEMPO, INSTRUMENTS, MAX_RENDER_SECONDS, isInstrument, planMelody, renderMelody } from './render.ts';
export type { Instrument, MelodyPlan, RenderOptions, RenderedMelody, ScheduledNote, ScheduledRest } from './render.ts';
export { encodeMp3, encodeOgg, encodeWav } from './encode.ts';
export type { Mp3Options, OggOptions } from './encode.ts';
export { trackNotes } from './pitch.ts';
export type { DetectedNote, TrackOptions } from './pitch.ts';
export type { PcmAudio } from './pcm.ts';
/** Loads Tone.js (~0.7 s, once per process); call at startup so the first /play does not wait for it. */
export { loadTone as preloadAudio } from './web-audio.ts';

export const AUDIO_FORMATS = ['ogg', 'wav', 'mp3'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];
export const DEFAULT_AUDIO_FORMAT: AudioFormat = 'ogg';

const MIME: Readonly<Record<AudioFormat, string>> = { ogg: 'audio/ogg', wav: 'audio/wav', mp3: 'audio/mpeg' };

export interface AudioFileOptions extends RenderOptions {
  /** Base of the file name (e.g. the songbook name); made ASCII-safe. Defaults to the melody's title. */
  readonly name?: string;
  readonly ogg?: OggOptions;
  readonly mp3?: Mp3Options;
}

export interface AudioFile {
  readonly bytes: Uint8Array;
  readonly filename: string;
  readonly mime: string;
  readonly format: AudioFormat;
  readonly durationSeconds: number;
  readonly tempo: number;
  /** Where each note sounds in the file (seconds), e.g. to highlight notes while it plays. */
  readonly notes: readonly ScheduledNote[];
}

export interface MidiFile {
  readonly bytes: Uint8Array;
  readonly filename: string;
  readonly mime: 'audio/midi';
}

export function isAudioFormat(name: string): name is AudioFormat {
  return (AUDIO_FORMATS as readonly string[]).includes(name);
}

/** Renders and encodes. Throws AudioRequestError (with `userMessage`) for out-of-bounds requests. */
export async function renderAudioFile(melody: Melody, format: AudioFormat = DEFAULT_AUDIO_FORMAT, options: AudioFileOptions = {}): Promise<AudioFile> {
  if (!isAudioFormat(format)) throw new RangeError(`unknown audio format ${String(format)}`);
  const rendered = await renderMelody(melody, options);
  const title = options.name ?? melody.title;
  const bytes =
    format === 'wav'
      ? encodeWav(rendered)
      : format === 'mp3'
        ? await encodeMp3(rendered, options.mp3)
        : await encodeOgg(rendered, { ...(melody.title ? { title: melody.title } : {}), ...options.ogg });
  return {
    bytes,
    filename: `${fileBase(title)}.${format}`,
    mime: MIME[format],
    format,
    durationSeconds: rendered.durationSeconds,
    tempo: rendered.tempo,
    notes: rendered.notes,
  };
}

/** The melody as a Standard MIDI File (through @tonejs/midi), at the given tempo if there is one. */
export function midiFile(melody: Melody, options: { tempo?: number; name?: string } = {}): MidiFile {
  const source = options.tempo === undefined ? melody : { ...melody, tempo: options.tempo };
  return { bytes: writeMidi(source), filename: `${fileBase(options.name ?? melody.title)}.mid`, mime: 'audio/midi' };
}

/** An ASCII file name base: lowercase letters, digits and dashes, at most 40 characters. */
export function fileBase(name: string | undefined): string {
  const base = (name ?? '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '') // accents left apart by NFKD
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return base || 'melody';
}
