import abcjs from 'abcjs';
import { describe, expect, it } from 'vitest';
import { formatAbc, parseAbc } from '../../src/music/abc.ts';
import { MAX_EVENTS } from '../../src/music/limits.ts';
import { STEPS, quarterLength } from '../../src/music/melody.ts';
import type { Melody } from '../../src/music/melody.ts';
import { SONGBOOK } from '../../src/music/songbook.ts';
import { formatTokens, parseTokens } from '../../src/music/tokens.ts';
import { CORNERS, notationError } from './helpers.ts';

const tune = (body: string, headers = 'L:1/8\nK:C'): string => `X:1\nT:Test\n${headers}\n${body}\n`;
const tokens = (abc: string): string => formatTokens(parseAbc(abc));

describe('parseAbc: headers', () => {
  it('reads 나비야 written by hand in ABC as the songbook\'s 나비야', () => {
    const abc = [
      'X:1', 'T:나비야', 'M:2/4', 'L:1/8', 'Q:1/4=100', 'K:C',
      'GE E2 | FD D2 | CD EF | GG G2 |', 'GE EE | FD D2 | CE GG | EE E2 |',
      'DD DD | DE F2 | EE EE | EF G2 |', 'GE E2 | FD D2 | CE GG | EE E2 |]',
    ].join('\n');
    const melody = parseAbc(abc);
    expect(melody.events).toEqual(SONGBOOK.nabiya.melody.events);
    expect(melody).toMatchObject({ title: '나비야', tempo: 100, timeSignature: { beats: 2, beatValue: 4 }, key: 'C' });
  });

  it('defaults L: to 1/16 below 3/4 meters and 1/8 otherwise, as the standard says', () => {
    expect(tokens(tune('G2 G', 'M:2/4\nK:C'))).toBe('g8 g16');
    expect(tokens(tune('G2 G', 'M:3/4\nK:C'))).toBe('g4 g8');
    expect(tokens(tune('G2 G', 'M:C\nK:C'))).toBe('g4 g8');
    expect(tokens(tune('G2 G', 'K:C'))).toBe('g4 g8');
  });

  it('reads C and C| meters and the tempo forms', () => {
    expect(parseAbc(tune('C', 'M:C\nK:C')).timeSignature).toEqual({ beats: 4, beatValue: 4 });
    expect(parseAbc(tune('C', 'M:C|\nK:C')).timeSignature).toEqual({ beats: 2, beatValue: 2 });
    expect(parseAbc(tune('C', 'M:6/8\nK:C')).timeSignature).toEqual({ beats: 6, beatValue: 8 });
    expect(parseAbc(tune('C', 'Q:1/4=120\nK:C')).tempo).toBe(120);
    expect(parseAbc(tune('C', 'Q:120\nK:C')).tempo).toBe(120);
    expect(parseAbc(tune('C', 'Q:3/8=60\nK:C')).tempo).toBe(90);
    expect(parseAbc(tune('C', 'Q:1/2=50\nK:C')).tempo).toBe(100);
    expect(parseAbc(tune('C', 'Q:"Allegro" 1/4=140\nK:C')).tempo).toBe(140);
  });

  it('takes the note lengths from L:', () => {
    expect(tokens(tune('C C2 C4 C8 C/2 C/ C3 C3/2 C6 C12', 'L:1/8\nK:C'))).toBe('c8 c4 c2 c1 c16 c16 c4. c8. c2. c1.');
    expect(tokens(tune('C C2 C4 C//', 'L:1/4\nK:C'))).toBe('c4 c2 c1 c16');
    expect(tokens(tune('C C2 C3', 'L:1/16\nK:C'))).toBe('c16 c8 c8.');
  });
});

describe('parseAbc: pitches', () => {
  it('puts C in octave 4 and c in octave 5, with \' and , moving octaves', () => {
    expect(tokens(tune("C c c' c'' C, C,, B, b"))).toBe('c8 c5:8 c6:8 c7:8 c3:8 c2:8 b3:8 b5:8');
  });

  // Which letters each key sharpens (+) or flattens (-): straight from the circle of fifths.
  const KEYS: Array<[string, string]> = [
    ['C', ''], ['G', 'f+'], ['D', 'f+ c+'], ['A', 'f+ c+ g+'], ['E', 'f+ c+ g+ d+'], ['B', 'f+ c+ g+ d+ a+'],
    ['F#', 'f+ c+ g+ d+ a+ e+'], ['C#', 'f+ c+ g+ d+ a+ e+ b+'],
    ['F', 'b-'], ['Bb', 'b- e-'], ['Eb', 'b- e- a-'], ['Ab', 'b- e- a- d-'], ['Db', 'b- e- a- d- g-'],
    ['Gb', 'b- e- a- d- g- c-'], ['Cb', 'b- e- a- d- g- c- f-'],
    ['Am', ''], ['Em', 'f+'], ['Bm', 'f+ c+'], ['F#m', 'f+ c+ g+'], ['C#m', 'f+ c+ g+ d+'], ['G#m', 'f+ c+ g+ d+ a+'],
    ['Dm', 'b-'], ['Gm', 'b- e-'], ['Cm', 'b- e- a-'], ['Fm', 'b- e- a- d-'], ['Bbm', 'b- e- a- d- g-'], ['Ebm', 'b- e- a- d- g- c-'],
    ['A minor', ''], ['Amin', ''], ['Gmaj', 'f+'], ['D dorian', ''], ['Ddor', ''], ['G mixolydian', ''], ['Amix', 'f+ c+'],
    ['E phrygian', ''], ['F lydian', ''], ['B locrian', ''], ['F#loc', 'f+'], ['none', ''], ['D exp ^f', 'f+'],
  ];
  it.each(KEYS)('K:%s', (key, altered) => {
    const melody = parseAbc(tune('CDEFGAB', `L:1/8\nK:${key}`));
    const expected = STEPS.map((step) => (altered.includes(`${step}+`) ? 1 : altered.includes(`${step}-`) ? -1 : 0));
    expect(melody.events.map((e) => (e.kind === 'note' ? e.pitch.alter : NaN))).toEqual(expected);
  });

  it('K:G makes every F sharp, in every octave, in every bar', () => {
    expect(tokens(tune('F f f\' | F, f', 'L:1/8\nK:G'))).toBe('f#8 f#5:8 f#6:8 f#3:8 f#5:8');
  });

  it('an explicit accidental lasts to the bar line and no further (K:G)', () => {
    expect(tokens(tune('^f f | f', 'L:1/8\nK:G'))).toBe('f#5:8 f#5:8 f#5:8');
    expect(tokens(tune('=f f f | f', 'L:1/8\nK:G'))).toBe('f5:8 f5:8 f5:8 f#5:8');
  });

  it('an explicit accidental covers its own octave only', () => {
    expect(tokens(tune("^c c c' C | c", 'L:1/8\nK:C'))).toBe('c#5:8 c#5:8 c6:8 c8 c5:8');
    expect(tokens(tune('B =B B b | B', 'L:1/8\nK:F'))).toBe('bb8 b8 b8 bb5:8 bb8');
  });

  it('the last accidental in the bar wins; double accidentals too', () => {
    expect(tokens(tune('^c c =c c _c c __c c ^^c c', 'L:1/8\nK:C'))).toBe('c#5:8 c#5:8 c5:8 c5:8 cb5:8 cb5:8 cbb5:8 cbb5:8 c##5:8 c##5:8');
  });

  it('an inline [K:] changes the key mid-tune', () => {
    expect(tokens(tune('F [K:D] F C | [K:Bb] B E', 'L:1/8\nK:C'))).toBe('f8 f#8 c#8 bb8 eb8');
  });
});

describe('parseAbc: rhythm, rests, ties, repeats, and what is skipped', () => {
  it('merges tied notes into one note of the summed length', () => {
    expect(tokens(tune('c2-c E4-E2 G-|G3', 'L:1/8\nK:C'))).toBe('c5:4. e2. g2');
  });

  it('carries an accidental through a tie over the bar line', () => {
    expect(tokens(tune('^c2-|c2 c', 'L:1/8\nK:C'))).toBe('c#5:2 c5:8');
  });

  it('reads broken rhythm', () => {
    expect(tokens(tune('c>d e<f', 'L:1/8\nK:C'))).toBe('c5:8. d5:16 e5:16 f5:8.');
    expect(tokens(tune('c2>d2 e2<f2', 'L:1/8\nK:C'))).toBe('c5:4. d5:8 e5:8 f5:4.');
  });

  it('reads rests z and x, and whole-bar rests Z with the meter', () => {
    expect(tokens(tune('z C x2 z/', 'L:1/8\nK:C'))).toBe('r8 c8 r4 r16');
    expect(tokens(tune('Z2 C6 | Z', 'M:3/4\nL:1/8\nK:C'))).toBe('r2. r2. c2. r2.');
  });

  it('plays repeats and first/second endings out', () => {
    expect(tokens(tune('|: C D :| E F |1 G A :|2 B c |]', 'L:1/8\nK:C'))).toBe(
      'c8 d8 c8 d8 e8 f8 g8 a8 e8 f8 b8 c5:8',
    );
    expect(tokens(tune('C D || E :|', 'L:1/8\nK:C'))).toBe('c8 d8 e8 e8');
  });

  it('skips chord symbols, decorations, slurs, grace notes, comments and other fields', () => {
    const abc = [
      'X:1', 'T:Skips', 'C:Trad.', '%%score 1', 'M:6/8', 'L:1/8', 'K:F % F major',
      '"F"!p!C3 {g}F2 A | (cBA) .G2 ~z | % end of line',
      'w: some lyrics here', 'T:Second section', '+trill+F6 |]',
    ].join('\n');
    const melody = parseAbc(abc);
    expect(formatTokens(melody)).toBe('c4. f4 a8 c5:8 bb8 a8 g4 r8 f2.');
    expect(melody.title).toBe('Skips');
  });

  it('reads only the first tune of several', () => {
    expect(tokens('X:1\nK:C\nCD\n\nX:2\nK:C\nEF\n')).toBe('c8 d8');
  });
});

describe('parseAbc errors name the line, column, text and what is allowed', () => {
  it('chords', () => {
    const error = notationError(() => parseAbc('X:1\nK:C\nCD [CEG] E'));
    expect(error).toMatchObject({ token: '[CEG]', position: 3, column: 3 });
    expect(error.message).toContain('line 3, column 4');
    expect(error.message).toContain('Nabi learns one line of melody');
  });

  it('lengths that are no Nabi duration, listing the allowed ones in the tune\'s units', () => {
    const error = notationError(() => parseAbc('X:1\nL:1/8\nK:C\nC2 C5 D'));
    expect(error).toMatchObject({ token: 'C5', position: 4, column: 3 });
    expect(error.reason).toContain('5/8');
    expect(error.allowed).toContain('L:1/8');
    expect(error.allowed).toContain('8, 4, 2, 1, /2');
    expect(error.allowed).toContain('12, 6, 3, 3/2, 3/4');
    const tiny = notationError(() => parseAbc('X:1\nL:1/8\nK:C\nC//'));
    expect(tiny.token).toBe('C//');
    const doubleDotted = notationError(() => parseAbc('X:1\nL:1/8\nK:C\nc2>>d2'));
    expect(doubleDotted.reason).toContain('7/16');
  });

  it('tuplets, overlays, bad ties', () => {
    expect(notationError(() => parseAbc('X:1\nK:C\n(3CDE')).reason).toContain('tuplets');
    expect(notationError(() => parseAbc('X:1\nK:C\nC & D')).message).toContain('one line of melody');
    const tie = notationError(() => parseAbc('X:1\nK:C\nC2-D2'));
    expect(tie.reason).toContain('same pitch');
    expect(tie.token).toBe('C2-D2');
    expect(notationError(() => parseAbc('X:1\nK:C\nC2-')).reason).toContain('ends inside a tie');
    expect(notationError(() => parseAbc('X:1\nK:C\n-C')).reason).toContain('must follow a note');
  });

  it('accidentals, keys, meters and tempos that do not exist', () => {
    const accidental = notationError(() => parseAbc('X:1\nK:C\nC ^^^C'));
    expect(accidental).toMatchObject({ token: '^^^C', position: 3, column: 2 });
    expect(accidental.allowed).toContain('^ (sharp)');
    expect(notationError(() => parseAbc('X:1\nK:C\nC ^ D')).reason).toContain('followed by a note letter');
    const key = notationError(() => parseAbc('X:1\nK:G#\nC'));
    expect(key).toMatchObject({ position: 2, token: 'K:G#' });
    expect(key.reason).toContain('8 sharps');
    expect(notationError(() => parseAbc('X:1\nK:H\nC')).reason).toContain('no such key');
    expect(notationError(() => parseAbc('X:1\nK:Cfoo\nC')).reason).toContain('unknown mode');
    expect(notationError(() => parseAbc('X:1\nM:3/5\nK:C\nC')).reason).toContain('meter');
    expect(notationError(() => parseAbc('X:1\nQ:1/4=2\nK:C\nC')).allowed).toContain('20–400');
  });

  it('stray characters, unclosed groups, octaves, a second voice, empty tunes, too many notes', () => {
    expect(notationError(() => parseAbc('X:1\nK:C\nC ; D'))).toMatchObject({ token: ';', position: 3, column: 2 });
    expect(notationError(() => parseAbc('X:1\nK:C\n"Am C D')).reason).toContain('unclosed');
    expect(notationError(() => parseAbc("X:1\nK:C\nc''''")).reason).toBe('octave 9 is out of range');
    expect(notationError(() => parseAbc('X:1\nV:1\nK:C\nC\nV:2\nE')).reason).toContain('second voice');
    expect(notationError(() => parseAbc('X:1\nT:Nothing\nK:C\n')).reason).toContain('no notes');
    const many = notationError(() => parseAbc(`X:1\nK:C\n|: ${'C '.repeat(600)}:|`));
    expect(many.message).toContain(String(MAX_EVENTS));
  });
});

describe('formatAbc', () => {
  const roundTrip = (melody: Melody): void => {
    const abc = formatAbc(melody);
    const back = parseAbc(abc);
    expect(back.events, abc).toEqual(melody.events);
    expect(back.tempo).toEqual(melody.tempo);
    expect(back.timeSignature).toEqual(melody.timeSignature);
  };

  it.each(Object.keys(SONGBOOK))('songbook %s: melody → ABC → melody', (name) => {
    roundTrip(SONGBOOK[name as keyof typeof SONGBOOK].melody);
  });

  it('round trips accidentals, octaves, dots and rests, with and without a meter', () => {
    const { events } = parseTokens(CORNERS);
    roundTrip({ events });
    roundTrip({ events, timeSignature: { beats: 3, beatValue: 4 }, tempo: 90 });
    roundTrip({ events, timeSignature: { beats: 6, beatValue: 8 } });
    // Alterations that must be cancelled or restated within a bar.
    roundTrip({ events: parseTokens('c#4 c4 c#4 c5:4 | bb4 b4 bb5:4 b4 | f#8 f8 f#5:8 f8 f#8 f##8 fb8 f8').events, timeSignature: { beats: 4, beatValue: 4 } });
  });

  it('writes the header and bars of 나비야, four bars a line', () => {
    const abc = formatAbc(SONGBOOK.nabiya.melody);
    const lines = abc.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual(['X:1', 'T:나비야 (Butterfly)', 'M:2/4', 'L:1/8', 'Q:1/4=100', 'K:C']);
    expect(lines.slice(6)).toEqual([
      'GE E2 | FD D2 | CD EF | GG G2 |',
      'GE EE | FD D2 | CE GG | EE E2 |',
      'DD DD | DE F2 | EE EE | EF G2 |',
      'GE E2 | FD D2 | CE GG | EE E2 |]',
    ]);
  });

  it('switches to L:1/16 when sixteenths are present, and ties notes over bar lines', () => {
    const abc = formatAbc({ events: parseTokens('c8. d16 e2 f4').events, timeSignature: { beats: 2, beatValue: 4 } });
    expect(abc).toContain('L:1/16');
    expect(abc).toContain('C3D E4- | E4 F4 |]');
  });

  it('writes something abcjs reads without warnings, with the same lengths and staff positions', () => {
    const melodies: Melody[] = [
      ...Object.values(SONGBOOK).map((s) => s.melody),
      { events: parseTokens(CORNERS).events, timeSignature: { beats: 3, beatValue: 4 } },
      { events: parseTokens(CORNERS).events },
    ];
    for (const melody of melodies) {
      const abc = formatAbc(melody);
      const [parsed] = abcjs.parseOnly(abc);
      expect(parsed?.warnings, abc).toBeUndefined();
      const elements = (parsed?.lines ?? []).flatMap((line) => line.staff?.[0]?.voices?.[0] ?? []);
      const heard: string[] = [];
      let tied = false;
      for (const element of elements as unknown as Array<Record<string, unknown>>) {
        if (element.el_type !== 'note') continue;
        const pitches = element.pitches as Array<{ pitch: number; startTie?: object; endTie?: boolean }> | undefined;
        const length = (element.duration as number) * 4;
        const position = pitches?.[0]?.pitch;
        if (tied && pitches?.[0]?.endTie) {
          const last = heard.pop() ?? '';
          const [where, previous] = last.split('/');
          heard.push(`${where}/${Number(previous) + length}`);
        } else heard.push(`${position ?? 'rest'}/${length}`);
        tied = pitches?.[0]?.startTie !== undefined;
      }
      const expected = melody.events.map((e) =>
        `${e.kind === 'note' ? (e.pitch.octave - 4) * 7 + STEPS.indexOf(e.pitch.step) : 'rest'}/${quarterLength(e.duration)}`,
      );
      expect(heard, abc).toEqual(expected);
    }
  });

  it('restates a natural after the same letter was altered in another octave, for readers that carry accidentals across octaves', () => {
    const abc = formatAbc({ events: parseTokens('c#5:4 c4 f#4 f5:4').events, timeSignature: { beats: 4, beatValue: 4 } });
    expect(abc).toContain('^c2 =C2 ^F2 =f2 |]');
  });

  it('keeps a title with % and newlines inside its T: line', () => {
    const abc = formatAbc({ events: parseTokens('c4').events, title: '100% fun\nsecond line' });
    expect(abc).toContain('T:100\\% fun second line\n');
    expect(parseAbc(abc).title).toBe('100% fun second line');
  });
});
