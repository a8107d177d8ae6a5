import { MAX_TEMPO, MIN_TEMPO } from '../music/limits.ts';
import { midiNumber, quarterLength } from '../music/melody.ts';
import type { Melody } from '../music/melody.ts';
import { AudioRequestError } from './errors.ts';
import type { PcmAudio } from './pcm.ts';
import { renderOffline } from './web-audio.ts';
import type { Tone, ToneOfflineContext } from './web-audio.ts';

// Melody → sound, through Tone's synths rendered offline (see web-audio.ts).
//
// Timing is exact: a note of q quarter notes at tempo t starts where the previous event ended and
// sounds for q·60/t seconds — its envelope opens at the onset and has closed again, fully, at the
// end. A 5 ms attack and a 30 ms release, both linear ramps (shortened for very short notes), take
// every note in from and out to silence, so the waveform never jumps: there is no click at a note
// boundary, and two equal notes in a row are still heard, and measured, as two. (Tone's curved
// envelope shapes use setValueCurveAtTime, which makes node-web-audio-api render several times
// slower; at these lengths a ramp sounds the same.) Pitch changes only while the level is zero. Rests are
// digital silence. After the last event comes a short silent tail; the whole is then scaled so
// its peak sits at -1 dBFS, whatever the instrument's own loudness.

export const INSTRUMENTS = ['piano', 'synth', 'organ', 'pluck'] as const;
export type Instrument = (typeof INSTRUMENTS)[number];

export const DEFAULT_TEMPO = 120;
export const DEFAULT_INSTRUMENT: Instrument = 'piano';
/** Opus's native rate and Discord voice's; also the default for files. */
export const DEFAULT_SAMPLE_RATE = 48_000;
export const MIN_SAMPLE_RATE = 8_000;
export const MAX_SAMPLE_RATE = 96_000;
/** Longest melody rendered (10 minutes of audio is ~115 MB of float samples at 48 kHz). */
export const MAX_RENDER_SECONDS = 600;
/** Silence after the last event, so players do not cut the final release. */
export const TAIL_SECONDS = 0.25;
/** Target peak after normalisation: -1 dBFS, headroom for lossy codecs' overshoot. */
export const PEAK_LEVEL = 10 ** (-1 / 20);

const ATTACK_SECONDS = 0.005;
const RELEASE_SECONDS = 0.03;
const VELOCITY = 0.8;
const CLOSE_EARLY_SECONDS = 0.001;

export interface RenderOptions {
  /** Quarter notes per minute; defaults to the melody's own tempo, then 120. */
  readonly tempo?: number;
  readonly instrument?: Instrument;
  readonly sampleRate?: number;
}

export interface ScheduledNote {
  /** Index of the note in `melody.events` (rests count). */
  readonly index: number;
  readonly midi: number;
  /** Equal-tempered frequency, A4 = 440 Hz. */
  readonly frequency: number;
  readonly startSeconds: number;
  readonly durationSeconds: number;
}

export interface ScheduledRest {
  readonly index: number;
  readonly startSeconds: number;
  readonly durationSeconds: number;
}

export interface MelodyPlan {
  readonly tempo: number;
  readonly instrument: Instrument;
  readonly sampleRate: number;
  readonly notes: readonly ScheduledNote[];
  readonly rests: readonly ScheduledRest[];
  /** End of the last event. */
  readonly melodySeconds: number;
  /** Length of the rendered audio: the melody plus the tail. */
  readonly durationSeconds: number;
}

export interface RenderedMelody extends PcmAudio {
  readonly channels: Float32Array[];
  readonly durationSeconds: number;
  readonly tempo: number;
  readonly instrument: Instrument;
  readonly notes: readonly ScheduledNote[];
  readonly rests: readonly ScheduledRest[];
}

export function midiToFrequency(midi: number): number {
  return 440 * 2 ** ((midi - 69) / 12);
}

export function isInstrument(name: string): name is Instrument {
  return (INSTRUMENTS as readonly string[]).includes(name);
}

/**
 * The timing of every event, checked against the bounds. Pure and cheap: callers can use it to
 * refuse a request before queueing any work. Throws AudioRequestError with a message for the member.
 */
export function planMelody(melody: Melody, options: RenderOptions = {}): MelodyPlan {
  const tempo = options.tempo ?? melody.tempo ?? DEFAULT_TEMPO;
  if (!Number.isFinite(tempo) || tempo < MIN_TEMPO || tempo > MAX_TEMPO) {
    throw new AudioRequestError(
      `tempo ${formatNumber(tempo)} is out of range — use ${MIN_TEMPO} to ${MAX_TEMPO} quarter notes per minute`,
    );
  }
  const instrument = options.instrument ?? DEFAULT_INSTRUMENT;
  if (!isInstrument(instrument)) {
    throw new AudioRequestError(`unknown instrument \`${String(instrument).slice(0, 24)}\` — use one of ${INSTRUMENTS.join(', ')}`);
  }
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new AudioRequestError(`sample rate ${formatNumber(sampleRate)} is not supported — use a whole number of Hz from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}`);
  }
  if (melody.events.length === 0) throw new AudioRequestError('the melody is empty — there is nothing to play');

  const secondsPerQuarter = 60 / tempo;
  const notes: ScheduledNote[] = [];
  const rests: ScheduledRest[] = [];
  let quarters = 0;
  melody.events.forEach((event, index) => {
    const length = quarterLength(event.duration);
    // Positions come from the running total in quarter notes, so rounding never accumulates.
    const startSeconds = quarters * secondsPerQuarter;
    const durationSeconds = length * secondsPerQuarter;
    quarters += length;
    if (event.kind === 'note') {
      const midi = midiNumber(event.pitch);
      notes.push({ index, midi, frequency: midiToFrequency(midi), startSeconds, durationSeconds });
    } else {
      rests.push({ index, startSeconds, durationSeconds });
    }
  });
  const melodySeconds = quarters * secondsPerQuarter;
  if (melodySeconds > MAX_RENDER_SECONDS) {
    throw new AudioRequestError(
      `this melody lasts ${formatMinutes(melodySeconds)} at ${formatNumber(tempo)} bpm; Nabi renders at most ${formatMinutes(MAX_RENDER_SECONDS)} — choose a faster tempo or a shorter melody`,
    );
  }
  return { tempo, instrument, sampleRate, notes, rests, melodySeconds, durationSeconds: melodySeconds + TAIL_SECONDS };
}

/** Renders the melody to mono PCM. Throws AudioRequestError for out-of-bounds requests. */
export async function renderMelody(melody: Melody, options: RenderOptions = {}): Promise<RenderedMelody> {
  const plan = planMelody(melody, options);
  const channels = await renderOffline(
    { sampleRate: plan.sampleRate, channels: 1, durationSeconds: plan.durationSeconds },
    (tone, context) => schedule(tone, context, plan),
  );
  normalise(channels, PEAK_LEVEL);
  return {
    sampleRate: plan.sampleRate,
    channels,
    durationSeconds: (channels[0]?.length ?? 0) / plan.sampleRate,
    tempo: plan.tempo,
    instrument: plan.instrument,
    notes: plan.notes,
    rests: plan.rests,
  };
}

/** Tone's Envelope, as far as the scheduler uses it. */
interface EnvelopeControl {
  attack: unknown;
  release: unknown;
  triggerAttack(time: number, velocity?: number): unknown;
  triggerRelease(time: number): unknown;
}

/**
 * One instrument, taken apart: the oscillators start once and run to the end, the pitch changes
 * only while the amplitude envelope is closed, and the envelopes are triggered note by note.
 * (Tone's own `triggerAttack` would instead stop and recreate the oscillator nodes for every note
 * whose release completes; node-web-audio-api's render time then grows with notes × length —
 * about 1 s instead of 0.1 s for 나비야.)
 */
interface Voice {
  readonly frequency: { setValueAtTime(value: number, time: number): unknown };
  readonly oscillators: readonly { start(time?: number): unknown }[];
  /** Shapes the loudness; given each note's attack and release. */
  readonly amplitude: EnvelopeControl;
  /** Shape the timbre (filter cutoff, modulation depth) with their own settings. */
  readonly shaping: readonly EnvelopeControl[];
}

/** Notes scheduled between two turns of the event loop (Tone spends ~1 ms of JavaScript on each). */
const NOTES_PER_STEP = 100;

function* schedule(tone: Tone, context: ToneOfflineContext, plan: MelodyPlan): Generator<void> {
  const voice = createVoice(tone, context, plan.instrument);
  for (const oscillator of voice.oscillators) oscillator.start(0);
  for (const [i, note] of plan.notes.entries()) {
    if (i > 0 && i % NOTES_PER_STEP === 0) yield;
    const attack = Math.min(ATTACK_SECONDS, note.durationSeconds * 0.25);
    const release = Math.min(RELEASE_SECONDS, note.durationSeconds * 0.3);
    // The envelope is fully closed CLOSE_EARLY_SECONDS before the next onset: node-web-audio-api's
    // cancelAndHoldAtTime, which Tone calls for the next attack, drops a ramp that ends exactly at
    // the hold time, and the level would then jump to zero there — a click.
    const releaseAt = note.startSeconds + note.durationSeconds - CLOSE_EARLY_SECONDS - release;
    voice.frequency.setValueAtTime(note.frequency, note.startSeconds);
    // Tone reads attack and release when a trigger is scheduled, so each note can have its own.
    voice.amplitude.attack = attack;
    voice.amplitude.release = release;
    voice.amplitude.triggerAttack(note.startSeconds, VELOCITY);
    voice.amplitude.triggerRelease(releaseAt);
    for (const envelope of voice.shaping) {
      envelope.triggerAttack(note.startSeconds);
      envelope.triggerRelease(releaseAt);
    }
  }
}

/** Amplitude-envelope shape shared by every instrument; attack and release are set per note. */
const ENVELOPE_SHAPE = { attackCurve: 'linear', releaseCurve: 'linear', decayCurve: 'exponential' } as const;

function createVoice(tone: Tone, context: ToneOfflineContext, instrument: Instrument): Voice {
  switch (instrument) {
    case 'synth': {
      // Triangle wave, nearly flat sustain: Tone's default synth sound.
      const synth = new tone.Synth({
        context,
        oscillator: { type: 'triangle' },
        envelope: { ...ENVELOPE_SHAPE, attack: ATTACK_SECONDS, decay: 0.2, sustain: 0.7, release: RELEASE_SECONDS },
      }).connect(context.destination);
      return { frequency: synth.frequency, oscillators: [synth.oscillator], amplitude: synth.envelope, shaping: [] };
    }
    case 'organ': {
      // A sine amplitude-modulated by a sine at twice its frequency: the fundamental and its third
      // harmonic, like a stopped flute stop, held with no decay. (An additive `custom` wave would
      // come closer to a drawbar organ, but node-web-audio-api takes ~0.5 s to build the
      // 2048-term PeriodicWave Tone asks for.)
      const synth = new tone.Synth({
        context,
        oscillator: { type: 'amsine', harmonicity: 2, modulationType: 'sine' },
        envelope: { ...ENVELOPE_SHAPE, attack: ATTACK_SECONDS, decay: 0.01, sustain: 1, release: RELEASE_SECONDS },
      }).connect(context.destination);
      return { frequency: synth.frequency, oscillators: [synth.oscillator], amplitude: synth.envelope, shaping: [] };
    }
    case 'piano': {
      // FM with a 1:3 ratio (Tone's default; no partial lands on 0 Hz, so no DC offset): a bright
      // strike that mellows as the modulation envelope falls, while the level decays.
      const synth = new tone.FMSynth({
        context,
        harmonicity: 3,
        modulationIndex: 2,
        oscillator: { type: 'sine' },
        modulation: { type: 'sine' },
        envelope: { ...ENVELOPE_SHAPE, attack: ATTACK_SECONDS, decay: 1.2, sustain: 0.3, release: RELEASE_SECONDS },
        modulationEnvelope: { attack: 0.002, decay: 0.4, sustain: 0.25, release: 0.1 },
      }).connect(context.destination);
      return {
        frequency: synth.frequency,
        oscillators: [synth.oscillator, synth.modulation],
        amplitude: synth.envelope,
        shaping: [synth.modulationEnvelope],
      };
    }
    case 'pluck': {
      // Sawtooth through a low-pass whose cutoff snaps shut: a plucked-string decay.
      const synth = new tone.MonoSynth({
        context,
        oscillator: { type: 'sawtooth' },
        filter: { type: 'lowpass', Q: 1, rolloff: -24 },
        filterEnvelope: { attack: 0.002, decay: 0.25, sustain: 0.35, release: 0.1, baseFrequency: 900, octaves: 3.5 },
        envelope: { ...ENVELOPE_SHAPE, attack: ATTACK_SECONDS, decay: 0.5, sustain: 0.35, release: RELEASE_SECONDS },
      }).connect(context.destination);
      return { frequency: synth.frequency, oscillators: [synth.oscillator], amplitude: synth.envelope, shaping: [synth.filterEnvelope] };
    }
  }
}

function normalise(channels: readonly Float32Array[], level: number): void {
  let peak = 0;
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) {
      const magnitude = Math.abs(channel[i]!);
      if (magnitude > peak) peak = magnitude;
    }
  }
  if (peak === 0) return;
  const gain = level / peak;
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) channel[i] = channel[i]! * gain;
  }
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : String(value);
}

function formatMinutes(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}
