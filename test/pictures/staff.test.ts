import { describe, expect, it } from 'vitest';
import { compareEvents } from '../../src/learning/compare.ts';
import { STEPS } from '../../src/music/melody.ts';
import type { Melody, MelodyEvent } from '../../src/music/melody.ts';
import { getSong } from '../../src/music/songbook.ts';
import { formatEvent } from '../../src/music/token.ts';
import { parseTokens } from '../../src/music/tokens.ts';
import { comparisonSvg, keyFifths, renderComparison, renderStaff, staffSvg, WRONG_COLOR } from '../../src/pictures/index.ts';
import { all, attributes, countPixels, pngSize, tags } from './png.ts';

const S = 16; // default staff space
const nabiya = getSong('nabiya').melody;
const melody = (tokens: string, extra: Partial<Melody> = {}): Melody => ({ ...parseTokens(tokens), ...extra });
const one = (token: string): MelodyEvent => {
  const [event] = parseTokens(token).events;
  if (!event) throw new Error(token);
  return event;
};

interface Head {
  readonly kind: 'head' | 'rest';
  readonly voice: string;
  readonly index: number;
  readonly token: string;
  readonly wrong: boolean;
  readonly x: number;
  /** Relative to the top line of its staff. */
  readonly y: number;
  readonly line: number;
  readonly glyph: string;
}

/** Every note head and rest carrying a token, in document order, with its staff-relative place. */
function heads(svg: string): Head[] {
  const out: Head[] = [];
  let line = -1;
  // Staff groups are not nested: a head belongs to the last staff group opened before it.
  for (const tag of tags(svg, '')) {
    if (tag.startsWith('<g class="staff"')) line = Number(attributes(tag).get('data-line'));
    if (!tag.includes('data-token=')) continue;
    const a = attributes(tag);
    const [x, y] = (/translate\(([-\d.]+) ([-\d.]+)\)/.exec(a.get('transform') ?? '') ?? []).slice(1).map(Number);
    out.push({
      kind: (a.get('class') ?? '').startsWith('rest') ? 'rest' : 'head',
      voice: a.get('data-voice') ?? '',
      index: Number(a.get('data-index')),
      token: a.get('data-token') ?? '',
      wrong: a.get('data-wrong') === 'true',
      x: x ?? Number.NaN,
      y: y ?? Number.NaN,
      line,
      glyph: a.get('href') ?? '',
    });
  }
  return out;
}

/** Staff position (0 = bottom line … 8 = top line) of a head at staff-relative y. */
const position = (y: number): number => 8 - (2 * y) / S;
const diatonic = (token: string): number => {
  const e = one(token);
  if (e.kind !== 'note') throw new Error(token);
  return e.pitch.octave * 7 + STEPS.indexOf(e.pitch.step);
};

/** The SVG of each event group (head, accidental, dots, stem, flag), keyed by its head's data-index. */
function eventGroups(svg: string, voice = 'melody'): Map<number, string> {
  const out = new Map<number, string>();
  for (const [body = ''] of all(svg, /<g class="event"[^>]*>(.*?)<\/g>/gs)) {
    const m = new RegExp(`data-voice="${voice}" data-index="(\\d+)"`).exec(body);
    if (m) out.set(Number(m[1]), body);
  }
  return out;
}

describe('renderStaff: 나비야', () => {
  const picture = renderStaff(nabiya);

  it('is a 1200 px wide PNG, as tall as its SVG, with ink on it', () => {
    expect(pngSize(picture.png)).toEqual({ width: 1200, height: picture.height });
    const svgHeight = Number(/<svg[^>]* height="([\d.]+)"/.exec(picture.svg)?.[1]);
    expect(picture.height).toBe(Math.round(svgHeight));
    const pixels = countPixels(picture.png);
    expect(pixels.width).toBe(1200);
    // 54 notes, 4 staves, a title: thousands of dark pixels, but far from a filled picture.
    expect(pixels.ink).toBeGreaterThan(20_000);
    expect(pixels.ink).toBeLessThan(0.5 * pixels.width * pixels.height);
    expect(pixels.red).toBe(0);
  });

  it('holds exactly the melody\'s notes, in order, as data-token', () => {
    const h = heads(picture.svg);
    expect(h.map((x) => x.token)).toEqual(nabiya.events.map(formatEvent));
    expect(h.map((x) => x.index)).toEqual(nabiya.events.map((_, i) => i));
    expect(h.every((x) => x.voice === 'melody' && !x.wrong)).toBe(true);
    // Left to right within a line, lines in order.
    for (let i = 1; i < h.length; i++) {
      const a = h[i - 1] as Head;
      const b = h[i] as Head;
      expect(b.line > a.line || (b.line === a.line && b.x > a.x)).toBe(true);
    }
  });

  it('puts g8 (G4) on the second line of the treble staff, and every note on its line or space', () => {
    expect(picture.clef).toBe('treble');
    const h = heads(picture.svg);
    expect(position(h[0]?.y ?? 0)).toBe(2);
    const bottomLineE4 = 4 * 7 + 2;
    h.forEach((x, i) => expect(position(x.y)).toBe(diatonic(formatEvent(nabiya.events[i] as MelodyEvent)) - bottomLineE4));
  });

  it('draws 2/4 bar lines: 16 bars, four to a line, a time signature on the first line only', () => {
    expect(picture.lines).toBe(4);
    expect(tags(picture.svg, 'class="barline final"')).toHaveLength(1);
    expect(tags(picture.svg, 'class="barline"')).toHaveLength(16); // 15 between bars + the final's thin line
    const perLine = [0, 1, 2, 3].map((line) => heads(picture.svg).filter((x) => x.line === line).length);
    expect(perLine).toEqual([13, 14, 14, 13]);
    const time = tags(picture.svg, 'class="time"');
    expect(time.map((t) => attributes(t).get('href'))).toEqual(['#g-2', '#g-4']);
    expect(tags(picture.svg, 'class="clef"')).toHaveLength(4);
  });

  it('beams eighths by the beat and leaves quarters alone', () => {
    // Per bar of 나비야: pairs of eighths are beamed; there are no flags at all.
    expect(tags(picture.svg, 'class="flag"')).toHaveLength(0);
    const beams = tags(picture.svg, 'class="beam"').length;
    const pairs = nabiya.events.filter((e) => e.duration.value === 8).length / 2;
    expect(beams).toBe(pairs);
  });
});

describe('renderStaff: notation details', () => {
  it('places notes of every octave on their line or space, with ledger lines', () => {
    const tokens = 'c4 e4 g4 b4 d5:4 f5:4 a5:4 c6:4 e6:4 a3:4 f3:4 c3:4 g5:4 c2:4 c7:4';
    const svg = staffSvg(melody(tokens), { clef: 'treble' }).svg;
    const h = heads(svg);
    expect(h.map((x) => x.token)).toEqual(parseTokens(tokens).events.map(formatEvent));
    const expected = tokens.split(' ').map((t) => diatonic(t) - (4 * 7 + 2));
    expect(h.map((x) => position(x.y))).toEqual(expected);
    // Ledger lines: one per line between the staff and the note.
    const ledgerCount = expected.reduce((sum, p) => sum + (p <= -2 ? Math.floor(-p / 2) : p >= 10 ? Math.floor((p - 8) / 2) : 0), 0);
    const ledgerPath = tags(svg, 'class="ledger"').map((t) => attributes(t).get('d') ?? '').join('');
    expect((ledgerPath.match(/M/g) ?? []).length).toBe(ledgerCount);
    expect(ledgerCount).toBe(1 + 0 + 0 + 0 + 0 + 0 + 1 + 2 + 3 + 2 + 3 + 4 + 0 + 8 + 5);
  });

  it('chooses the bass clef for a low melody, with G2 on its bottom line', () => {
    const low = melody('c3:4 e3:8 g3:8 c3:2 g2:4 b2:4 d3:2 a2:8 f2:8 e2:4 c2:2', { timeSignature: { beats: 4, beatValue: 4 } });
    const score = staffSvg(low);
    expect(score.clef).toBe('bass');
    const h = heads(score.svg);
    const bottomLineG2 = 2 * 7 + 4;
    expect(h.map((x) => position(x.y))).toEqual(low.events.map((e) => diatonic(formatEvent(e)) - bottomLineG2));
    expect(staffSvg(nabiya).clef).toBe('treble');
  });

  it('shows an accidental when the pitch differs from what the bar holds so far', () => {
    const m = melody('f#8 f#8 f8 f#8 | f8 f8 bb8 b8 | b8 b4 c#5:8', { timeSignature: { beats: 2, beatValue: 4 }, key: 'C' });
    const groups = eventGroups(staffSvg(m).svg);
    const shown = [...groups.keys()].sort((a, b) => a - b).map((i) => /href="#g-accidentals-(\w+)"[^>]*class="accidental"/.exec(groups.get(i) ?? '')?.[1] ?? '-');
    expect(shown).toEqual(['sharp', '-', 'nat', 'sharp', '-', '-', 'flat', 'nat', '-', '-', 'sharp']);
  });

  it('reads accidentals against the key signature', () => {
    expect(keyFifths('D')).toBe(2);
    expect(keyFifths('Bb')).toBe(-2);
    expect(keyFifths('F#m')).toBe(3);
    expect(keyFifths('Ador')).toBe(-2 + 3);
    expect(keyFifths('exp _b')).toBe(0);
    const ode = getSong('ode-to-joy').melody; // D major: f# and c# come from the key
    const svg = staffSvg(ode).svg;
    expect(tags(svg, 'class="accidental"')).toHaveLength(0);
    expect(tags(svg, 'class="key"').length).toBe(2 * staffSvg(ode).lines);
    // An F natural in D major needs its natural sign; the next F in the bar does not.
    const m = melody('f4 f4 f#4 d4', { timeSignature: { beats: 4, beatValue: 4 }, key: 'D' });
    const groups = eventGroups(staffSvg(m).svg);
    expect([0, 1, 2, 3].map((i) => /accidentals-(\w+)/.exec(groups.get(i) ?? '')?.[1] ?? '-')).toEqual(['nat', '-', 'sharp', '-']);
  });

  it('draws rests of every duration (dotted too) and no bar lines without a time signature', () => {
    const m = melody('r1 r2 r4 r8 r16 r4. r8. g4 r2.');
    const svg = staffSvg(m).svg;
    const h = heads(svg);
    expect(h.map((x) => x.token)).toEqual(m.events.map(formatEvent));
    expect(h.filter((x) => x.kind === 'rest').map((x) => x.glyph)).toEqual([
      '#g-rests-whole', '#g-rests-half', '#g-rests-quarter', '#g-rests-8th', '#g-rests-16th', '#g-rests-quarter', '#g-rests-8th', '#g-rests-half',
    ]);
    expect(tags(svg, 'class="dot"')).toHaveLength(3);
    expect(tags(svg, 'class="barline"')).toHaveLength(1); // only the final bar line's thin stroke
    expect(tags(svg, 'class="time"')).toHaveLength(0);
  });

  it('ties a note that crosses a bar line, keeping one token per note', () => {
    const m = melody('c4 c2 c4', { timeSignature: { beats: 2, beatValue: 4 } });
    const svg = staffSvg(m).svg;
    expect(heads(svg).map((x) => x.token)).toEqual(['c4', 'c2', 'c4']);
    expect(tags(svg, 'data-continues="1"')).toHaveLength(1);
    expect(tags(svg, 'class="tie"')).toHaveLength(1);
  });

  it('breaks lines by width when bars are wide, and keeps every note inside the picture', () => {
    const bar = 'c5:16 d5:16 e5:16 f5:16 g5:16 a5:16 b5:16 c6:16 b5:16 a5:16 g5:16 f5:16 e5:16 d5:16 c5:16 b16';
    const m = melody([bar, bar, bar, bar].join(' | '), { timeSignature: { beats: 4, beatValue: 4 } });
    const score = staffSvg(m, { width: 1200 });
    expect(score.lines).toBe(4);
    for (const h of heads(score.svg)) {
      expect(h.x).toBeGreaterThan(24);
      expect(h.x).toBeLessThan(1200 - 24);
    }
    // Sixteenths come in fours under two beams each: one beam path per group.
    expect(tags(score.svg, 'class="beam"')).toHaveLength(16);
  });

  it('escapes the title and cuts long ones to the width', () => {
    const svg = staffSvg(melody('c4 d4'), { title: '<script>alert("x")</script> & '.repeat(20) }).svg;
    expect(svg).not.toContain('<script>');
    const title = /<text[^>]*class="title"[^>]*>([^<]*)<\/text>/.exec(svg)?.[1] ?? '';
    expect(title).toContain('&#60;script&#62;');
    expect(title.endsWith('…')).toBe(true);
  });

  it('stops after maxLines lines and says how much it left out', () => {
    const long: Melody = { ...nabiya, events: Array.from({ length: 10 }, () => nabiya.events).flat() };
    const score = staffSvg(long);
    expect(score.lines).toBe(12);
    expect(score.truncated).toBe(true);
    const shown = heads(score.svg).map((x) => x.token);
    expect(shown).toEqual(long.events.slice(0, shown.length).map(formatEvent));
    expect(score.svg).toContain(`first ${shown.length} of 540 notes shown`);
    expect(staffSvg(long, { maxLines: 100 }).lines).toBe(40);
  });

  it('sets Hangul and Latin text with the bundled fonts (no system fonts are loaded)', () => {
    // Same score, with and without a title: the title band gets ink only if the glyphs render.
    const band = { fromRow: 0, toRow: 64 };
    const korean = countPixels(renderStaff(melody('c4'), { title: '나비야 나비야', subtitle: '' }).png, band).ink;
    const latin = countPixels(renderStaff(melody('c4'), { title: 'Butterfly', subtitle: '' }).png, band).ink;
    const none = countPixels(renderStaff(melody('c4'), { title: ' ', subtitle: '' }).png, band).ink; // same layout, no glyphs
    expect(none).toBe(0);
    expect(korean).toBeGreaterThan(300);
    expect(latin).toBeGreaterThan(300);
  });

  it('draws an empty melody as an empty staff without failing', () => {
    const picture = renderStaff({ events: [], title: 'empty' });
    expect(heads(picture.svg)).toHaveLength(0);
    expect(pngSize(picture.png).width).toBe(1200);
  });
});

describe('renderComparison', () => {
  const original = nabiya;
  const predictedEvents = nabiya.events.map((e, i) => (i === 10 ? one('a8') : i === 22 ? one('e4') : i === 40 ? one('d8') : e));
  const comparison = compareEvents(original.events.slice(4), predictedEvents.slice(4), 4);

  it('marks exactly the wrong notes in red, boxed in red, and only them', () => {
    expect(comparison.wrong.map((w) => w.index)).toEqual([10, 22, 40]);
    const picture = renderComparison(original, predictedEvents, comparison.wrong, { given: 4 });
    const svg = picture.svg;
    const h = heads(svg);
    expect(h.filter((x) => x.voice === 'original').map((x) => x.token)).toEqual(original.events.map(formatEvent));
    expect(h.filter((x) => x.voice === 'predicted').map((x) => x.token)).toEqual(predictedEvents.map(formatEvent));
    expect(h.filter((x) => x.wrong).map((x) => [x.voice, x.index])).toEqual([['predicted', 10], ['predicted', 22], ['predicted', 40]]);
    const boxes = tags(svg, 'class="wrong-box"').map((t) => attributes(t));
    expect(boxes.map((b) => [b.get('data-voice'), Number(b.get('data-index'))])).toEqual([['predicted', 10], ['predicted', 22], ['predicted', 40]]);
    // Each box surrounds its note's head.
    for (const b of boxes) {
      const head = h.find((x) => x.voice === 'predicted' && x.index === Number(b.get('data-index')));
      const x = Number(b.get('x'));
      const y = Number(b.get('y'));
      expect(head && head.x > x && head.x < x + Number(b.get('width'))).toBe(true);
      expect(head && head.y > y && head.y < y + Number(b.get('height'))).toBe(true);
    }
    // Red appears on the wrong notes' groups, their boxes and the caption's sample box: nowhere else.
    const red = tags(svg, WRONG_COLOR);
    const groups = red.filter((t) => t.startsWith('<g class="event"'));
    expect(groups).toHaveLength(3);
    expect(red.filter((t) => t.includes('class="wrong-box"'))).toHaveLength(3);
    expect(red.filter((t) => t.includes('class="legend-wrong"'))).toHaveLength(1);
    expect(red).toHaveLength(3 + 3 + 1);
    const redGroups = [...eventGroups(svg, 'predicted').entries()].filter(([, body]) => /data-wrong="true"/.test(body)).map(([i]) => i);
    expect(redGroups).toEqual([10, 22, 40]);
    expect(countPixels(picture.png).red).toBeGreaterThan(300);
  });

  it('aligns the two staves in time: same onsets, same x', () => {
    const svg = comparisonSvg(original, predictedEvents, comparison.wrong).svg;
    const h = heads(svg);
    const orig = h.filter((x) => x.voice === 'original');
    const pred = h.filter((x) => x.voice === 'predicted');
    // Up to index 22 both melodies have the same rhythm, so their notes stand in the same columns.
    for (let i = 0; i <= 22; i++) expect(pred[i]?.x).toBe(orig[i]?.x);
  });

  it('shows no red at all for a perfect completion', () => {
    const perfect = compareEvents(original.events.slice(4), original.events.slice(4), 4);
    expect(perfect.wrong).toHaveLength(0);
    const picture = renderComparison(original, original, perfect.wrong, { given: 4 });
    expect(picture.svg).not.toContain(WRONG_COLOR);
    expect(heads(picture.svg).some((x) => x.wrong)).toBe(false);
    expect(countPixels(picture.png).red).toBe(0);
    expect(picture.svg).toContain('no wrong notes');
  });

  it('ignores wrong-note indices outside the prediction', () => {
    const svg = comparisonSvg(original, predictedEvents.slice(0, 20), [{ index: 10, expected: 'g8', got: 'a8' }, { index: 99, expected: 'c4', got: 'd4' }]).svg;
    expect(tags(svg, 'class="wrong-box"')).toHaveLength(1);
  });
});
