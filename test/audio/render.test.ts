import { describe, expect, it } from 'vitest';
import { AudioRequestError } from '../../src/audio/errors.ts';
import { trackNotes } from '../../src/audio/pitch.ts';
import { INSTRUMENTS, PEAK_LEVEL, TAIL_SECONDS, planMelody, renderMelody } from '../../src/audio/render.ts';
import type { Instrument, RenderedMelody } from '../../src/audio/render.ts';
import { note } from '../../src/music/melody.ts';
import type { Melody } from '../../src/music/melody.ts';
import { getSong } from '../../src/music/songbook.ts';
import { TEST_MELODY, clickProblems, hardGatedTones, maxAbs, noteProblems, restProblems } from './helpers.ts';

const NABIYA = getSong('nabiya').melody;

function mono(rendered: RenderedMelody): Float32Array {
  return rendered.channels[0]!;
}

describe('planMelody', () => {
  it('times every event exactly from quarter lengths and tempo', () => {
    const plan = planMelody(NABIYA, { tempo: 120 });
    expect(plan.notes).toHaveLength(54);
    expect(plan.rests).toHaveLength(0);
    // 16 bars of 2/4 = 32 quarter notes = 16 s at 120 bpm.
    expect(plan.melodySeconds).toBeCloseTo(16, 12);
    expect(plan.durationSeconds).toBeCloseTo(16 + TAIL_SECONDS, 12);
    expect(plan.notes[0]).toMatchObject({ index: 0, midi: 67, startSeconds: 0, durationSeconds: 0.25 });
    expect(plan.notes[2]).toMatchObject({ index: 2, midi: 64, startSeconds: 0.5, durationSeconds: 0.5 });
    expect(plan.notes[0]!.frequency).toBeCloseTo(391.995, 3);
  });

  it('handles dots, rests and accidentals, and indexes notes by event', () => {
    const plan = planMelody(TEST_MELODY, { tempo: 60 });
    expect(plan.rests.map((r) => r.index)).toEqual([0, 4, 10, 15]);
    const dotted = plan.notes.find((n) => n.index === 7)!;
    expect(dotted).toMatchObject({ midi: 88, durationSeconds: 0.75 });
    expect(plan.notes.find((n) => n.index === 1)!.midi).toBe(66); // F#4
    expect(plan.notes.find((n) => n.index === 13)!.midi).toBe(62); // C double sharp
    expect(plan.notes[0]!.startSeconds).toBe(0.5); // after the leading eighth rest
    expect(plan.melodySeconds).toBeCloseTo(0.5 * 3 + 1 + 1 + 1 + 0.5 + 0.75 + 0.25 + 3 + 0.25 * 3 + 0.5 + 1 + 2, 12);
  });

  it("uses the melody's tempo, then 120", () => {
    expect(planMelody({ ...NABIYA, tempo: 90 }).tempo).toBe(90);
    expect(planMelody({ events: NABIYA.events }).tempo).toBe(120);
    expect(planMelody({ ...NABIYA, tempo: 90 }, { tempo: 200 }).tempo).toBe(200);
  });

  it('refuses out-of-bounds requests with a message for the member', () => {
    const refusal = (melody: Melody, options: Parameters<typeof planMelody>[1]): string => {
      try {
        planMelody(melody, options);
      } catch (error) {
        expect(error).toBeInstanceOf(AudioRequestError);
        return (error as AudioRequestError).userMessage;
      }
      throw new Error('accepted');
    };
    expect(refusal(NABIYA, { tempo: 19 })).toMatch(/tempo 19 .*20 to 400/);
    expect(refusal(NABIYA, { tempo: 401 })).toMatch(/tempo 401/);
    expect(refusal(NABIYA, { tempo: Number.NaN })).toMatch(/tempo NaN/);
    expect(refusal(NABIYA, { instrument: 'kazoo' as Instrument })).toMatch(/unknown instrument `kazoo` — use one of piano, synth, organ, pluck/);
    expect(refusal(NABIYA, { sampleRate: 1000 })).toMatch(/sample rate 1000/);
    expect(refusal({ events: [] }, {})).toMatch(/empty/);
    // 200 whole notes at 20 bpm: 40 minutes.
    const long: Melody = { events: Array.from({ length: 200 }, () => note('c', 1)) };
    expect(refusal(long, { tempo: 20 })).toMatch(/lasts 40 min at 20 bpm; Nabi renders at most 10 min/);
    // The same melody fast enough fits: 200 whole notes at 400 bpm = 2 minutes.
    expect(planMelody(long, { tempo: 400 }).melodySeconds).toBe(120);
  });
});

describe('renderMelody', () => {
  it('renders 나비야 so that pitch tracking gives back all 54 notes (piano, 120 bpm)', async () => {
    const rendered = await renderMelody(NABIYA, { tempo: 120, instrument: 'piano' });
    expect(rendered.sampleRate).toBe(48_000);
    expect(rendered.channels).toHaveLength(1);
    expect(rendered.durationSeconds).toBeCloseTo(16.25, 6);
    const samples = mono(rendered);
    expect(maxAbs(samples, 0, samples.length)).toBeCloseTo(PEAK_LEVEL, 4);
    expect(noteProblems(rendered.notes, trackNotes(samples, rendered.sampleRate))).toEqual([]);
    expect(clickProblems(samples, rendered.sampleRate, rendered.notes)).toEqual([]);
    expect(restProblems(samples, rendered.sampleRate, rendered.rests, rendered.notes)).toEqual([]);
  });

  // Two tempos for each melody; the four instruments spread over them.
  const cases: Array<[string, number, Instrument, Melody]> = [
    ['나비야', 200, 'organ', NABIYA],
    ['the test melody', 60, 'synth', TEST_MELODY],
    ['the test melody', 60, 'pluck', TEST_MELODY],
    ['the test melody', 180, 'piano', TEST_MELODY],
    ['the test melody', 180, 'organ', TEST_MELODY],
  ];
  it.each(cases)('renders %s at %i bpm on %s: every pitch, onset and duration recovered; silent rests; no clicks', async (_name, tempo, instrument, melody) => {
    const rendered = await renderMelody(melody, { tempo, instrument });
    const samples = mono(rendered);
    expect(noteProblems(rendered.notes, trackNotes(samples, rendered.sampleRate))).toEqual([]);
    expect(clickProblems(samples, rendered.sampleRate, rendered.notes)).toEqual([]);
    expect(restProblems(samples, rendered.sampleRate, rendered.rests, rendered.notes)).toEqual([]);
  });

  it('renders at another sample rate', async () => {
    const melody: Melody = { events: TEST_MELODY.events.slice(0, 6) };
    const rendered = await renderMelody(melody, { tempo: 150, instrument: 'synth', sampleRate: 22_050 });
    expect(rendered.sampleRate).toBe(22_050);
    expect(mono(rendered).length).toBe(Math.round(rendered.durationSeconds * 22_050));
    expect(noteProblems(rendered.notes, trackNotes(mono(rendered), 22_050))).toEqual([]);
  });

  it('gives the same samples whether renders run one by one or at the same time', async () => {
    const a: Melody = { events: NABIYA.events.slice(0, 8) };
    const b: Melody = { events: TEST_MELODY.events.slice(0, 8) };
    const alone = [await renderMelody(a, { instrument: 'pluck' }), await renderMelody(b, { instrument: 'synth' })];
    const together = await Promise.all([renderMelody(a, { instrument: 'pluck' }), renderMelody(b, { instrument: 'synth' })]);
    expect(mono(together[0]!)).toEqual(mono(alone[0]!));
    expect(mono(together[1]!)).toEqual(mono(alone[1]!));
  });

  it('offers exactly the four instruments, each with its own sound', async () => {
    expect([...INSTRUMENTS]).toEqual(['piano', 'synth', 'organ', 'pluck']);
    const melody: Melody = { events: [note('a', 4)] };
    const spectra = await Promise.all(
      INSTRUMENTS.map(async (instrument) => {
        const samples = mono(await renderMelody(melody, { tempo: 60, instrument }));
        // Second and third harmonic relative to the fundamental, over the sustained middle.
        return [2, 3].map((h) => harmonic(samples, 48_000, 440 * h, 0.3, 0.7) / harmonic(samples, 48_000, 440, 0.3, 0.7));
      }),
    );
    const distinct = new Set(spectra.map((s) => s.map((x) => x.toFixed(2)).join('/')));
    expect(distinct.size).toBe(4);
  });
});

describe('the checks themselves', () => {
  it('the click check rejects notes that start and stop abruptly', () => {
    const plan = planMelody(TEST_MELODY, { tempo: 120 });
    const clicky = hardGatedTones(plan.notes, 48_000, plan.durationSeconds);
    expect(clickProblems(clicky, 48_000, plan.notes).length).toBeGreaterThan(plan.notes.length);
  });

  it('the note comparison catches a wrong pitch, a shifted onset and a wrong length', async () => {
    const rendered = await renderMelody({ events: NABIYA.events.slice(0, 6) }, { tempo: 120, instrument: 'synth' });
    const found = trackNotes(mono(rendered), rendered.sampleRate);
    expect(noteProblems(rendered.notes, found)).toEqual([]);
    const sharp = found.map((n, i) => (i === 2 ? { ...n, frequency: n.frequency * 1.02 } : n));
    expect(noteProblems(rendered.notes, sharp)).toEqual([expect.stringMatching(/^note 2: .* Hz, expected/)]);
    const late = found.map((n, i) => (i === 4 ? { ...n, startSeconds: n.startSeconds + 0.025 } : n));
    expect(noteProblems(rendered.notes, late)).toEqual([expect.stringMatching(/^note 4: onset/)]);
    const long = found.map((n, i) => (i === 5 ? { ...n, durationSeconds: n.durationSeconds + 0.025 } : n));
    expect(noteProblems(rendered.notes, long)).toEqual([expect.stringMatching(/^note 5: lasts/)]);
    expect(noteProblems(rendered.notes, found.slice(1))[0]).toBe('expected 6 notes, found 5');
  });

  it('the rest check notices sound inside a rest', () => {
    const plan = planMelody(TEST_MELODY, { tempo: 120 });
    const samples = new Float32Array(Math.round(plan.durationSeconds * 48_000));
    samples[Math.round((plan.rests[1]!.startSeconds + 0.1) * 48_000)] = 0.001;
    expect(restProblems(samples, 48_000, plan.rests, plan.notes)).toHaveLength(1);
  });
});

/** Magnitude of one frequency over a stretch of the signal (a single DFT bin). */
function harmonic(samples: Float32Array, sampleRate: number, frequency: number, fromSeconds: number, toSeconds: number): number {
  let re = 0;
  let im = 0;
  const from = Math.round(fromSeconds * sampleRate);
  const to = Math.round(toSeconds * sampleRate);
  for (let i = from; i < to; i++) {
    const phase = (2 * Math.PI * frequency * i) / sampleRate;
    re += samples[i]! * Math.cos(phase);
    im += samples[i]! * Math.sin(phase);
  }
  return Math.hypot(re, im) / (to - from);
}
