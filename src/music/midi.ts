import tonejs from '@tonejs/midi';
import { NotationError } from './errors.ts';
import { MAX_EVENTS, MAX_FILE_BYTES, MAX_OCTAVE, MAX_TEMPO, MAX_TITLE, MIN_OCTAVE, MIN_TEMPO } from './limits.ts';
import { NOTE_VALUES, midiNumber, quarterLength } from './melody.ts';
import type { Alter, Duration, Melody, MelodyEvent, NoteValue, Pitch, Step, TimeSignature } from './melody.ts';

// MIDI in and out through @tonejs/midi (a CommonJS package: Node hands it over as a default export).
//
// Reading takes the first track that has notes (percussion on channel 10 is skipped), because
// files exported from notation programs put the melody first. It must be one line: overlaps of up
// to a 32nd note (legato playing) are trimmed, anything more — a chord, a second voice — is refused
// with the bar and beat where it happens. Onsets snap to a 32nd-note grid; each note then takes the
// allowed duration (whole … sixteenth, optionally dotted) nearest to how long it sounds, silences
// of a sixteenth or more become rests, shorter ones count as articulation. MIDI stores no spelling,
// so pitches are spelled in the key the file declares or, failing that, the key the notes fit best.

const { Midi } = tonejs;

/** MIDI ticks per quarter note in files Nabi writes. */
const PPQ = 480;
const DEFAULT_TEMPO = 120;
const VELOCITY = 0.8;
/** Marker meta event at the end of a written melody, so trailing rests survive a round trip. */
const END_MARKER = 'end';
/** Grid unit: a 32nd note, the finest step a dotted sixteenth needs. */
const UNITS_PER_QUARTER = 8;
/** Allowed durations measured in 32nds, plain before dotted so that ties in distance go plain. */
const UNIT_DURATIONS: ReadonlyArray<{ units: number; duration: Duration }> = [false, true].flatMap((dotted) =>
  NOTE_VALUES.map((value) => {
    const duration = { value, dotted };
    return { units: quarterLength(duration) * UNITS_PER_QUARTER, duration };
  }),
);
/**
 * A silence after a note counts as articulation (the note was simply played short), not a rest,
 * when it is under 1.5 32nds or under a quarter of the time until the next note. Strictly under a
 * quarter keeps written rests: a note and a rest that add up to one note value (c8. r16) leave
 * the rest at least a quarter of it.
 */
const ARTICULATION_GAP = 1.5;
const ARTICULATION_SHARE = 0.25;
/**
 * Played notes sound shorter than written; a detached or final note's length is divided by this
 * before rounding. Allowed values are at least 4/3 apart, so an exact length never rounds away.
 */
const TYPICAL_GATE = 0.9;
/** Overlaps up to this many 32nds are legato playing; longer ones are two voices. */
const LEGATO_OVERLAP = 1;

interface TimedNote {
  readonly midi: number;
  readonly start: number;
  end: number;
}

export function readMidi(bytes: Uint8Array): Melody {
  const fail = (reason: string, allowed: string, where?: string, position = 0): NotationError =>
    new NotationError({ token: '', position, column: 0, reason, allowed, ...(where !== undefined && { where }) });
  if (bytes.length > MAX_FILE_BYTES) {
    throw fail(`MIDI file too large (${bytes.length} bytes)`, `files up to ${MAX_FILE_BYTES / 1024} KiB are read`);
  }
  const file = decode(bytes, fail);
  const ppq = file.header.ppq;
  const unit = ppq / UNITS_PER_QUARTER;
  const track = file.tracks.find((t) => t.notes.length > 0 && t.channel !== 9);
  if (!track) throw fail('the MIDI file has no notes', 'send a MIDI file with the melody on a (non-drum) track');

  const signature = timeSignatureOf(file.header.timeSignatures[0]?.timeSignature);
  const where = (ticks: number): string => barAndBeat(ticks, ppq, signature);
  const notes = monophonic(track.notes, ppq, where, fail);
  const tempo = file.header.tempos[0]?.bpm;
  if (tempo !== undefined && !(tempo >= MIN_TEMPO && tempo <= MAX_TEMPO)) {
    throw fail(`tempo ${Math.round(tempo)} is out of range`, `tempos are ${MIN_TEMPO}–${MAX_TEMPO} quarter notes per minute`);
  }
  const last = notes[notes.length - 1];
  const marker = file.header.meta.find((m) => m.type === 'marker' && m.text.trim().toLowerCase() === END_MARKER && last && m.ticks >= last.start);
  const spell = speller(notes.map((n) => n.midi), file.header.keySignatures[0]?.key);

  const events: MelodyEvent[] = [];
  const push = (event: MelodyEvent): void => {
    if (events.length >= MAX_EVENTS) throw fail(`too many notes (more than ${MAX_EVENTS})`, `a melody holds at most ${MAX_EVENTS} notes and rests`);
    events.push(event);
  };
  const pushRests = (units: number): void => {
    for (const duration of fillWithRests(units)) push({ kind: 'rest', duration });
  };

  pushRests(Math.round((notes[0]?.start ?? 0) / unit));
  for (const [index, note] of notes.entries()) {
    const start = Math.round(note.start / unit);
    const nextTicks = notes[index + 1]?.start ?? marker?.ticks;
    const sounding = (note.end - note.start) / unit;
    let slot: number | undefined;
    let target = sounding / TYPICAL_GATE;
    if (nextTicks !== undefined) {
      slot = Math.round(nextTicks / unit) - start;
      if (slot <= 0) {
        throw fail('two notes start within a 32nd note of each other', 'Nabi reads one note at a time, at most sixteenth-note detail', where(note.start), index + 1);
      }
      const gap = (nextTicks - note.end) / unit;
      if (gap < Math.max(ARTICULATION_GAP, ARTICULATION_SHARE * slot)) target = slot;
    }
    const duration = nearestDuration(target, slot);
    const pitch = spell(note.midi);
    if (pitch.octave < MIN_OCTAVE || pitch.octave > MAX_OCTAVE) {
      throw fail(`note ${note.midi} is outside octaves ${MIN_OCTAVE}–${MAX_OCTAVE}`, 'notes must lie between C0 (MIDI 12) and B8 (MIDI 119)', where(note.start), index + 1);
    }
    push({ kind: 'note', pitch, duration });
    if (slot !== undefined) pushRests(slot - quarterLength(duration) * UNITS_PER_QUARTER);
  }

  const title = bytesToUtf8(file.header.name || track.name).trim().slice(0, MAX_TITLE);
  return {
    events,
    ...(title !== '' && { title }),
    ...(tempo !== undefined && { tempo: Math.round(tempo * 100) / 100 }),
    ...(signature !== undefined && { timeSignature: signature }),
  };
}

export function writeMidi(melody: Melody): Uint8Array {
  const file = new Midi();
  file.header.name = utf8ToBytes(melody.title ?? '');
  file.header.setTempo(melody.tempo ?? DEFAULT_TEMPO);
  if (melody.timeSignature) {
    file.header.timeSignatures.push({ ticks: 0, timeSignature: [melody.timeSignature.beats, melody.timeSignature.beatValue] });
  }
  // @tonejs/midi 2.0.28 writes key signatures off by 14 (keyIndex + 7), so none is written; the
  // reader recovers the spelling from the notes instead.
  const track = file.addTrack();
  track.name = file.header.name;
  track.instrument.number = 0; // acoustic grand piano
  let ticks = 0;
  for (const event of melody.events) {
    const length = Math.round(quarterLength(event.duration) * PPQ);
    if (event.kind === 'note') {
      track.addNote({ midi: midiNumber(event.pitch), ticks, durationTicks: length, velocity: VELOCITY });
    }
    ticks += length;
  }
  file.header.meta.push({ ticks, type: 'marker', text: END_MARKER });
  return file.toArray();
}

// ---- reading helpers --------------------------------------------------------------------------

type Fail = (reason: string, allowed: string, where?: string, position?: number) => NotationError;

function decode(bytes: Uint8Array, fail: Fail): InstanceType<typeof Midi> {
  const notMidi = (): NotationError => fail('not a MIDI file', 'send a standard MIDI file (.mid or .midi)');
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'MThd') throw notMidi();
  try {
    const file = new Midi(bytes);
    if (!(file.header.ppq > 0)) throw notMidi();
    return file;
  } catch (error) {
    if (error instanceof NotationError) throw error;
    throw fail('the MIDI file is damaged and cannot be read', 'send a standard MIDI file (.mid or .midi)');
  }
}

function monophonic(
  raw: ReadonlyArray<{ midi: number; ticks: number; durationTicks: number }>,
  ppq: number,
  where: (ticks: number) => string,
  fail: Fail,
): TimedNote[] {
  const sorted = [...raw].sort((a, b) => a.ticks - b.ticks || b.midi - a.midi);
  const legato = (LEGATO_OVERLAP * ppq) / UNITS_PER_QUARTER;
  const notes: TimedNote[] = [];
  for (const note of sorted) {
    const previous = notes[notes.length - 1];
    const current = { midi: note.midi, start: note.ticks, end: note.ticks + note.durationTicks };
    if (previous && current.start < previous.end) {
      if (previous.end - current.start > legato || current.start - previous.start < legato) {
        throw fail(
          `two notes sound at once (MIDI ${previous.midi} and ${current.midi})`,
          'Nabi learns one line of melody: send a file whose first track holds the melody alone',
          where(current.start),
          notes.length + 1,
        );
      }
      previous.end = current.start;
    }
    notes.push(current);
  }
  return notes;
}

/**
 * The allowed duration closest to `target` 32nds. With a known slot it must fit, leaving either no
 * room or room for a rest of at least a sixteenth: a lone 32nd of silence could not be written.
 */
function nearestDuration(target: number, slot: number | undefined): Duration {
  const fits = UNIT_DURATIONS.filter((d) => slot === undefined || d.units === slot || slot - d.units >= 2);
  const candidates = fits.length > 0 ? fits : UNIT_DURATIONS;
  let best = candidates[0];
  for (const candidate of candidates) {
    if (best === undefined || Math.abs(candidate.units - target) < Math.abs(best.units - target)) best = candidate;
  }
  return best?.duration ?? { value: 16, dotted: false };
}

/**
 * Rests filling `units` 32nds, longest first. A piece that would strand a single 32nd is passed
 * over (5 = 3 + 2, not 4 + 1), so the rests add up exactly; only a lone 32nd is too short to keep.
 */
function fillWithRests(units: number): Duration[] {
  const rests: Duration[] = [];
  let left = Math.round(units);
  const longestFirst = [...UNIT_DURATIONS].sort((a, b) => b.units - a.units);
  while (left >= 2) {
    const fit = longestFirst.find((d) => d.units <= left && left - d.units !== 1);
    if (!fit) break;
    rests.push(fit.duration);
    left -= fit.units;
  }
  return rests;
}

function timeSignatureOf(pair: readonly number[] | undefined): TimeSignature | undefined {
  const [beats, beatValue] = pair ?? [];
  if (beats === undefined || beatValue === undefined || !(beats > 0)) return undefined;
  if (!(NOTE_VALUES as readonly number[]).includes(beatValue)) return undefined;
  return { beats, beatValue: beatValue as NoteValue };
}

function barAndBeat(ticks: number, ppq: number, signature: TimeSignature | undefined): string {
  const beatTicks = (ppq * 4) / (signature?.beatValue ?? 4);
  const barTicks = beatTicks * (signature?.beats ?? 4);
  const bar = Math.floor(ticks / barTicks) + 1;
  const beat = Math.floor((ticks % barTicks) / beatTicks) + 1;
  return `bar ${bar}, beat ${beat}`;
}

// ---- text -------------------------------------------------------------------------------------

// MIDI text events are bytes, and @tonejs/midi maps them one byte to one character. Titles are
// written as UTF-8 (나비야 must survive) and read back as UTF-8 when they are valid UTF-8, else as
// the Latin-1 that older files use.

function utf8ToBytes(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

function bytesToUtf8(text: string): string {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  if ([...text].some((c) => c.charCodeAt(0) > 0xff)) return text;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return text;
  }
}

// ---- spelling ---------------------------------------------------------------------------------

const MAJOR_STEPS: readonly Step[] = ['c', 'd', 'e', 'f', 'g', 'a', 'b'];
const KEY_NAMES = ['Cb', 'Gb', 'Db', 'Ab', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#'];

/** The seven spelled pitch classes of the major key with `fifths` sharps (negative: flats). */
function scaleOf(fifths: number): Map<number, { step: Step; alter: Alter }> {
  const order: readonly Step[] = ['f', 'c', 'g', 'd', 'a', 'e', 'b'];
  const alters = new Map<Step, Alter>(MAJOR_STEPS.map((s) => [s, 0]));
  const altered = fifths >= 0 ? order.slice(0, fifths) : [...order].reverse().slice(0, -fifths);
  for (const step of altered) alters.set(step, fifths > 0 ? 1 : -1);
  const scale = new Map<number, { step: Step; alter: Alter }>();
  for (const step of MAJOR_STEPS) {
    const alter = alters.get(step) ?? 0;
    scale.set(mod12(midiNumber({ step, alter, octave: 0 })), { step, alter });
  }
  return scale;
}

/**
 * A function spelling MIDI numbers in one key: the declared one, else the major key (any mode of
 * it spells the same) holding most of the notes, the fewest sharps or flats breaking ties.
 */
function speller(midis: readonly number[], declaredKey: string | undefined): (midi: number) => Pitch {
  let fifths = declaredKey !== undefined ? KEY_NAMES.indexOf(declaredKey) - 7 : -8;
  if (fifths < -7) {
    let bestScore = -1;
    for (const candidate of [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7]) {
      const scale = scaleOf(candidate);
      const score = midis.filter((m) => scale.has(mod12(m))).length;
      if (score > bestScore) {
        bestScore = score;
        fifths = candidate;
      }
    }
  }
  const scale = scaleOf(fifths);
  const black: ReadonlyArray<{ step: Step; alter: Alter }> = fifths >= 0
    ? [{ step: 'c', alter: 1 }, { step: 'd', alter: 1 }, { step: 'f', alter: 1 }, { step: 'g', alter: 1 }, { step: 'a', alter: 1 }]
    : [{ step: 'd', alter: -1 }, { step: 'e', alter: -1 }, { step: 'g', alter: -1 }, { step: 'a', alter: -1 }, { step: 'b', alter: -1 }];
  const chromatic = new Map<number, { step: Step; alter: Alter }>();
  for (const step of MAJOR_STEPS) chromatic.set(mod12(midiNumber({ step, alter: 0, octave: 0 })), { step, alter: 0 });
  for (const spelled of black) chromatic.set(mod12(midiNumber({ ...spelled, octave: 0 })), spelled);
  return (midi) => {
    const spelled = scale.get(mod12(midi)) ?? chromatic.get(mod12(midi)) ?? { step: 'c', alter: 0 };
    const octave = Math.round((midi - midiNumber({ ...spelled, octave: -1 })) / 12) - 1;
    return { step: spelled.step, alter: spelled.alter, octave };
  };
}

function mod12(n: number): number {
  return ((n % 12) + 12) % 12;
}
