import { describe, expect, it } from 'vitest';
import { MAX_EVENTS, MAX_TEXT } from '../../src/music/limits.ts';
import { midiNumber, note, rest } from '../../src/music/melody.ts';
import { SONGBOOK } from '../../src/music/songbook.ts';
import { formatTokens, parseToken, parseTokens } from '../../src/music/tokens.ts';
import { CORNERS, notationError } from './helpers.ts';

// The tutorial's `seq`, pasted exactly as its Python source prints it.
const TUTORIAL_SEQ = `seq = ['g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'd8', 'e8', 'f8', 'g8', 'g8', 'g4',
       'g8', 'e8', 'e8', 'e8', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4',
       'd8', 'd8', 'd8', 'd8', 'd8', 'e8', 'f4', 'e8', 'e8', 'e8', 'e8', 'e8', 'f8', 'g4',
       'g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4']`;

describe('parseTokens: the tutorial codes', () => {
  it('reads the tutorial\'s Python list as the 54 notes of 나비야', () => {
    const melody = parseTokens(TUTORIAL_SEQ);
    expect(melody.events).toHaveLength(54);
    expect(melody.events).toEqual(SONGBOOK.nabiya.melody.events);
    expect(melody.events[0]).toEqual(note('g', 8));
    expect(melody.events[2]).toEqual(note('e', 4));
    expect(melody.events[53]).toEqual(note('e', 4));
  });

  it('reads the list without the assignment, with double quotes, or with no spaces', () => {
    const expected = [note('g', 8), note('e', 8), note('e', 4)];
    expect(parseTokens("['g8', 'e8', 'e4']").events).toEqual(expected);
    expect(parseTokens('["g8", "e8", "e4"]').events).toEqual(expected);
    expect(parseTokens("'g8','e8','e4'").events).toEqual(expected);
    expect(parseTokens('g8,e8,e4').events).toEqual(expected);
  });

  it('maps each of the 14 codes of code2idx to octave 4 and its note value', () => {
    const codes = ['c4', 'd4', 'e4', 'f4', 'g4', 'a4', 'b4', 'c8', 'd8', 'e8', 'f8', 'g8', 'a8', 'b8'];
    const midi = { c: 60, d: 62, e: 64, f: 65, g: 67, a: 69, b: 71 } as const;
    for (const code of codes) {
      const event = parseToken(code);
      expect(event.kind, code).toBe('note');
      if (event.kind !== 'note') continue;
      expect(midiNumber(event.pitch), code).toBe(midi[code[0] as keyof typeof midi]);
      expect(event.duration, code).toEqual({ value: Number(code[1]), dotted: false });
    }
  });
});

describe('parseTokens: the extended syntax', () => {
  const cases: Array<[string, ReturnType<typeof note> | ReturnType<typeof rest>]> = [
    ['c#5:8.', note('c', 8, { alter: 1, octave: 5, dotted: true })],
    ['bb4', note('b', 4, { alter: -1 })],
    ['b4', note('b', 4)],
    ['bbb4', note('b', 4, { alter: -2 })],
    ['Bb4', note('b', 4, { alter: -1 })],
    ['G8', note('g', 8)],
    ['g4:8', note('g', 8)],
    ["c'4", note('c', 4, { octave: 5 })],
    ["c''4", note('c', 4, { octave: 6 })],
    ['g,8', note('g', 8, { octave: 3 })],
    ['a,,2.', note('a', 2, { octave: 2, dotted: true })],
    ['f##16.', note('f', 16, { alter: 2, dotted: true })],
    ['eb0:1', note('e', 1, { alter: -1, octave: 0 })],
    ['b8:16', note('b', 16, { octave: 8 })],
    ['f♯4', note('f', 4, { alter: 1 })],
    ['r4', rest(4)],
    ['R8.', rest(8, true)],
    ['r16', rest(16)],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(parseToken(text)).toEqual(expected);
  });

  it('ignores bar lines of every kind, even glued to notes', () => {
    const melody = parseTokens('|: g8 e8 e4 | f8 d8 d4 || c8|e8 :| g4 |]');
    expect(formatTokens(melody)).toBe('g8 e8 e4 f8 d8 d4 c8 e8 g4');
  });

  it('accepts newlines and tabs as separators', () => {
    expect(formatTokens(parseTokens('g8\te8\n\ne4\r\nf8'))).toBe('g8 e8 e4 f8');
  });
});

describe('formatTokens round trips', () => {
  it('gives back canonical text unchanged', () => {
    expect(formatTokens(parseTokens(CORNERS))).toBe(CORNERS);
  });

  it('writes octave marks and explicit octave 4 in the canonical form', () => {
    expect(formatTokens(parseTokens("c'4 g,8 G4:8 BB4".replace('BB4', 'Bb4')))).toBe('c5:4 g3:8 g8 bb4');
  });

  it.each(Object.keys(SONGBOOK))('songbook %s: tokens → melody → tokens → melody', (name) => {
    const song = SONGBOOK[name as keyof typeof SONGBOOK];
    const text = formatTokens(song.melody);
    expect(parseTokens(text).events).toEqual(song.melody.events);
    expect(formatTokens(parseTokens(text))).toBe(text);
  });
});

describe('parseTokens errors say which token, where, and what is allowed', () => {
  it('unknown pitch letter', () => {
    const error = notationError(() => parseTokens('g8 e8 h8'));
    expect(error.message).toBe('token 3 `h8`: no such pitch `h` — pitches are a–g, or r for a rest');
    expect(error).toMatchObject({ token: 'h8', position: 3, column: 6 });
  });

  it('bad duration', () => {
    const error = notationError(() => parseTokens('c3'));
    expect(error.message).toContain('token 1 `c3`');
    expect(error.message).toContain('duration must be 1, 2, 4, 8 or 16, optionally dotted (e.g. `8.`)');
    expect(error).toMatchObject({ token: 'c3', position: 1, column: 0 });
  });

  it('suggests the octave colon for `c58`', () => {
    const error = notationError(() => parseTokens('g8 c58'));
    expect(error.position).toBe(2);
    expect(error.message).toContain('`c5:8`');
  });

  it('missing duration, counting tokens across bar lines and commas', () => {
    const error = notationError(() => parseTokens('g8, e8 | e4 f'));
    expect(error).toMatchObject({ token: 'f', position: 4, column: 12 });
    expect(error.reason).toBe('missing duration');
    expect(error.allowed).toContain('1, 2, 4, 8 or 16');
  });

  it('bad accidental', () => {
    for (const [text, accidental] of [['c#b4', '#b'], ['e###4', '###'], ['cis4', 'is']] as const) {
      const error = notationError(() => parseTokens(`g8 ${text}`));
      expect(error.position).toBe(2);
      expect(error.reason).toBe(`bad accidental \`${accidental}\``);
      expect(error.allowed).toContain('# (sharp), ## (double sharp), b (flat) or bb (double flat)');
    }
  });

  it('octave out of 0–8, by number or by marks', () => {
    const high = notationError(() => parseTokens('c4 c9:4'));
    expect(high).toMatchObject({ token: 'c9:4', position: 2, column: 3, reason: 'octave 9 is out of range' });
    expect(high.allowed).toContain('0–8');
    const low = notationError(() => parseTokens('c,,,,,4'));
    expect(low.reason).toBe('octave -1 is out of range');
    const twice = notationError(() => parseTokens("c'5:4"));
    expect(twice.reason).toBe('octave given twice');
  });

  it('stray characters', () => {
    const glued = notationError(() => parseTokens('g8e8'));
    expect(glued.reason).toBe('unexpected `e` after `g8`');
    expect(glued.allowed).toContain('separate notes with spaces or commas');
    const symbol = notationError(() => parseTokens('g8 e8 @'));
    expect(symbol).toMatchObject({ token: '@', position: 3, column: 6 });
    const digit = notationError(() => parseTokens('8'));
    expect(digit.reason).toBe('missing pitch letter');
    const dots = notationError(() => parseTokens('g4..'));
    expect(dots.reason).toContain('double dots');
    const restPitch = notationError(() => parseTokens('r#4'));
    expect(restPitch.reason).toBe('a rest has no pitch');
  });

  it('empty input', () => {
    for (const text of ['', '   ', '| |]', '[]', "seq = []"]) {
      const error = notationError(() => parseTokens(text));
      expect(error.message.startsWith('no notes found'), text).toBe(true);
      expect(error.allowed).toContain('`g8 e8 e4`');
    }
  });

  it('too many notes', () => {
    expect(parseTokens(Array(MAX_EVENTS).fill('g8').join(' ')).events).toHaveLength(MAX_EVENTS);
    const error = notationError(() => parseTokens(Array(MAX_EVENTS + 1).fill('g8').join(' ')));
    expect(error.position).toBe(MAX_EVENTS + 1);
    expect(error.message).toContain(String(MAX_EVENTS));
  });

  it('too much text', () => {
    const error = notationError(() => parseTokens(`g8${' '.repeat(MAX_TEXT)}`));
    expect(error.message).toContain(String(MAX_TEXT));
    expect(error.reason).toContain('too long');
  });

  it('quotes member input safely: bounded, no backtick breaking the code span', () => {
    const long = notationError(() => parseTokens(`h${'x'.repeat(500)}`));
    expect(long.message.length).toBeLessThan(200);
    const sneaky = notationError(() => parseTokens('g8 x`@everyone`'));
    expect(sneaky.message.split('`').length % 2).toBe(1); // balanced code spans
  });
});
