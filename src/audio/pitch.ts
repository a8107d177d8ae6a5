// Notes back out of sound: segmentation by energy, then one pitch per segment by YIN.
//
// Made to check what Nabi renders (and, later, what reaches a voice channel): a monophonic line
// whose notes are separated either by silence or by a dip in loudness — render.ts closes every
// note's envelope before the next one opens, so even two equal notes in a row come apart.
//
// 1. Loudness: RMS over a 10 ms window every 1 ms (long enough that a 40 Hz tone does not ripple).
// 2. Sounding regions: frames above `silenceDb` (50 dB) below the loudest frame.
// 3. Boundaries inside a region: local minima of the RMS that fall below `dipRatio` times the
//    loudness on both sides (the highest RMS within 40 ms before and after). The minimum lies in
//    the previous note's release; the boundary is moved forward to the first sample of the next
//    note's attack (10% of that note's peak), and the previous note ends there.
// 4. Onsets after silence and offsets before silence are refined to the sample: the first and last
//    sample above 1% of the segment's peak.
// 5. Pitch: YIN (de Cheveigné & Kawahara 2002) — the cumulative-mean-normalised difference
//    function, the first dip under the threshold, parabolic interpolation of the raw difference —
//    over the steady middle 70% of the segment: a window of up to 1024 samples plus the longest lag.
//
// Accuracy on Nabi's renders, at 60–400 bpm and on every instrument: pitch within 0.4% (mostly
// under 0.03%), onsets and durations within ~6 ms. Its limits: 40 Hz – 4.2 kHz by default, one note
// at a time, and notes that glide into each other without a dip are read as one.

export interface DetectedNote {
  readonly startSeconds: number;
  readonly durationSeconds: number;
  /** Estimated fundamental, Hz. */
  readonly frequency: number;
  /** Nearest MIDI note number. */
  readonly midi: number;
  /** Distance from that note, in cents (-50 … 50). */
  readonly cents: number;
  /** 1 minus YIN's normalised difference at the chosen period: near 1 for a clean periodic tone. */
  readonly clarity: number;
}

export interface TrackOptions {
  /** Lowest fundamental searched for (Hz). */
  readonly minFrequency?: number;
  /** Highest fundamental searched for (Hz). */
  readonly maxFrequency?: number;
  /** Frames quieter than this, in dB below the loudest frame, are silence. */
  readonly silenceDb?: number;
  /** How deep a dip between two notes must go, as a fraction of the quieter neighbour. */
  readonly dipRatio?: number;
  /** Segments shorter than this are dropped (codec artefacts, noise bursts). */
  readonly minNoteSeconds?: number;
}

const DEFAULTS: Required<TrackOptions> = {
  minFrequency: 40,
  maxFrequency: 4200,
  silenceDb: 50,
  dipRatio: 0.5,
  minNoteSeconds: 0.015,
};

const HOP_SECONDS = 0.001;
const WINDOW_SECONDS = 0.01;
const NEIGHBOURHOOD_SECONDS = 0.04;
const EDGE_LEVEL = 0.01;
const ATTACK_LEVEL = 0.1;
const ATTACK_SEARCH_SECONDS = 0.012;
const YIN_THRESHOLD = 0.15;
const MAX_YIN_WINDOW = 1024;

export function frequencyToMidi(frequency: number): number {
  return 69 + 12 * Math.log2(frequency / 440);
}

export function trackNotes(samples: Float32Array, sampleRate: number, options: TrackOptions = {}): DetectedNote[] {
  const settings = { ...DEFAULTS, ...options };
  const hop = Math.max(1, Math.round(HOP_SECONDS * sampleRate));
  const envelope = rmsEnvelope(samples, sampleRate, hop);
  let loudest = 0;
  for (const value of envelope) loudest = Math.max(loudest, value);
  if (loudest === 0) return [];
  const silence = loudest * 10 ** (-settings.silenceDb / 20);

  const half = Math.round((WINDOW_SECONDS * sampleRate) / 2);
  const reach = Math.round(NEIGHBOURHOOD_SECONDS / HOP_SECONDS);
  const notes: DetectedNote[] = [];
  const regions = soundingRegions(envelope, silence);
  regions.forEach(([first, last], r) => {
    // Rough edges in samples: region start, each dip, and — for the last note's release, which may
    // fade under the silence threshold before it ends — the start of the next region.
    const next = regions[r + 1];
    const edges = [
      Math.max(0, first * hop - half),
      ...dips(envelope, first, last, settings.dipRatio, reach).map((frame) => frame * hop),
      next ? Math.max(last * hop, next[0] * hop - half) : samples.length,
    ];
    const starts: number[] = [];
    const peaks: number[] = [];
    for (let k = 0; k + 1 < edges.length; k++) {
      const from = edges[k]!;
      const peak = peakOf(samples, from, edges[k + 1]!);
      peaks.push(peak);
      if (k === 0) {
        starts.push(firstAbove(samples, from, edges[k + 1]!, peak * EDGE_LEVEL));
      } else {
        // A dip's frame sits in the previous note's release; the note begins where its attack does.
        const searchEnd = Math.min(edges[k + 1]!, from + Math.round(ATTACK_SEARCH_SECONDS * sampleRate));
        const attack = firstAbove(samples, from, searchEnd, peak * ATTACK_LEVEL);
        starts.push(attack < searchEnd ? attack : from);
      }
    }
    for (let k = 0; k < starts.length; k++) {
      const start = starts[k]!;
      // Notes that touch share the boundary; the last one ends at its last audible sample.
      const end = k + 1 < starts.length ? starts[k + 1]! : lastAbove(samples, start, edges[k + 1]!, peaks[k]! * EDGE_LEVEL) + 1;
      if (end - start < settings.minNoteSeconds * sampleRate) continue;
      const pitch = pitchOfSegment(samples, sampleRate, start, end, settings);
      if (!pitch) continue;
      const midiFloat = frequencyToMidi(pitch.frequency);
      const midi = Math.round(midiFloat);
      notes.push({
        startSeconds: start / sampleRate,
        durationSeconds: (end - start) / sampleRate,
        frequency: pitch.frequency,
        midi,
        cents: Math.round((midiFloat - midi) * 1000) / 10,
        clarity: pitch.clarity,
      });
    }
  });
  return notes;
}

export interface PitchEstimate {
  readonly frequency: number;
  readonly clarity: number;
}

/**
 * YIN over `length` samples from `start`: a window of up to 1024 samples compared with itself
 * shifted by every lag from sampleRate/maxFrequency up to sampleRate/minFrequency (or half the
 * stretch, when that is shorter). Returns null when the stretch is too short for any lag.
 */
export function estimatePitch(
  samples: Float32Array,
  sampleRate: number,
  start: number,
  length: number,
  range: { minFrequency: number; maxFrequency: number },
): PitchEstimate | null {
  const minLag = Math.max(2, Math.floor(sampleRate / range.maxFrequency));
  const maxLag = Math.min(Math.ceil(sampleRate / range.minFrequency), Math.floor(length / 2));
  if (maxLag <= minLag + 2) return null;
  const window = Math.min(MAX_YIN_WINDOW, length - maxLag - 1);
  // Difference and cumulative-mean-normalised difference, computed lag by lag so that the search
  // stops just past the first dip under the threshold (most notes never need the longest lags).
  const raw = new Float64Array(maxLag + 2);
  const normalised = new Float64Array(maxLag + 2).fill(1);
  const difference = (lag: number): number => {
    let sum = 0;
    for (let j = 0; j < window; j++) {
      const delta = samples[start + j]! - samples[start + j + lag]!;
      sum += delta * delta;
    }
    return sum;
  };
  let running = 0;
  let chosen = -1;
  let computed = 0;
  for (let lag = 1; lag <= maxLag + 1; lag++) {
    const value = difference(lag);
    raw[lag] = value;
    running += value;
    normalised[lag] = running === 0 ? 1 : (value * lag) / running;
    computed = lag;
    if (lag - 1 >= minLag && normalised[lag - 1]! < YIN_THRESHOLD && normalised[lag]! >= normalised[lag - 1]!) {
      chosen = lag - 1;
      // One more lag is already computed for the interpolation.
      break;
    }
  }
  if (chosen < 0) {
    let best = Infinity;
    for (let lag = minLag; lag <= Math.min(maxLag, computed); lag++) {
      if (normalised[lag]! < best) {
        best = normalised[lag]!;
        chosen = lag;
      }
    }
  }
  if (chosen < 0) return null;
  // Parabolic interpolation through the raw difference at the chosen lag and its neighbours (the
  // normalisation would skew the vertex at short periods).
  const before = raw[chosen - 1]!;
  const at = raw[chosen]!;
  const after = chosen + 1 <= computed ? raw[chosen + 1]! : at;
  const curvature = before - 2 * at + after;
  const shift = curvature > 0 ? (0.5 * (before - after)) / curvature : 0;
  const period = chosen + Math.max(-0.5, Math.min(0.5, shift));
  return { frequency: sampleRate / period, clarity: Math.max(0, Math.min(1, 1 - normalised[chosen]!)) };
}

function pitchOfSegment(
  samples: Float32Array,
  sampleRate: number,
  start: number,
  end: number,
  settings: Required<TrackOptions>,
): PitchEstimate | null {
  // Skip the attack and the release: analyse the middle 70%, centred, at most window + longest lag.
  const length = end - start;
  const margin = Math.floor(length * 0.15);
  const usable = length - 2 * margin;
  const wanted = MAX_YIN_WINDOW + Math.ceil(sampleRate / settings.minFrequency);
  const take = Math.min(usable, wanted);
  const from = start + margin + Math.floor((usable - take) / 2);
  return estimatePitch(samples, sampleRate, from, take, settings);
}

/** RMS over WINDOW_SECONDS centred on every hop-th sample, from running sums of squares. */
function rmsEnvelope(samples: Float32Array, sampleRate: number, hop: number): Float64Array {
  const cumulative = new Float64Array(samples.length + 1);
  for (let i = 0; i < samples.length; i++) cumulative[i + 1] = cumulative[i]! + samples[i]! * samples[i]!;
  const half = Math.max(1, Math.round((WINDOW_SECONDS * sampleRate) / 2));
  const frames = Math.ceil(samples.length / hop);
  const envelope = new Float64Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    const centre = frame * hop;
    const from = Math.max(0, centre - half);
    const to = Math.min(samples.length, centre + half);
    envelope[frame] = Math.sqrt(Math.max(0, cumulative[to]! - cumulative[from]!) / (2 * half));
  }
  return envelope;
}

function soundingRegions(envelope: Float64Array, silence: number): Array<[number, number]> {
  const regions: Array<[number, number]> = [];
  let start = -1;
  for (let frame = 0; frame <= envelope.length; frame++) {
    const loud = frame < envelope.length && envelope[frame]! > silence;
    if (loud && start < 0) start = frame;
    if (!loud && start >= 0) {
      regions.push([start, frame - 1]);
      start = -1;
    }
  }
  return regions;
}

/** Frames inside [first, last] where one note ends and the next begins. */
function dips(envelope: Float64Array, first: number, last: number, ratio: number, reach: number): number[] {
  const found: number[] = [];
  for (let frame = first + 1; frame < last; frame++) {
    const value = envelope[frame]!;
    if (!(value <= envelope[frame - 1]! && value < envelope[frame + 1]!)) continue;
    let left = 0;
    for (let i = Math.max(first, frame - reach); i < frame; i++) left = Math.max(left, envelope[i]!);
    let right = 0;
    for (let i = frame + 1; i <= Math.min(last, frame + reach); i++) right = Math.max(right, envelope[i]!);
    if (value >= ratio * Math.min(left, right)) continue;
    const previous = found.at(-1);
    if (previous !== undefined && frame - previous < reach / 2) {
      // Two minima of one dip: keep the deeper.
      if (value < envelope[previous]!) found[found.length - 1] = frame;
      continue;
    }
    found.push(frame);
  }
  return found;
}

function peakOf(samples: Float32Array, start: number, end: number): number {
  let peak = 0;
  for (let i = start; i < end; i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return peak;
}

function firstAbove(samples: Float32Array, start: number, end: number, level: number): number {
  for (let i = start; i < end; i++) if (Math.abs(samples[i]!) > level) return i;
  return end;
}

function lastAbove(samples: Float32Array, start: number, end: number, level: number): number {
  for (let i = end - 1; i >= start; i--) if (Math.abs(samples[i]!) > level) return i;
  return start;
}
