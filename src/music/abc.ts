import { NotationError, quote } from './errors.ts';
import { MAX_EVENTS, MAX_OCTAVE, MAX_TEMPO, MAX_TITLE, MIN_OCTAVE, MIN_TEMPO } from './limits.ts';
import { NOTE_VALUES, STEPS, midiNumber, quarterLength } from './melody.ts';
import type { Alter, Duration, Melody, MelodyEvent, NoteValue, Pitch, Step, TimeSignature } from './melody.ts';
import { checkTextLength } from './tokens.ts';

/*
 * ABC notation (https://abcnotation.com/wiki/abc:standard:v2.1), the subset a single melody needs.
 *
 * Read: X: T: M: (n/d, C, C|, none) L: Q: (`1/4=120`, or a bare `120` taken as quarters per minute,
 * which is what people who write it mean) K: (every major and minor key, the modes, `exp`
 * accidentals) V: (one voice only), inline fields `[K:D]`; notes with ^ ^^ _ __ = accidentals that
 * last to the end of the bar in the same octave; octaves C = C4, c = C5, ' and ,; lengths 2 /2 /
 * 3/2; broken rhythm > <; ties (merged into one note of the summed length); rests z x and
 * whole-bar Z; repeats |: :| with first and second endings, which are played out. Decorations,
 * slurs, chord symbols, annotations and grace notes are skipped. Chords, tuplets and voice overlays
 * are refused: Nabi learns one line of melody in plain note values. Only the first tune is read.
 */

/** A length as a fraction of a whole note, kept exact (ABC lengths are rational). */
interface Fraction {
  readonly n: number;
  readonly d: number;
}

const KEY_SHARPS: readonly Step[] = ['f', 'c', 'g', 'd', 'a', 'e', 'b'];
/** Circle-of-fifths position of each natural tonic (C = 0, G = 1, F = -1 …). */
const TONIC_FIFTHS: Readonly<Record<Step, number>> = { f: -1, c: 0, g: 1, d: 2, a: 3, e: 4, b: 5 };
const MODE_FIFTHS: Readonly<Record<string, number>> = {
  '': 0, maj: 0, ion: 0, mix: -1, dor: -2, m: -3, min: -3, aeo: -3, phr: -4, loc: -5, lyd: 1,
};
const ACCIDENTAL_MARKS: Readonly<Record<string, Alter>> = { '^': 1, '^^': 2, _: -1, __: -2, '=': 0 };
const DECORATIONS = new Set(['.', '~', 'H', 'L', 'M', 'O', 'P', 'S', 'T', 'u', 'v', 'y', '`', ')']);
const ONE_LINE = 'Nabi learns one line of melody';

export interface AbcFormatOptions {
  /** X: reference number; 1 unless given. */
  readonly referenceNumber?: number;
  /** T: title; the melody's own title, else "Untitled". */
  readonly title?: string;
  /** Bars on one line of music (when the melody has a time signature); 4 unless given. */
  readonly barsPerLine?: number;
}

interface Pending {
  kind: 'note' | 'rest';
  pitch: Pitch | undefined;
  length: Fraction;
  line: number;
  column: number;
  text: string;
  tied: boolean;
}

interface Location {
  readonly line: number;
  readonly column: number;
}

export function parseAbc(text: string): Melody {
  checkTextLength(text);
  return new AbcReader().read(text);
}

/** The parser's state while it walks a tune line by line. */
class AbcReader {
  private title: string | undefined;
  private timeSignature: TimeSignature | undefined;
  private meter: Fraction | undefined;
  private unit: Fraction | undefined;
  private tempo: number | undefined;
  private key: string | undefined;
  private keyAlters: Record<Step, Alter> = naturalKey();
  private barAlters = new Map<string, Alter>();
  private voice: string | undefined;
  private seenX = false;
  private seenBody = false;
  private done = false;

  private readonly events: MelodyEvent[] = [];
  private pending: Pending | undefined;
  private broken: { dir: '>' | '<'; count: number; at: Location; text: string } | undefined;
  private repeatStart = 0;
  private endingStart: number | undefined;

  private line = 0;

  read(text: string): Melody {
    const lines = text.split(/\r\n|\n|\r/);
    for (const [index, raw] of lines.entries()) {
      this.line = index + 1;
      const content = stripComment(raw);
      const field = /^\s*([A-Za-z+]):(.*)$/.exec(content);
      if (field) this.field(field[1] ?? '', (field[2] ?? '').trim(), 0);
      else this.music(content);
      if (this.done) break;
    }
    this.commit();
    this.finish();
    if (this.events.length === 0) {
      throw new NotationError({
        token: '', position: 0, column: 0, reason: 'no notes found in the ABC tune',
        allowed: 'put the notes on lines after the K: line, e.g. `K:C` then `GE E2 | FD D2 |`',
      });
    }
    return {
      events: this.events,
      ...(this.title !== undefined && { title: this.title }),
      ...(this.tempo !== undefined && { tempo: this.tempo }),
      ...(this.timeSignature !== undefined && { timeSignature: this.timeSignature }),
      ...(this.key !== undefined && { key: this.key }),
    };
  }

  private fail(at: Location, token: string, reason: string, allowed: string): NotationError {
    return new NotationError({
      token, position: at.line, column: at.column, reason, allowed,
      where: `line ${at.line}, column ${at.column + 1}`,
    });
  }

  // ---- header and inline fields -------------------------------------------------------------

  private field(name: string, value: string, column: number): void {
    const at = { line: this.line, column };
    const token = `${name}:${value}`;
    switch (name) {
      case 'X':
        if (this.seenX || this.seenBody) this.done = true;
        this.seenX = true;
        return;
      case 'T':
        if (this.title === undefined && value) this.title = value.replace(/\\%/g, '%').slice(0, MAX_TITLE);
        return;
      case 'M':
        this.setMeter(value, at, token);
        return;
      case 'L':
        this.unit = parseFraction(value) ?? this.throw(at, token, 'bad unit note length', 'write L: as a fraction such as `L:1/8`');
        return;
      case 'Q':
        this.setTempo(value, at, token);
        return;
      case 'K':
        this.setKey(value, at, token);
        return;
      case 'V': {
        const id = value.split(/\s+/)[0] ?? '';
        if (this.voice !== undefined && id !== this.voice) {
          throw this.fail(at, token, 'a second voice', `${ONE_LINE}: keep one V: voice in the tune`);
        }
        this.voice = id;
        return;
      }
      default:
        // Composer, origin, lyrics, notes, parts and the rest describe the tune; they don't change it.
        return;
    }
  }

  private throw(at: Location, token: string, reason: string, allowed: string): never {
    throw this.fail(at, token, reason, allowed);
  }

  private setMeter(value: string, at: Location, token: string): void {
    const allowed = 'write M: as `C`, `C|`, `none` or a fraction like `3/4` whose lower number is 1, 2, 4, 8 or 16';
    const text = value.replace(/\s+/g, '');
    let meter: { beats: number; beatValue: number } | undefined;
    if (text === 'C') meter = { beats: 4, beatValue: 4 };
    else if (text === 'C|') meter = { beats: 2, beatValue: 2 };
    else if (text.toLowerCase() === 'none' || text === '') meter = undefined;
    else {
      // Additive meters like (2+3)/8 count their parts.
      const match = /^\(?([\d+]+)\)?\/(\d+)$/.exec(text);
      if (!match) throw this.fail(at, token, 'bad meter', allowed);
      const beats = (match[1] ?? '').split('+').reduce((sum, part) => sum + Number(part), 0);
      meter = { beats, beatValue: Number(match[2]) };
    }
    if (meter && (!(NOTE_VALUES as readonly number[]).includes(meter.beatValue) || !(meter.beats > 0))) {
      throw this.fail(at, token, 'unsupported meter', allowed);
    }
    const signature = meter && { beats: meter.beats, beatValue: meter.beatValue as NoteValue };
    if (!this.seenBody) this.meter = signature && reduce(signature.beats, signature.beatValue);
    this.timeSignature ??= signature;
  }

  private setTempo(value: string, at: Location, token: string): void {
    const text = value.replace(/"[^"]*"/g, ' ').trim();
    const beat = /(\d+)\s*\/\s*(\d+)\s*=\s*(\d+(?:\.\d+)?)/.exec(text);
    const bare = /^(\d+(?:\.\d+)?)$/.exec(text);
    let tempo: number | undefined;
    if (beat) tempo = Number(beat[3]) * 4 * (Number(beat[1]) / Number(beat[2]));
    else if (bare) tempo = Number(bare[1]);
    else if (text === '') return;
    else throw this.fail(at, token, 'bad tempo', 'write Q: as `Q:1/4=120` (or just `Q:120`, quarters per minute)');
    if (!(tempo >= MIN_TEMPO && tempo <= MAX_TEMPO)) {
      throw this.fail(at, token, `tempo ${round(tempo)} is out of range`, `tempos are ${MIN_TEMPO}–${MAX_TEMPO} quarter notes per minute`);
    }
    this.tempo ??= round(tempo);
  }

  private setKey(value: string, at: Location, token: string): void {
    this.seenBody = true;
    const words = value.split(/\s+/).filter((w) => w !== '' && !w.includes('='));
    const allowed = 'write K: as a tonic and mode, e.g. `K:G`, `K:Bb`, `K:F#m`, `K:D dorian`, or `K:none`';
    let alters = naturalKey();
    let name = 'C';
    const first = words[0] ?? 'none';
    const rest = words.slice(1);
    if (/^none$/i.test(first)) name = 'C';
    else if (/^h[pP]$/i.test(first)) throw this.fail(at, token, 'bagpipe keys are not supported', allowed);
    else {
      const tonic = /^([A-Ga-g])([#b]?)([A-Za-z]*)$/.exec(first);
      if (!tonic) throw this.fail(at, token, `no such key ${quote(first)}`, allowed);
      let modeWord = (tonic[3] ?? '').toLowerCase();
      if (modeWord === '' && rest[0] !== undefined && /^[a-z]{3,}$/i.test(rest[0]) && !/^[_^=]/.test(rest[0])) {
        modeWord = (rest.shift() ?? '').toLowerCase();
      }
      const mode = modeWord === 'm' ? 'm' : modeWord.slice(0, 3);
      const explicitOnly = mode === 'exp';
      const modeFifths = explicitOnly ? 0 : MODE_FIFTHS[mode];
      if (modeFifths === undefined) throw this.fail(at, token, `unknown mode ${quote(modeWord)}`, allowed);
      const step = (tonic[1] ?? 'c').toLowerCase() as Step;
      const fifths = TONIC_FIFTHS[step] + (tonic[2] === '#' ? 7 : tonic[2] === 'b' ? -7 : 0) + modeFifths;
      if (Math.abs(fifths) > 7) {
        throw this.fail(at, token, `${quote(first)} would need ${Math.abs(fifths)} ${fifths > 0 ? 'sharps' : 'flats'}`, `key signatures have at most 7 sharps or flats; ${allowed}`);
      }
      if (!explicitOnly) alters = keyAlters(fifths);
      name = `${(tonic[1] ?? 'C').toUpperCase()}${tonic[2] ?? ''}${mode === 'm' || mode === 'min' || mode === 'aeo' ? 'm' : mode === '' || mode === 'maj' || mode === 'ion' ? '' : ` ${mode}`}`;
    }
    for (const word of rest) {
      const explicit = /^(\^\^|\^|__|_|=)([A-Ga-g])$/.exec(word);
      if (!explicit) continue; // clef=, octave= and friends were filtered; anything else is decoration.
      alters[(explicit[2] ?? 'c').toLowerCase() as Step] = ACCIDENTAL_MARKS[explicit[1] ?? '='] ?? 0;
    }
    this.keyAlters = alters;
    this.key ??= name;
  }

  // ---- music --------------------------------------------------------------------------------

  private music(content: string): void {
    if (content.trim() === '') return;
    this.seenBody = true;
    let j = 0;
    const n = content.length;
    while (j < n) {
      const c = content[j] ?? '';
      const at = { line: this.line, column: j };
      if (/\s/.test(c) || DECORATIONS.has(c)) j += 1;
      else if (c === '\\' && content.slice(j + 1).trim() === '') break;
      else if (c === '"' || c === '!' || c === '+' || c === '{') j = this.skipGroup(content, j, c === '{' ? '}' : c);
      else if (c === '(') {
        if (/\d/.test(content[j + 1] ?? '')) {
          throw this.fail(at, content.slice(j, j + 2), 'tuplets are not supported', 'Nabi\'s durations are whole, half, quarter, eighth and sixteenth notes, optionally dotted');
        }
        j += 1;
      } else if (c === '[') j = this.bracket(content, j);
      else if (c === '|' || c === ':') j = this.bar(content, j);
      else if (c === '&') throw this.fail(at, c, 'voice overlays (&) are not supported', ONE_LINE);
      else if (c === '-') {
        if (!this.pending || this.pending.kind !== 'note' || this.pending.tied) {
          throw this.fail(at, c, 'a tie (-) must follow a note', 'write a tie between two notes of the same pitch, e.g. `c2-c`');
        }
        this.pending.tied = true;
        j += 1;
      } else if (c === '>' || c === '<') {
        let count = 0;
        while (content[j + count] === c) count += 1;
        if (!this.pending || this.broken) {
          throw this.fail(at, c.repeat(count), `broken rhythm (${c}) must stand between two notes`, 'e.g. `c>d` for a dotted c and a short d');
        }
        this.broken = { dir: c, count, at, text: c.repeat(count) };
        j += count;
      } else if (/[\^_=A-Ga-gzxZX]/.test(c)) j = this.noteOrRest(content, j);
      else {
        throw this.fail(at, c, `unexpected ${quote(c)}`, 'ABC notes are letters A–G / a–g with ^ _ = accidentals and lengths like 2 or /2; rests are z');
      }
    }
  }

  /** Skips a quoted annotation, a !decoration!, +decoration+ or {grace notes}. */
  private skipGroup(content: string, j: number, close: string): number {
    const end = content.indexOf(close, j + 1);
    if (end < 0) {
      throw this.fail({ line: this.line, column: j }, content.slice(j, j + 12), `unclosed ${quote(content[j] ?? '')}`, `close it with ${quote(close)} on the same line`);
    }
    return end + 1;
  }

  private bracket(content: string, j: number): number {
    const at = { line: this.line, column: j };
    const next = content[j + 1] ?? '';
    const inline = /^\[([A-Za-z]):([^\]]*)\]/.exec(content.slice(j));
    if (inline) {
      this.field(inline[1] ?? '', (inline[2] ?? '').trim(), j);
      return j + inline[0].length;
    }
    if (next === '|') return this.bar(content, j);
    if (/\d/.test(next)) {
      this.ending(Number(next));
      return j + 2;
    }
    const close = content.indexOf(']', j);
    throw this.fail(at, content.slice(j, close < 0 ? j + 8 : close + 1), 'chords are not supported', `${ONE_LINE}: keep one note of the chord`);
  }

  private bar(content: string, j: number): number {
    const match = /^(?:::+|\[?:*\|+\]?:*)(\d?)/.exec(content.slice(j));
    const at = { line: this.line, column: j };
    if (!match || match[0] === '') {
      throw this.fail(at, content.slice(j, j + 4), `unexpected ${quote(content[j] ?? '')}`, 'bar lines are | || |] [| |: :| ::');
    }
    const text = match[0];
    const repeatEnd = text.startsWith(':');
    const repeatStart = /:$/.test(text.replace(/\d$/, ''));
    // Double bars end a section: a later :| without |: repeats back to here, not to the start.
    const sectionEnd = !repeatEnd && /\|\||\|\]|\[\|/.test(text);
    if (repeatEnd || repeatStart || match[1]) {
      if (this.pending?.tied) throw this.fail(at, text, 'a tie cannot cross a repeat', 'end the tie before the repeat sign');
      this.commit();
    } else if (sectionEnd && !this.pending?.tied) {
      this.commit();
      this.repeatStart = this.events.length;
    }
    if (repeatEnd) {
      const body = this.events.slice(this.repeatStart, this.endingStart ?? this.events.length);
      this.checkRoom(body.length, at, text);
      this.events.push(...body);
      this.endingStart = undefined;
      this.repeatStart = this.events.length;
    }
    if (repeatStart) {
      this.repeatStart = this.events.length;
      this.endingStart = undefined;
    }
    if (match[1]) this.ending(Number(match[1]));
    this.barAlters.clear();
    return j + text.length;
  }

  private ending(number: number): void {
    this.commit();
    // The first ending is played once, before the repeat; later endings simply follow it.
    if (number === 1) this.endingStart = this.events.length;
  }

  private noteOrRest(content: string, j: number): number {
    const start = j;
    const at = { line: this.line, column: j };
    const match = /^(\^\^|\^|__|_|=)?([A-Ga-gzxZX])([',]*)(\d*)(\/*)(\d*)/.exec(content.slice(j));
    const accidentalRun = /^[\^_=]+/.exec(content.slice(j))?.[0] ?? '';
    if (!match || (match[1] ?? '') !== accidentalRun) {
      const token = content.slice(j, j + Math.max(accidentalRun.length + 1, 2));
      if (accidentalRun && !(accidentalRun in ACCIDENTAL_MARKS)) {
        throw this.fail(at, token, `bad accidental ${quote(accidentalRun)}`, 'accidentals are ^ (sharp), ^^ (double sharp), _ (flat), __ (double flat) and = (natural)');
      }
      throw this.fail(at, token, 'an accidental must be followed by a note letter', 'e.g. `^f` for F sharp');
    }
    const [whole, accidental, letter = 'z', marks = '', num, slashes = '', den] = match;
    const token = whole;
    if (/[zxZX]/.test(letter) && (accidental || marks)) {
      throw this.fail(at, token, 'a rest has no pitch', 'write a rest as z with a length, e.g. `z2`');
    }
    if (letter === 'Z' || letter === 'X') {
      this.wholeBarRests(num ? Number(num) : 1, at, token);
      return start + whole.length;
    }
    const length = this.length(num ?? '', slashes, den ?? '', at, token);
    if (letter === 'z' || letter === 'x') {
      this.add({ kind: 'rest', pitch: undefined, length, line: at.line, column: at.column, text: token, tied: false }, at);
      return start + whole.length;
    }
    const step = letter.toLowerCase() as Step;
    let octave = letter === step ? 5 : 4;
    for (const mark of marks) octave += mark === "'" ? 1 : -1;
    if (octave < MIN_OCTAVE || octave > MAX_OCTAVE) {
      throw this.fail(at, token, `octave ${octave} is out of range`, `notes must lie in octaves ${MIN_OCTAVE}–${MAX_OCTAVE}; C is C4 (middle C), c is C5, ' raises and , lowers an octave`);
    }
    const slot = `${step}${octave}`;
    const explicit = accidental === undefined ? undefined : ACCIDENTAL_MARKS[accidental];
    const tiedFrom = this.pending?.tied ? this.pending.pitch : undefined;
    // A tie carries its first note's accidental over a bar line, as in staff notation.
    const carried = tiedFrom && tiedFrom.step === step && tiedFrom.octave === octave ? tiedFrom.alter : undefined;
    const alter = explicit ?? carried ?? this.barAlters.get(slot) ?? this.keyAlters[step];
    if (explicit !== undefined) this.barAlters.set(slot, explicit);
    this.add({ kind: 'note', pitch: { step, alter, octave }, length, line: at.line, column: at.column, text: token, tied: false }, at);
    return start + whole.length;
  }

  private length(num: string, slashes: string, den: string, at: Location, token: string): Fraction {
    const unit = this.unitLength();
    const numerator = num ? Number(num) : 1;
    let denominator = 1;
    if (slashes.length === 1) denominator = den ? Number(den) : 2;
    else if (slashes.length > 1) {
      if (den) throw this.fail(at, token, 'bad length', 'write lengths like `2`, `/2`, `3/2` or `//`');
      denominator = 2 ** slashes.length;
    }
    if (numerator <= 0 || denominator <= 0) throw this.fail(at, token, 'a length of zero', 'write lengths like `2`, `/2` or `3/2`');
    return reduce(unit.n * numerator, unit.d * denominator);
  }

  private unitLength(): Fraction {
    if (this.unit) return this.unit;
    // ABC's default: sixteenths for meters below 3/4, eighths otherwise (and without a meter).
    const meter = this.meter;
    return meter && meter.n / meter.d < 0.75 ? { n: 1, d: 16 } : { n: 1, d: 8 };
  }

  private wholeBarRests(bars: number, at: Location, token: string): void {
    const meter = this.timeSignature;
    if (!meter) throw this.fail(at, token, 'a whole-bar rest needs a meter', 'add an M: line such as `M:4/4`, or write the rest as z with a length');
    for (let i = 0; i < bars; i += 1) {
      this.add({ kind: 'rest', pitch: undefined, length: reduce(meter.beats, meter.beatValue), line: at.line, column: at.column, text: token, tied: false }, at);
    }
  }

  /** Takes the next note or rest, after settling the broken rhythm or tie that leads into it. */
  private add(next: Pending, at: Location): void {
    const previous = this.pending;
    if (this.broken) {
      if (!previous) throw this.fail(this.broken.at, this.broken.text, 'broken rhythm must stand between two notes', 'e.g. `c>d`');
      const short: Fraction = { n: 1, d: 2 ** this.broken.count };
      const long: Fraction = { n: 2 ** (this.broken.count + 1) - 1, d: 2 ** this.broken.count };
      const [first, second] = this.broken.dir === '>' ? [long, short] : [short, long];
      previous.length = times(previous.length, first);
      next.length = times(next.length, second);
      this.broken = undefined;
    }
    if (previous?.tied) {
      const samePitch = next.kind === 'note' && previous.pitch && next.pitch && midiNumber(previous.pitch) === midiNumber(next.pitch);
      if (!samePitch) {
        throw this.fail(at, `${previous.text}-${next.text}`, 'a tie (-) joins two notes of the same pitch', 'for different pitches leave the tie out (a slur is written with parentheses)');
      }
      previous.length = plus(previous.length, next.length);
      previous.text = `${previous.text}-${next.text}`;
      previous.tied = false;
      return;
    }
    this.commit();
    this.pending = next;
  }

  private commit(): void {
    const pending = this.pending;
    if (!pending || pending.tied) return;
    const at = { line: pending.line, column: pending.column };
    const duration = durationOf(pending.length);
    if (!duration) {
      throw this.fail(at, pending.text, `a length of ${pending.length.n}/${pending.length.d} of a whole note has no Nabi duration`, allowedLengths(this.unitLength()));
    }
    this.checkRoom(1, at, pending.text);
    this.events.push(pending.kind === 'note' && pending.pitch
      ? { kind: 'note', pitch: pending.pitch, duration }
      : { kind: 'rest', duration });
    this.pending = undefined;
  }

  private checkRoom(adding: number, at: Location, token: string): void {
    if (this.events.length + adding > MAX_EVENTS) {
      throw this.fail(at, token, `too many notes (more than ${MAX_EVENTS})`, `a melody holds at most ${MAX_EVENTS} notes and rests, repeats played out`);
    }
  }

  private finish(): void {
    const pending = this.pending;
    if (pending?.tied) {
      throw this.fail({ line: pending.line, column: pending.column }, `${pending.text}-`, 'the tune ends inside a tie', 'a tie (-) needs a second note of the same pitch');
    }
    if (this.broken) throw this.fail(this.broken.at, this.broken.text, 'the tune ends inside a broken rhythm', 'broken rhythm (> or <) stands between two notes');
  }
}

// ---- writing ----------------------------------------------------------------------------------

/** Thirty-seconds of a whole note: the grid every Nabi duration sits on (a dotted sixteenth is 3). */
const TICKS_PER_WHOLE = 32;

export function formatAbc(melody: Melody, options: AbcFormatOptions = {}): string {
  const unit = melody.events.some((e) => ticksOf(e.duration) % 4 !== 0) ? 16 : 8;
  const unitTicks = TICKS_PER_WHOLE / unit;
  const signature = melody.timeSignature;
  const title = (options.title ?? melody.title ?? 'Untitled').replace(/[\r\n]+/g, ' ').replace(/%/g, '\\%');
  const header = [
    `X:${options.referenceNumber ?? 1}`,
    `T:${title}`,
    `M:${signature ? `${signature.beats}/${signature.beatValue}` : 'none'}`,
    `L:1/${unit}`,
    ...(melody.tempo !== undefined ? [`Q:1/4=${round(melody.tempo)}`] : []),
    'K:C',
  ];

  const barTicks = signature ? (signature.beats * TICKS_PER_WHOLE) / signature.beatValue : undefined;
  // Compound meters (6/8, 9/8, 12/8) beat in dotted quarters; beams follow the beat.
  const beatTicks = signature
    ? signature.beatValue === 8 && signature.beats % 3 === 0 && signature.beats > 3 ? 12 : TICKS_PER_WHOLE / signature.beatValue
    : 8;
  const barsPerLine = Math.max(1, options.barsPerLine ?? 4);
  const spelling = new BarSpelling();
  const lines: string[] = [];
  let line = '';
  let position = 0; // ticks into the current bar
  let bars = 0;
  let previousLong = true;

  const emit = (text: string, ticks: number, long: boolean): void => {
    const onBeat = position % beatTicks === 0;
    line += line === '' || onBeat || long || previousLong ? ` ${text}` : text;
    previousLong = long;
    position += ticks;
  };
  const closeBar = (): void => {
    line += ' |';
    position = 0;
    spelling.newBar();
    bars += 1;
    previousLong = true;
    if (bars % barsPerLine === 0) {
      lines.push(line.trim());
      line = '';
    }
  };

  for (const [index, event] of melody.events.entries()) {
    let remaining = ticksOf(event.duration);
    const long = remaining >= beatTicks;
    if (event.kind === 'rest') {
      // A rest is never split at a bar line: ABC cannot tie rests, and two rests would read back as two.
      emit(`z${lengthText(remaining, unitTicks)}`, remaining, long);
    } else if (barTicks === undefined) {
      emit(`${spelling.write(event.pitch, false)}${lengthText(remaining, unitTicks)}`, remaining, long);
    } else {
      let first = true;
      while (remaining > 0) {
        const inBar = Math.min(remaining, barTicks - position);
        remaining -= inBar;
        // What is left of a note at a bar line may be no single note value (5/8): tie simpler ones.
        const pieces = inBar === ticksOf(event.duration) ? [inBar] : notatable(inBar);
        for (const [p, piece] of pieces.entries()) {
          const tie = remaining > 0 || p < pieces.length - 1 ? '-' : '';
          emit(`${spelling.write(event.pitch, !first)}${lengthText(piece, unitTicks)}${tie}`, piece, long);
          first = false;
        }
        if (remaining > 0) closeBar();
      }
    }
    if (barTicks !== undefined) {
      while (position >= barTicks && index < melody.events.length - 1) {
        position -= barTicks;
        const overflow = position;
        closeBar();
        position = overflow;
      }
    } else if ((index + 1) % 8 === 0) {
      lines.push(line.trim());
      line = '';
    }
  }
  lines.push(`${line.trim()} |]`.trim());
  return `${[...header, ...lines.filter((l) => l !== '')].join('\n')}\n`;
}

/**
 * Chooses accidentals for K:C the way ABC reads them back: an accidental lasts to the end of the
 * bar. Readers disagree on whether it also covers other octaves, so whenever either reading would
 * give the wrong pitch the accidental is written out.
 */
class BarSpelling {
  private readonly sameOctave = new Map<string, Alter>();
  private readonly anyOctave = new Map<Step, Alter>();

  newBar(): void {
    this.sameOctave.clear();
    this.anyOctave.clear();
  }

  /** The ABC for `pitch` without its length; `always` forces an explicit accidental (tie continuations). */
  write(pitch: Pitch, always: boolean): string {
    const slot = `${pitch.step}${pitch.octave}`;
    const heard = this.sameOctave.get(slot) ?? 0;
    const heardAnywhere = this.anyOctave.get(pitch.step) ?? 0;
    const explicit = pitch.alter !== heard || pitch.alter !== heardAnywhere || (always && pitch.alter !== 0);
    this.sameOctave.set(slot, pitch.alter);
    this.anyOctave.set(pitch.step, pitch.alter);
    const accidental = explicit ? (['__', '_', '=', '^', '^^'][pitch.alter + 2] ?? '') : '';
    const letter = pitch.octave >= 5 ? pitch.step : pitch.step.toUpperCase();
    const marks = pitch.octave >= 5 ? "'".repeat(pitch.octave - 5) : ','.repeat(4 - pitch.octave);
    return `${accidental}${letter}${marks}`;
  }
}

// ---- helpers ----------------------------------------------------------------------------------

function ticksOf(duration: Duration): number {
  return (quarterLength(duration) * TICKS_PER_WHOLE) / 4;
}

/** Plain or dotted note values (down to a 32nd) adding up to `ticks`, longest first. */
function notatable(ticks: number): number[] {
  const values = [48, 32, 24, 16, 12, 8, 6, 4, 3, 2, 1];
  const pieces: number[] = [];
  let left = ticks;
  for (const value of values) {
    while (left >= value) {
      pieces.push(value);
      left -= value;
    }
  }
  return pieces;
}

function lengthText(ticks: number, unitTicks: number): string {
  const { n, d } = reduce(ticks, unitTicks);
  if (d === 1) return n === 1 ? '' : `${n}`;
  return n === 1 ? `/${d}` : `${n}/${d}`;
}

function durationOf(length: Fraction): Duration | undefined {
  for (const value of NOTE_VALUES) {
    if (length.n === 1 && length.d === value) return { value, dotted: false };
    if (length.n === 3 && length.d === value * 2) return { value, dotted: true };
  }
  return undefined;
}

/** What lengths are allowed, in the tune's own units (with L:1/8: 8, 4, 2, 1, /2 …). */
function allowedLengths(unit: Fraction): string {
  const plain = NOTE_VALUES.map((v) => lengthText(TICKS_PER_WHOLE / v, (TICKS_PER_WHOLE * unit.n) / unit.d));
  const dotted = NOTE_VALUES.map((v) => lengthText((TICKS_PER_WHOLE * 3) / (v * 2), (TICKS_PER_WHOLE * unit.n) / unit.d));
  const show = (texts: string[]): string => texts.map((t) => t || '1').join(', ');
  return `Nabi's durations are whole to sixteenth notes, optionally dotted: with L:${unit.n}/${unit.d} that is a length of ${show(plain)}, or dotted ${show(dotted)}`;
}

function keyAlters(fifths: number): Record<Step, Alter> {
  const alters = naturalKey();
  const order = fifths >= 0 ? KEY_SHARPS : [...KEY_SHARPS].reverse();
  for (const step of order.slice(0, Math.abs(fifths))) alters[step] = fifths > 0 ? 1 : -1;
  return alters;
}

function naturalKey(): Record<Step, Alter> {
  return Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, Alter>;
}

function stripComment(line: string): string {
  const match = /(^|[^\\])%/.exec(line);
  return match ? line.slice(0, match.index + (match[1] ?? '').length) : line;
}

function parseFraction(text: string): Fraction | undefined {
  const match = /^(\d+)(?:\/(\d+))?$/.exec(text.replace(/\s+/g, ''));
  if (!match) return undefined;
  const n = Number(match[1]);
  const d = match[2] ? Number(match[2]) : 1;
  return n > 0 && d > 0 ? reduce(n, d) : undefined;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function reduce(n: number, d: number): Fraction {
  const g = gcd(n, d) || 1;
  return { n: n / g, d: d / g };
}

function times(a: Fraction, b: Fraction): Fraction {
  return reduce(a.n * b.n, a.d * b.d);
}

function plus(a: Fraction, b: Fraction): Fraction {
  return reduce(a.n * b.d + b.n * a.d, a.d * b.d);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
