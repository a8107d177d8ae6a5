import { NotationError, quote } from './errors.ts';
import { MAX_EVENTS, MAX_OCTAVE, MAX_TEXT, MIN_OCTAVE } from './limits.ts';
import { NOTE_VALUES } from './melody.ts';
import type { Alter, Duration, Melody, MelodyEvent, NoteValue, Step } from './melody.ts';
import { formatEvents } from './token.ts';

/*
 * Nabi's token syntax — the tutorial's note codes, extended.
 *
 *   melody   = { token | bar | separator }
 *   token    = note | rest
 *   note     = letter [accidental] [octave] duration
 *   rest     = "r" duration
 *   letter   = a–g (A–G means the same)
 *   accidental = "#" | "##" | "b" | "bb"          (so `bb4` is B-flat, `b4` is B; ♯ and ♭ work too)
 *   octave   = digit ":"                           (0–8, `c#5:8.`; `g4:8` is `g8`)
 *            | { "'" | "," }                       (up / down from octave 4: `c'4` = C5, `g,8` = G3)
 *   duration = ( "1" | "2" | "4" | "8" | "16" ) ["."]
 *   bar      = "|" | "||" | "|]" | ":|" | "|:"     (ignored: they only help the eye)
 *   separator = whitespace | ","
 *
 * Without an octave a note is in octave 4 (middle C is c4:…), so the tutorial's `g8` is the G above
 * middle C as an eighth, `e4` the E above middle C as a quarter. A pasted Python list such as
 * `seq = ['g8', 'e8', 'e4']` is read as is: the brackets, the assignment and the quotes are dropped.
 */

const LETTERS = /^[a-g]$/i;
const ACCIDENTALS: Readonly<Record<string, Alter>> = {
  '#': 1, '##': 2, b: -1, bb: -2, '♯': 1, '♯♯': 2, '♭': -1, '♭♭': -2,
};
const ALLOWED_PITCH = 'pitches are a–g, or r for a rest';
const ALLOWED_ACCIDENTAL = 'accidentals are # (sharp), ## (double sharp), b (flat) or bb (double flat)';
const ALLOWED_DURATION = 'duration must be 1, 2, 4, 8 or 16, optionally dotted (e.g. `8.`)';
const ALLOWED_OCTAVE = `octaves are ${MIN_OCTAVE}–${MAX_OCTAVE} (4 holds middle C), written \`c5:4\` or with marks \`c'4\`, \`c,4\``;
const ALLOWED_SEPARATOR = 'separate notes with spaces or commas (e.g. `g8 e8 e4`)';
const EXAMPLE = 'write notes like `g8 e8 e4`: a pitch letter a–g, then a duration 1, 2, 4, 8 or 16';

/** Parses text in the token syntax above; throws a NotationError naming the first bad token. */
export function parseTokens(text: string): Melody {
  checkTextLength(text);
  const [start, end] = listBounds(text);
  const events: MelodyEvent[] = [];
  let i = start;
  while (i < end) {
    const c = text[i] ?? '';
    const bar = barLength(text, i, end);
    if (isSeparator(c) || c === "'" || c === '"') i += 1;
    else if (bar > 0) i += bar;
    else {
      const read = readEvent(text, i, end, events.length + 1);
      if (events.length >= MAX_EVENTS) {
        throw new NotationError({
          token: read.token, position: events.length + 1, column: i,
          reason: `too many notes (more than ${MAX_EVENTS})`,
          allowed: `a melody holds at most ${MAX_EVENTS} notes and rests`,
        });
      }
      events.push(read.event);
      i = read.next;
    }
  }
  if (events.length === 0) {
    throw new NotationError({ token: '', position: 0, column: 0, reason: 'no notes found', allowed: EXAMPLE });
  }
  return { events };
}

/** Parses exactly one token (e.g. a command option naming a start note). */
export function parseToken(text: string): MelodyEvent {
  const melody = parseTokens(text);
  const [first, second] = melody.events;
  if (first === undefined || second !== undefined) {
    throw new NotationError({ token: text.trim(), position: 0, column: 0, reason: 'expected a single note', allowed: 'one token such as `g8` or `r4`' });
  }
  return first;
}

export function formatTokens(melody: Melody): string {
  return formatEvents(melody.events);
}

export function checkTextLength(text: string): void {
  if (text.length > MAX_TEXT) {
    throw new NotationError({
      token: '', position: 0, column: MAX_TEXT,
      reason: `text too long (${text.length} characters)`,
      allowed: `at most ${MAX_TEXT} characters of notation`,
    });
  }
}

function isSeparator(c: string): boolean {
  return c === ',' || /\s/.test(c);
}

/** Bar lines (`|`, `||`, `|]`, `:|`, `|:`) at `i`: how many characters they take, 0 if none. */
function barLength(text: string, i: number, end: number): number {
  const match = /:*\|+\]?:*/y;
  match.lastIndex = i;
  const found = match.exec(text);
  return found && i + found[0].length <= end ? found[0].length : 0;
}

/** The part of `text` to scan: inside `[...]` when it is a pasted (optionally assigned) Python list. */
function listBounds(text: string): [number, number] {
  const open = /^\s*(?:[A-Za-z_]\w*\s*=\s*)?\[/.exec(text);
  if (!open) return [0, text.length];
  const close = text.trimEnd();
  const end = close.endsWith(']') && !close.endsWith('|]') ? close.length - 1 : text.length;
  return [open[0].length, end];
}

/** The token as the member sees it, for messages: up to the next space, bar or list comma. */
function tokenText(text: string, start: number, end: number): string {
  let j = start;
  while (j < end) {
    const c = text[j] ?? '';
    if (/\s/.test(c) || c === '|' || c === '"') break;
    if ((c === ',' || c === "'") && /[0-9.]/.test(text[j - 1] ?? '')) break;
    j += 1;
  }
  return text.slice(start, j).replace(/[',]+$/, '') || text.slice(start, j);
}

interface ReadEvent {
  readonly event: MelodyEvent;
  readonly token: string;
  readonly next: number;
}

function readEvent(text: string, start: number, end: number, position: number): ReadEvent {
  const token = tokenText(text, start, end);
  const fail = (reason: string, allowed: string): NotationError =>
    new NotationError({ token, position, column: start, reason, allowed });
  const peek = (j: number): string => (j < end ? (text[j] ?? '') : '');

  let i = start;
  const first = peek(i);
  if (first === 'r' || first === 'R') {
    i += 1;
    if (/[a-z#♯♭']/i.test(peek(i)) || /^\d+:/.test(text.slice(i, end))) {
      throw fail('a rest has no pitch', 'write a rest as r and a duration (e.g. `r4`, `r8.`)');
    }
    const duration = readDuration(i);
    return { event: { kind: 'rest', duration: duration.value }, token, next: checkEnd(duration.next) };
  }
  if (!LETTERS.test(first)) {
    if (/[a-z]/i.test(first)) throw fail(`no such pitch ${quote(first)}`, ALLOWED_PITCH);
    if (/\d/.test(first)) throw fail('missing pitch letter', `a note starts with its pitch (e.g. \`g8\`); ${ALLOWED_PITCH}`);
    throw fail(`unexpected ${quote(first)}`, `a note is a pitch letter a–g, an optional # or b, and a duration (e.g. \`g8\`, \`f#4.\`)`);
  }
  const step = first.toLowerCase() as Step;
  i += 1;

  let accidental = '';
  while (/[a-z#♯♭]/i.test(peek(i))) accidental += peek(i++);
  const alter = ACCIDENTALS[accidental] ?? (accidental === '' ? 0 : undefined);
  if (alter === undefined) throw fail(`bad accidental ${quote(accidental)}`, ALLOWED_ACCIDENTAL);

  let marks = 0;
  let hasMarks = false;
  while (peek(i) === "'" || peek(i) === ',') {
    marks += peek(i) === "'" ? 1 : -1;
    hasMarks = true;
    i += 1;
  }
  let octave = 4 + marks;
  const explicit = /^(\d+):/.exec(text.slice(i, end));
  if (explicit) {
    if (hasMarks) throw fail("octave given twice", `use either an octave number (\`c5:4\`) or ' and , marks (\`c'4\`), not both`);
    octave = Number(explicit[1]);
    i += explicit[0].length;
  }
  // Octaves 0–8 keep every spelling (cbb0 … b##8) inside MIDI's 0–127, so one check covers both.
  if (octave < MIN_OCTAVE || octave > MAX_OCTAVE) throw fail(`octave ${octave} is out of range`, ALLOWED_OCTAVE);
  const pitch = { step, alter, octave };

  const duration = readDuration(i);
  return { event: { kind: 'note', pitch, duration: duration.value }, token, next: checkEnd(duration.next) };

  function readDuration(from: number): { value: Duration; next: number } {
    let j = from;
    let digits = '';
    while (/\d/.test(peek(j))) digits += peek(j++);
    if (digits === '') {
      const after = peek(j);
      const reason = after === '' || isSeparator(after) || after === "'" || after === '"' || after === '|'
        ? 'missing duration'
        : `unexpected ${quote(after)} where the duration should be`;
      throw fail(reason, ALLOWED_DURATION);
    }
    const value = Number(digits);
    if (!(NOTE_VALUES as readonly number[]).includes(value)) {
      throw fail(`bad duration ${quote(digits)}`, ALLOWED_DURATION + octaveHint(digits));
    }
    let dotted = false;
    if (peek(j) === '.') {
      dotted = true;
      j += 1;
      if (peek(j) === '.') throw fail('double dots are not supported', 'a duration takes at most one dot (e.g. `4.`)');
    }
    return { value: { value: value as NoteValue, dotted }, next: j };
  }

  function checkEnd(j: number): number {
    const after = peek(j);
    if (after === '' || isSeparator(after) || after === "'" || after === '"' || barLength(text, j, end) > 0) return j;
    throw fail(`unexpected ${quote(after)} after ${quote(text.slice(start, j))}`, ALLOWED_SEPARATOR);
  }

  /** `c58` is almost always `c5:8` with the colon forgotten. */
  function octaveHint(digits: string): string {
    const [o, ...rest] = digits;
    if (digits.length < 2 || o === undefined || Number(o) > MAX_OCTAVE) return '';
    const value = rest.join('');
    if (!(NOTE_VALUES as readonly number[]).includes(Number(value))) return '';
    const name = text.slice(start, pitchEnd(start));
    return `; for octave ${o} write \`${name}${o}:${value}\``;
  }

  /** Index just past the letter and accidental of the note starting at `s`. */
  function pitchEnd(s: number): number {
    let j = s + 1;
    while (/[a-z#♯♭]/i.test(peek(j))) j += 1;
    return j;
  }
}
