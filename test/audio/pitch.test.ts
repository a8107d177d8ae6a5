import { describe, expect, it } from 'vitest';
import { estimatePitch, frequencyToMidi, trackNotes } from '../../src/audio/pitch.ts';

// The tracker on signals built by hand, independent of the renderer.

const RATE = 48_000;

function sine(frequency: number, seconds: number, harmonics: readonly number[] = [1]): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) {
    let value = 0;
    harmonics.forEach((amplitude, h) => (value += amplitude * Math.sin((2 * Math.PI * frequency * (h + 1) * i) / RATE)));
    out[i] = value;
  }
  return out;
}

interface Tone {
  readonly frequency: number;
  readonly start: number;
  readonly seconds: number;
  readonly level?: number;
}

/** Notes shaped like render.ts shapes them (5 ms attack, 30 ms release, both linear), mixed into one buffer. */
function sequence(tones: readonly Tone[], total: number): Float32Array {
  const out = new Float32Array(Math.round(total * RATE));
  const attack = Math.round(0.005 * RATE);
  for (const tone of tones) {
    const from = Math.round(tone.start * RATE);
    const length = Math.round(tone.seconds * RATE);
    const release = Math.round(Math.min(0.03, tone.seconds * 0.3) * RATE);
    for (let i = 0; i < length; i++) {
      const gain = Math.min(1, i / attack, (length - i) / release) * (tone.level ?? 0.5);
      out[from + i] = (out[from + i] ?? 0) + gain * Math.sin((2 * Math.PI * tone.frequency * i) / RATE);
    }
  }
  return out;
}

describe('estimatePitch (YIN)', () => {
  it.each([55, 110, 261.63, 440, 1000, 3000])('finds a %s Hz sine to a thousandth', (frequency) => {
    const samples = sine(frequency, 0.1);
    const estimate = estimatePitch(samples, RATE, 0, samples.length, { minFrequency: 40, maxFrequency: 4200 });
    expect(estimate).not.toBeNull();
    expect(Math.abs(estimate!.frequency / frequency - 1)).toBeLessThan(0.001);
    expect(estimate!.clarity).toBeGreaterThan(0.9);
  });

  it('finds the fundamental of a tone whose second harmonic is stronger', () => {
    const samples = sine(220, 0.1, [0.4, 1, 0.5, 0.3]);
    const estimate = estimatePitch(samples, RATE, 0, samples.length, { minFrequency: 40, maxFrequency: 4200 });
    expect(Math.abs(estimate!.frequency / 220 - 1)).toBeLessThan(0.002);
  });

  it('gives up on a stretch too short for any lag', () => {
    // 20 samples leave lags up to 10, and 4.2 kHz already needs 11.
    expect(estimatePitch(sine(440, 0.001), RATE, 0, 20, { minFrequency: 40, maxFrequency: 4200 })).toBeNull();
    // 48 samples are enough for a 2 kHz tone (period 24).
    expect(estimatePitch(sine(2000, 0.001), RATE, 0, 48, { minFrequency: 40, maxFrequency: 4200 })!.frequency).toBeCloseTo(2000, -1);
  });
});

describe('trackNotes', () => {
  it('separates notes by silence and by dips, equal pitches included, with onsets and lengths within 6 ms', () => {
    const tones: Tone[] = [
      { frequency: 220, start: 0.1, seconds: 0.3 },
      { frequency: 220, start: 0.4, seconds: 0.3 }, // same pitch, touching: only the envelopes separate them
      { frequency: 330, start: 0.7, seconds: 0.15, level: 0.3 }, // quieter
      { frequency: 55, start: 1.0, seconds: 0.4 }, // low, after a rest
      { frequency: 2093, start: 1.4, seconds: 0.08 }, // high and short
    ];
    const found = trackNotes(sequence(tones, 1.7), RATE);
    expect(found).toHaveLength(tones.length);
    found.forEach((note, i) => {
      const tone = tones[i]!;
      expect(Math.abs(note.frequency / tone.frequency - 1)).toBeLessThan(0.005);
      expect(Math.abs(note.startSeconds - tone.start)).toBeLessThan(0.006);
      expect(Math.abs(note.durationSeconds - tone.seconds)).toBeLessThan(0.006);
      expect(note.midi).toBe(Math.round(frequencyToMidi(tone.frequency)));
    });
    expect(found[4]!.midi).toBe(96); // C7
  });

  it('finds nothing in silence, and ignores blips shorter than a note', () => {
    expect(trackNotes(new Float32Array(RATE), RATE)).toEqual([]);
    const blip = sequence([{ frequency: 440, start: 0.2, seconds: 0.008 }], 0.5);
    expect(trackNotes(blip, RATE)).toEqual([]);
  });

  it('reports cents off the nearest note', () => {
    const found = trackNotes(sequence([{ frequency: 440 * 2 ** (20 / 1200), start: 0.05, seconds: 0.3 }], 0.5), RATE);
    expect(found).toHaveLength(1);
    expect(found[0]!.midi).toBe(69);
    expect(found[0]!.cents).toBeCloseTo(20, 0);
  });
});

describe('frequencyToMidi', () => {
  it('maps A4 to 69 and octaves to twelve steps', () => {
    expect(frequencyToMidi(440)).toBe(69);
    expect(frequencyToMidi(880)).toBeCloseTo(81, 12);
    expect(frequencyToMidi(261.6256)).toBeCloseTo(60, 4);
  });
});
