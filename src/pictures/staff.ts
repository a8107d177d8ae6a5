// Staff notation drawn by hand in SVG: a melody as a score, or a predicted melody under the
// original with its wrong notes in red and boxed in red, as the tutorial's figures show them.
//
// Engraving, in order: events become pieces (a note or rest crossing a bar line is split into
// tied notes, or rests, spelled in plain note values); accidentals are decided per bar against the
// key signature; pieces of every staff that start at the same time share a column, so the
// original and the prediction line up; columns are spaced by the time to the next one; bars are
// packed into lines (at most `barsPerLine`, fewer when they do not fit the width; a bar wider than
// a line is split) and every line but the last is justified; then each staff of each line is drawn
// (clef, key and — on the first line — time signature, ledger lines, heads, stems, flags or beams,
// dots, accidentals, ties, rests, bar lines) and the lines are stacked under the title.
//
// Every note head and rest carries data-voice, data-index (position in its melody), data-token
// (formatEvent) and data-wrong, so tests and tools can read the score back from the SVG.

import type { WrongNote } from '../learning/compare.ts';
import { STEPS, quarterLength } from '../music/melody.ts';
import type { Alter, Melody, MelodyEvent, NoteValue, Step, TimeSignature } from '../music/melody.ts';
import { formatEvent } from '../music/token.ts';
import { fitText, textWidth } from './font.ts';
import { GLYPHS, GLYPH_SPACE } from './glyphs.ts';
import type { GlyphName } from './glyphs.ts';
import { esc, n, renderPng, svgOpen, text } from './svg.ts';
import type { Picture } from './svg.ts';

/** Colour of wrong notes and of the boxes around them; used for nothing else. */
export const WRONG_COLOR = '#d62728';
const INK = '#111111';
const MUTED = '#666666';
const GIVEN_FILL = '#e8eef6';

export type Clef = 'treble' | 'bass';

export interface StaffOptions {
  /** Heading; the melody's title unless given ('' for none). */
  readonly title?: string;
  /** Second heading line; the note count, metre and tempo unless given ('' for none). */
  readonly subtitle?: string;
  /** Picture width in px (default 1200). */
  readonly width?: number;
  /** 'auto' (default): bass when the melody lies low enough to need fewer ledger lines there. */
  readonly clef?: Clef | 'auto';
  /** Most bars on one line (default 4); fewer when they do not fit the width. */
  readonly barsPerLine?: number;
  /** Most lines drawn (default 12; 8 for a comparison); past them the picture says how many notes it left out. */
  readonly maxLines?: number;
  /** Distance between staff lines in px (default 16). */
  readonly staffSpace?: number;
}

export interface ComparisonOptions extends StaffOptions {
  /** How many leading notes were given to the model as its start; shaded on the prediction's staff. */
  readonly given?: number;
  /** Staff names (default "original" and "predicted"). */
  readonly originalLabel?: string;
  readonly predictedLabel?: string;
}

export interface StaffPicture extends Picture {
  readonly clef: Clef;
  /** Lines (systems) drawn. */
  readonly lines: number;
  /** True when maxLines cut the score short. */
  readonly truncated: boolean;
}

// ---------------------------------------------------------------------------------------------
// Music → pieces

const EPS = 1e-6;

interface DrawValue {
  readonly value: NoteValue;
  readonly dotted: boolean;
}

/** Lengths (in quarters) that one symbol can show, longest first. */
const SPELLINGS: readonly { readonly length: number; readonly drawn: DrawValue }[] = [
  { length: 6, drawn: { value: 1, dotted: true } },
  { length: 4, drawn: { value: 1, dotted: false } },
  { length: 3, drawn: { value: 2, dotted: true } },
  { length: 2, drawn: { value: 2, dotted: false } },
  { length: 1.5, drawn: { value: 4, dotted: true } },
  { length: 1, drawn: { value: 4, dotted: false } },
  { length: 0.75, drawn: { value: 8, dotted: true } },
  { length: 0.5, drawn: { value: 8, dotted: false } },
  { length: 0.375, drawn: { value: 16, dotted: true } },
  { length: 0.25, drawn: { value: 16, dotted: false } },
];

function spell(length: number): DrawValue[] | null {
  const out: DrawValue[] = [];
  let left = length;
  while (left > EPS) {
    const s = SPELLINGS.find((c) => c.length <= left + EPS);
    if (!s) return null;
    out.push(s.drawn);
    left -= s.length;
  }
  return out;
}

interface Piece {
  readonly voice: number;
  /** Position of its event in the voice's melody. */
  readonly index: number;
  readonly event: MelodyEvent;
  readonly token: string;
  readonly start: number;
  readonly length: number;
  readonly drawn: DrawValue;
  /** First piece of its event: the one that carries the event's data attributes and accidental. */
  readonly first: boolean;
  /** Last piece of its event; a note piece that is not the last is tied to the next one. */
  readonly last: boolean;
  readonly bar: number;
  /** Staff position: 0 = bottom line, 8 = top line (notes only). */
  readonly position: number;
  readonly wrong: boolean;
  accidental: Alter | null;
  /** Head's left edge, set by the layout. */
  x: number;
  line: number;
}

interface Voice {
  readonly name: string;
  readonly events: readonly MelodyEvent[];
  readonly wrong: ReadonlySet<number>;
  readonly label?: string;
  readonly given: number;
}

function diatonic(step: Step, octave: number): number {
  return octave * 7 + STEPS.indexOf(step);
}

/** Staff position of the bottom line's pitch: E4 in treble, G2 in bass. */
const CLEF_BOTTOM: Readonly<Record<Clef, number>> = { treble: diatonic('e', 4), bass: diatonic('g', 2) };

function piecesOf(voice: Voice, voiceIndex: number, barLength: number, clef: Clef): Piece[] {
  const pieces: Piece[] = [];
  let time = 0;
  voice.events.forEach((event, index) => {
    const total = quarterLength(event.duration);
    const token = formatEvent(event);
    const position = event.kind === 'note' ? diatonic(event.pitch.step, event.pitch.octave) - CLEF_BOTTOM[clef] : 4;
    const wrong = voice.wrong.has(index);
    // Split at bar lines into spellable parts; a length no plain value can show stays whole.
    let parts: { start: number; drawn: DrawValue; length: number }[] | null = [];
    if (Number.isFinite(barLength)) {
      let t = time;
      let left = total;
      while (left > EPS && parts) {
        const barEnd = (Math.floor(t / barLength + EPS) + 1) * barLength;
        const chunk = Math.min(left, barEnd - t);
        const spelled = chunk === total ? [event.duration] : spell(chunk);
        if (!spelled) parts = null;
        else {
          let s = t;
          for (const drawn of spelled) {
            const length = quarterLength(drawn);
            parts.push({ start: s, drawn, length });
            s += length;
          }
        }
        t += chunk;
        left -= chunk;
      }
    }
    if (!parts || parts.length === 0) parts = [{ start: time, drawn: event.duration, length: total }];
    parts.forEach((part, k) => {
      pieces.push({
        voice: voiceIndex,
        index,
        event,
        token,
        start: part.start,
        length: part.length,
        drawn: part.drawn,
        first: k === 0,
        last: k === (parts?.length ?? 1) - 1,
        bar: Number.isFinite(barLength) ? Math.floor(part.start / barLength + EPS) : 0,
        position,
        wrong,
        accidental: null,
        x: 0,
        line: 0,
      });
    });
    time += total;
  });
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Keys and accidentals

const TONIC_FIFTHS: Readonly<Record<string, number>> = { c: 0, g: 1, d: 2, a: 3, e: 4, b: 5, f: -1 };
const MODE_FIFTHS: Readonly<Record<string, number>> = {
  '': 0, maj: 0, ion: 0, major: 0, m: -3, min: -3, minor: -3, aeo: -3, mix: -1, dor: -2, phr: -4, loc: -5, lyd: 1,
};
const SHARP_ORDER: readonly Step[] = ['f', 'c', 'g', 'd', 'a', 'e', 'b'];

/** Sharps (+) or flats (−) of a key as ABC writes it ("G", "Dm", "Bb", "F#m", "Ador"); 0 if unknown. */
export function keyFifths(key: string | undefined): number {
  if (!key) return 0;
  const m = /^\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)/.exec(key);
  if (!m) return 0;
  const [, tonic = 'c', accidental = '', modeText = ''] = m;
  const mode = modeText.toLowerCase();
  const modeFifths = MODE_FIFTHS[mode] ?? MODE_FIFTHS[mode.slice(0, 3)];
  if (modeFifths === undefined) return 0;
  const fifths = (TONIC_FIFTHS[tonic.toLowerCase()] ?? 0) + (accidental === '#' ? 7 : accidental === 'b' ? -7 : 0) + modeFifths;
  return Math.abs(fifths) <= 7 ? fifths : 0;
}

function keyAlters(fifths: number): Record<Step, Alter> {
  const alters: Record<Step, Alter> = { c: 0, d: 0, e: 0, f: 0, g: 0, a: 0, b: 0 };
  if (fifths > 0) for (const s of SHARP_ORDER.slice(0, fifths)) alters[s] = 1;
  if (fifths < 0) for (const s of [...SHARP_ORDER].reverse().slice(0, -fifths)) alters[s] = -1;
  return alters;
}

/**
 * Decides which notes show an accidental. With bar lines, as in a score: an accidental is shown
 * when the pitch differs from what its line or space holds so far in the bar (the key signature,
 * or an earlier accidental in the bar); tied continuations show none. Without bar lines an
 * accidental belongs to its note alone: shown whenever the note differs from the key, plus a
 * natural when the same line or space last held something else.
 */
function assignAccidentals(pieces: Piece[], alters: Record<Step, Alter>, bars: boolean): void {
  let bar = -1;
  const state = new Map<string, Alter>();
  for (const p of pieces) {
    if (p.event.kind !== 'note' || !p.first) continue;
    const { step, octave, alter } = p.event.pitch;
    const slot = `${step}${octave}`;
    if (bars) {
      if (p.bar !== bar) {
        state.clear();
        bar = p.bar;
      }
      if (alter !== (state.get(slot) ?? alters[step])) p.accidental = alter;
    } else {
      const previous = state.get(slot);
      if (alter !== alters[step] || (previous !== undefined && previous !== alter)) p.accidental = alter;
    }
    state.set(slot, alter);
  }
}

const ACCIDENTAL_GLYPH: Readonly<Record<Alter, GlyphName>> = {
  [-2]: 'accidentals.dblflat',
  [-1]: 'accidentals.flat',
  0: 'accidentals.nat',
  1: 'accidentals.sharp',
  2: 'accidentals.dblsharp',
};

/** Chooses the clef needing fewer ledger lines; treble unless bass is strictly better. */
function chooseClef(events: readonly MelodyEvent[]): Clef {
  let treble = 0;
  let bass = 0;
  const ledgers = (p: number): number => (p < -1 ? Math.floor(-p / 2) : p > 9 ? Math.floor((p - 8) / 2) : 0);
  for (const e of events) {
    if (e.kind !== 'note') continue;
    const d = diatonic(e.pitch.step, e.pitch.octave);
    treble += ledgers(d - CLEF_BOTTOM.treble);
    bass += ledgers(d - CLEF_BOTTOM.bass);
  }
  return bass < treble ? 'bass' : 'treble';
}

// ---------------------------------------------------------------------------------------------
// Drawing primitives

/** Collects one staff's SVG and the vertical extent of what it drew (y relative to the top line). */
class Canvas {
  readonly parts: string[] = [];
  top = 0;
  bottom = 0;
  readonly k: number;
  readonly used: Set<GlyphName>;

  constructor(k: number, used: Set<GlyphName>, space: number) {
    this.k = k;
    this.used = used;
    this.bottom = 4 * space;
  }

  extend(y0: number, y1: number): void {
    this.top = Math.min(this.top, y0, y1);
    this.bottom = Math.max(this.bottom, y0, y1);
  }

  glyph(name: GlyphName, x: number, y: number, attrs = ''): string {
    const g = GLYPHS[name];
    this.used.add(name);
    this.extend(y + g.box[1] * this.k, y + g.box[3] * this.k);
    return `<use href="#${glyphId(name)}" transform="translate(${n(x)} ${n(y)}) scale(${n4(this.k)})"${attrs ? ` ${attrs}` : ''}/>`;
  }

  add(svg: string): void {
    this.parts.push(svg);
  }
}

function n4(value: number): string {
  return String(Math.round(value * 10000) / 10000);
}

function glyphId(name: GlyphName): string {
  return `g-${name.replace(/\./g, '-')}`;
}

function glyphWidth(name: GlyphName, k: number): number {
  const g = GLYPHS[name];
  return (g.box[2] - g.box[0]) * k;
}

// ---------------------------------------------------------------------------------------------
// Layout

interface Column {
  readonly time: number;
  readonly bar: number;
  /** Pieces starting here, one slot per voice. */
  readonly pieces: (Piece | undefined)[];
  /** Room for accidentals left of the heads (fixed). */
  acc: number;
  /** Room from the heads to the next column (stretchable). */
  adv: number;
  x: number;
}

interface Segment {
  readonly bar: number;
  readonly columns: Column[];
  /** The segment ends its bar (a bar split across lines ends only with its last segment). */
  readonly endsBar: boolean;
  readonly fixed: number;
  readonly stretch: number;
}

interface Line {
  readonly segments: Segment[];
  readonly header: number;
  factor: number;
  /** Staff lines' right end. */
  end: number;
}

interface Geometry {
  readonly space: number;
  readonly k: number;
  readonly headWidth: number;
  readonly stem: number;
  readonly stemWidth: number;
}

/** y of a staff position (0 = bottom line, 8 = top line) relative to the top line. */
function yOf(position: number, space: number): number {
  return ((8 - position) * space) / 2;
}

function headGlyph(value: NoteValue): GlyphName {
  return value === 1 ? 'noteheads.whole' : value === 2 ? 'noteheads.half' : 'noteheads.quarter';
}

const REST_GLYPH: Readonly<Record<NoteValue, GlyphName>> = {
  1: 'rests.whole',
  2: 'rests.half',
  4: 'rests.quarter',
  8: 'rests.8th',
  16: 'rests.16th',
};

function beatGroupLength(ts: TimeSignature | undefined): number {
  if (!ts) return 1;
  const barLength = (ts.beats * 4) / ts.beatValue;
  if (ts.beatValue >= 8 && ts.beats % 3 === 0) return ts.beats === 3 ? barLength : (3 * 4) / ts.beatValue;
  if (ts.beatValue >= 8) return barLength <= 1.5 ? barLength : 1;
  return 4 / Math.min(ts.beatValue, 4);
}

export interface ScoreSvg {
  readonly svg: string;
  readonly clef: Clef;
  readonly lines: number;
  readonly truncated: boolean;
  readonly width: number;
  readonly height: number;
}

function layoutScore(
  voices: readonly Voice[],
  reference: Melody,
  options: StaffOptions & { given?: number },
  kind: 'staff' | 'comparison',
): ScoreSvg {
  const width = Math.round(options.width ?? 1200);
  const S = options.staffSpace ?? 16;
  const k = S / GLYPH_SPACE;
  const geo: Geometry = { space: S, k, headWidth: glyphWidth('noteheads.quarter', k), stem: 3.5 * S, stemWidth: Math.max(1.2, 0.11 * S) };
  const ts = reference.timeSignature;
  const barLength = ts ? (ts.beats * 4) / ts.beatValue : Number.POSITIVE_INFINITY;
  const bars = Number.isFinite(barLength);
  const clef: Clef = options.clef && options.clef !== 'auto' ? options.clef : chooseClef(voices.flatMap((v) => v.events));
  const fifths = keyFifths(reference.key);
  const alters = keyAlters(fifths);
  const barsPerLine = Math.max(1, Math.floor(options.barsPerLine ?? 4));
  const maxLines = Math.max(1, Math.floor(options.maxLines ?? (kind === 'comparison' ? 8 : 12)));

  const pieces = voices.map((v, i) => piecesOf(v, i, barLength, clef));
  for (const list of pieces) assignAccidentals(list, alters, bars);
  const all = pieces.flat();
  const endTime = Math.max(0, ...all.map((p) => p.start + p.length));

  // Columns: pieces of all voices starting at the same time, per bar.
  const byTime = new Map<string, Column>();
  for (const p of all) {
    const key = `${p.bar}:${p.start.toFixed(6)}`;
    let c = byTime.get(key);
    if (!c) {
      c = { time: p.start, bar: p.bar, pieces: voices.map(() => undefined), acc: 0, adv: 0, x: 0 };
      byTime.set(key, c);
    }
    c.pieces[p.voice] = p;
  }
  const columns = [...byTime.values()].sort((a, b) => a.time - b.time || a.bar - b.bar);
  const accidentalGap = 0.25 * S;
  columns.forEach((c, i) => {
    const next = columns[i + 1];
    const barEnd = bars ? (c.bar + 1) * barLength : endTime;
    const until = next && next.bar === c.bar ? next.time : Math.min(barEnd, endTime);
    const dt = Math.max(until - c.time, 0.125);
    let minAdv = geo.headWidth + 0.6 * S;
    for (const p of c.pieces) {
      if (!p) continue;
      let w = p.event.kind === 'rest' ? glyphWidth(REST_GLYPH[p.drawn.value], k) + 0.6 * S : (p.drawn.value === 1 ? glyphWidth('noteheads.whole', k) : geo.headWidth) + 0.6 * S;
      if (p.drawn.dotted) w += 0.9 * S;
      if (p.event.kind === 'note' && p.drawn.value >= 8) w += 0.7 * S; // room for a flag
      minAdv = Math.max(minAdv, w);
      if (p.accidental !== null) c.acc = Math.max(c.acc, glyphWidth(ACCIDENTAL_GLYPH[p.accidental], k) + accidentalGap);
    }
    c.adv = Math.max(S * (1.2 + 2.0 * Math.sqrt(dt)), minAdv);
  });

  // Line header: clef, key signature, and (first line) time signature.
  const clefName: GlyphName = clef === 'treble' ? 'clefs.G' : 'clefs.F';
  const labelWidth = kind === 'comparison' ? Math.max(...voices.map((v) => textWidth(v.label ?? '', 14))) + 16 : 0;
  const left = 24 + labelWidth;
  const right = width - 24;
  const clefWidth = 0.5 * S + glyphWidth(clefName, k) + 0.6 * S;
  const keyWidth = fifths === 0 ? 0 : Math.abs(fifths) * (fifths > 0 ? 1.05 : 0.95) * S + 0.6 * S;
  const tsText = ts ? [String(ts.beats), String(ts.beatValue)] : [];
  const tsWidth = ts ? Math.max(...tsText.map((t) => digitsWidth(t, k))) + 1.0 * S : 0;
  const barPad = 1.0 * S;
  const headerOf = (first: boolean): number => clefWidth + keyWidth + (first ? tsWidth : 0);
  const available = (first: boolean): number => right - left - headerOf(first);

  // Segments: whole bars, or pieces of a bar too wide for a line.
  const segments: Segment[] = [];
  const barsInOrder = new Map<number, Column[]>();
  for (const c of columns) {
    const list = barsInOrder.get(c.bar) ?? [];
    list.push(c);
    barsInOrder.set(c.bar, list);
  }
  const limit = available(true);
  for (const [bar, cols] of [...barsInOrder.entries()].sort((a, b) => a[0] - b[0])) {
    let current: Column[] = [];
    let fixed = 0;
    let stretch = barPad;
    const flush = (endsBar: boolean): void => {
      if (current.length > 0) segments.push({ bar, columns: current, endsBar, fixed, stretch });
      current = [];
      fixed = 0;
      stretch = barPad;
    };
    for (const c of cols) {
      if (current.length > 0 && fixed + stretch + c.acc + c.adv > limit) flush(false);
      current.push(c);
      fixed += c.acc;
      stretch += c.adv;
    }
    flush(true);
  }

  // Lines: greedy, at most barsPerLine bars, within the width.
  const lines: Line[] = [];
  let open: Segment[] = [];
  let openWidth = 0;
  const close = (): void => {
    if (open.length > 0) lines.push({ segments: open, header: headerOf(lines.length === 0), factor: 1, end: right });
    open = [];
    openWidth = 0;
  };
  for (const s of segments) {
    const barsOpen = open.filter((o) => o.endsBar).length;
    if (open.length > 0 && (openWidth + s.fixed + s.stretch > available(lines.length === 0) || barsOpen >= barsPerLine || !open[open.length - 1]?.endsBar)) close();
    open.push(s);
    openWidth += s.fixed + s.stretch;
  }
  close();

  // Justify every line but the last; the last keeps the density of the one before it.
  let previousFactor = 1.6;
  lines.forEach((line, i) => {
    const fixed = line.segments.reduce((sum, s) => sum + s.fixed, 0);
    const stretch = line.segments.reduce((sum, s) => sum + s.stretch, 0);
    const need = stretch > 0 ? (right - left - line.header - fixed) / stretch : 1;
    const isLast = i === lines.length - 1;
    // A last line that would come out at least 80% full is justified like the others.
    line.factor = isLast && need > previousFactor * 1.25 ? previousFactor : Math.max(need, 0.5);
    if (!isLast) previousFactor = line.factor;
  });

  const shown = lines.slice(0, maxLines);
  const truncated = shown.length < lines.length;

  // x positions.
  shown.forEach((line, li) => {
    let x = left + line.header;
    for (const s of line.segments) {
      x += barPad * line.factor;
      for (const c of s.columns) {
        x += c.acc;
        c.x = x;
        for (const p of c.pieces) if (p) {
          p.x = x;
          p.line = li;
        }
        x += c.adv * line.factor;
      }
    }
    line.end = Math.min(right, x);
    if (li < shown.length - 1 || truncated) line.end = right;
  });
  const shownPieces = new Set(shown.flatMap((l) => l.segments.flatMap((s) => s.columns.flatMap((c) => c.pieces.filter((p): p is Piece => p !== undefined)))));

  // Draw each line's staves.
  const used = new Set<GlyphName>();
  const title = options.title ?? reference.title ?? '';
  const subtitle = options.subtitle ?? defaultSubtitle(reference, voices);
  let y = 24;
  const head: string[] = [];
  if (title) {
    y += 30;
    head.push(text(width / 2, y, fitText(title, 28, width - 48), { size: 28, anchor: 'middle', fill: INK, attrs: 'class="title"' }));
  }
  if (subtitle) {
    y += 26;
    head.push(text(width / 2, y, fitText(subtitle, 15, width - 48), { size: 15, anchor: 'middle', fill: MUTED, attrs: 'class="subtitle"' }));
  }
  y += 18;

  const body: string[] = [];
  shown.forEach((line, li) => {
    const staves = voices.map((voice, vi) => {
      const canvas = new Canvas(k, used, S);
      drawStaff(canvas, {
        line,
        lineIndex: li,
        first: li === 0,
        last: li === lines.length - 1,
        voice,
        pieces: (pieces[vi] ?? []).filter((p) => shownPieces.has(p) && p.line === li),
        allPieces: pieces[vi] ?? [],
        geo,
        clef,
        clefName,
        fifths,
        ts,
        tsText,
        left,
        barPad,
        beatGroup: beatGroupLength(ts),
        barLength,
        kind,
      });
      return canvas;
    });
    const tops: number[] = [];
    staves.forEach((canvas, si) => {
      y += -canvas.top + (si === 0 ? 0.5 * S : 0.6 * S);
      tops.push(y);
      const voice = voices[si];
      const label = kind === 'comparison' && voice?.label ? text(left - 12, 2 * S + 5, voice.label, { size: 14, anchor: 'end', fill: MUTED, attrs: 'class="staff-label"' }) : '';
      body.push(`<g class="staff" data-voice="${esc(voice?.name ?? '')}" data-line="${li}" transform="translate(0 ${n(y)})">${label}${canvas.parts.join('')}</g>`);
      y += canvas.bottom;
    });
    if (staves.length > 1) {
      const t0 = tops[0] ?? 0;
      const t1 = (tops[tops.length - 1] ?? 0) + 4 * S;
      body.push(`<line x1="${n(left)}" y1="${n(t0)}" x2="${n(left)}" y2="${n(t1)}" stroke="${INK}" stroke-width="${n(geo.stemWidth * 1.4)}"/>`);
    }
    y += (staves.length > 1 ? 2.6 : 1.6) * S;
  });

  // Caption: what the marks mean, and what was left out.
  const captions: string[] = [];
  let cx = left;
  const capY = y + 8;
  const wrongCount = voices.reduce((sum, v) => sum + v.wrong.size, 0);
  if (kind === 'comparison') {
    const predicted = voices[1];
    if (wrongCount > 0) {
      captions.push(`<rect class="legend-wrong" x="${n(cx)}" y="${n(capY - 13)}" width="16" height="16" rx="2" fill="none" stroke="${WRONG_COLOR}" stroke-width="2"/>`);
      cx += 24;
      const label = `wrong note${wrongCount === 1 ? '' : 's'}: ${wrongCount} of ${Math.max(0, (predicted?.events.length ?? 0) - (predicted?.given ?? 0))}`;
      captions.push(text(cx, capY, label, { size: 15, fill: INK }));
      cx += textWidth(label, 15) + 28;
    } else {
      const label = 'no wrong notes';
      captions.push(text(cx, capY, label, { size: 15, fill: INK }));
      cx += textWidth(label, 15) + 28;
    }
    if ((predicted?.given ?? 0) > 0) {
      captions.push(`<rect x="${n(cx)}" y="${n(capY - 13)}" width="16" height="16" fill="${GIVEN_FILL}"/>`);
      cx += 24;
      const label = `the ${predicted?.given} notes given to start it`;
      captions.push(text(cx, capY, label, { size: 15, fill: INK }));
      cx += textWidth(label, 15) + 28;
    }
  }
  if (truncated) {
    const drawn = Math.max(...voices.map((_, vi) => (pieces[vi] ?? []).filter((p) => shownPieces.has(p) && p.first).length));
    const total = Math.max(...voices.map((v) => v.events.length));
    captions.push(text(cx, capY, `first ${drawn} of ${total} notes shown`, { size: 15, fill: MUTED, attrs: 'class="truncated"' }));
  }
  if (captions.length > 0) y = capY + 16;
  const height = Math.ceil(y + 8);

  const defs = [...used].map((name) => `<path id="${glyphId(name)}" d="${GLYPHS[name].d}"/>`).join('');
  const svg =
    svgOpen(width, height, `data-clef="${clef}" data-lines="${shown.length}" data-truncated="${truncated}"`) +
    `<defs>${defs}</defs>` +
    head.join('') +
    body.join('') +
    captions.join('') +
    '</svg>';
  return { svg, clef, lines: shown.length, truncated, width, height };
}

function digitsWidth(textValue: string, k: number): number {
  let w = 0;
  for (const ch of textValue) w += GLYPHS[ch as GlyphName]?.w ?? 10;
  return w * k;
}

function defaultSubtitle(melody: Melody, voices: readonly Voice[]): string {
  const parts: string[] = [];
  const count = Math.max(...voices.map((v) => v.events.length));
  parts.push(`${count} note${count === 1 ? '' : 's'}`);
  if (melody.timeSignature) parts.push(`${melody.timeSignature.beats}/${melody.timeSignature.beatValue}`);
  if (melody.key) parts.push(`key ${melody.key}`);
  if (melody.tempo) parts.push(`♩ = ${Math.round(melody.tempo)}`);
  return parts.join(' · ');
}

interface StaffJob {
  readonly line: Line;
  readonly lineIndex: number;
  readonly first: boolean;
  readonly last: boolean;
  readonly voice: Voice;
  readonly pieces: Piece[];
  readonly allPieces: Piece[];
  readonly geo: Geometry;
  readonly clef: Clef;
  readonly clefName: GlyphName;
  readonly fifths: number;
  readonly ts: TimeSignature | undefined;
  readonly tsText: readonly string[];
  readonly left: number;
  readonly barPad: number;
  readonly beatGroup: number;
  readonly barLength: number;
  readonly kind: 'staff' | 'comparison';
}

/** Key signature positions in treble (bass is two steps lower). */
const SHARP_POSITIONS = [8, 5, 9, 6, 3, 7, 4];
const FLAT_POSITIONS = [4, 7, 3, 6, 2, 5, 1];

interface Stemmed {
  readonly piece: Piece;
  up: boolean;
  stemX: number;
  stemEnd: number;
  beamed: boolean;
}

function drawStaff(c: Canvas, job: StaffJob): void {
  const { geo, line, left } = job;
  const S = geo.space;
  const k = geo.k;
  const y = (p: number): number => yOf(p, S);
  const clefShift = job.clef === 'bass' ? -2 : 0;

  // Shading behind the notes given to the model (behind everything else).
  if (job.voice.given > 0) {
    const given = job.pieces.filter((p) => p.index < job.voice.given);
    if (given.length > 0) {
      const x0 = Math.min(...given.map((p) => p.x - (p.accidental !== null ? glyphWidth(ACCIDENTAL_GLYPH[p.accidental], k) + 0.25 * S : 0))) - 0.4 * S;
      const x1 = Math.max(...given.map((p) => p.x + geo.headWidth + (p.drawn.dotted ? 0.9 * S : 0))) + 0.5 * S;
      c.add(`<rect class="given" x="${n(x0)}" y="${n(-1.5 * S)}" width="${n(x1 - x0)}" height="${n(7 * S)}" rx="4" fill="${GIVEN_FILL}"/>`);
    }
  }

  // Staff lines.
  const lines: string[] = [];
  for (let i = 0; i < 5; i++) lines.push(`M${n(left)} ${n(i * S)}H${n(line.end)}`);
  c.add(`<path class="staff-lines" d="${lines.join('')}" stroke="${INK}" stroke-width="${n(Math.max(1, 0.08 * S))}" fill="none"/>`);

  // Clef, key signature, time signature.
  let x = left + 0.5 * S;
  const clefY = job.clef === 'treble' ? y(2) : y(6);
  c.add(c.glyph(job.clefName, x, clefY, 'class="clef"'));
  x = left + 0.5 * S + glyphWidth(job.clefName, k) + 0.6 * S;
  if (job.fifths !== 0) {
    const name: GlyphName = job.fifths > 0 ? 'accidentals.sharp' : 'accidentals.flat';
    const positions = job.fifths > 0 ? SHARP_POSITIONS : FLAT_POSITIONS;
    const step = (job.fifths > 0 ? 1.05 : 0.95) * S;
    for (let i = 0; i < Math.abs(job.fifths); i++) c.add(c.glyph(name, x + i * step, y((positions[i] ?? 4) + clefShift), 'class="key"'));
    x += Math.abs(job.fifths) * step + 0.6 * S;
  }
  if (job.first && job.ts) {
    const [top = '', bottom = ''] = job.tsText;
    const w = Math.max(digitsWidth(top, k), digitsWidth(bottom, k));
    const draw = (digits: string, baseline: number): void => {
      let dx = x + (w - digitsWidth(digits, k)) / 2;
      for (const ch of digits) {
        const name = ch as GlyphName;
        c.add(c.glyph(name, dx, baseline, 'class="time"'));
        dx += GLYPHS[name].w * k;
      }
    };
    draw(top, y(4));
    draw(bottom, y(0));
  }

  // Bar lines: after every segment that ends a bar; the end of the music gets a final bar line.
  const staffLineWidth = Math.max(1, 0.1 * S);
  const finalBar = job.last;
  line.segments.forEach((s, si) => {
    if (!s.endsBar) return;
    const lastColumn = s.columns[s.columns.length - 1];
    if (!lastColumn) return;
    const next = line.segments[si + 1]?.columns[0];
    const bx = next ? next.x - next.acc - job.barPad * line.factor : line.end;
    const isFinal = finalBar && si === line.segments.length - 1;
    if (!Number.isFinite(job.barLength) && !isFinal) return; // no time signature: no bar lines
    if (isFinal) {
      c.add(`<rect class="barline final" x="${n(bx - 0.5 * S)}" y="0" width="${n(0.5 * S)}" height="${n(4 * S)}" fill="${INK}"/>`);
      c.add(`<rect class="barline" x="${n(bx - 1.1 * S)}" y="0" width="${n(staffLineWidth * 1.3)}" height="${n(4 * S)}" fill="${INK}"/>`);
    } else {
      c.add(`<rect class="barline" x="${n(bx - staffLineWidth * 0.65)}" y="0" width="${n(staffLineWidth * 1.3)}" height="${n(4 * S)}" fill="${INK}"/>`);
    }
  });

  // Stems and beams: beat groups of eighths and shorter, within a line; single notes get flags.
  const notes = job.pieces.filter((p) => p.event.kind === 'note' && p.drawn.value !== 1);
  const stems = new Map<Piece, Stemmed>();
  const groups: Piece[][] = [];
  let group: Piece[] = [];
  let groupKey = '';
  for (const p of job.pieces) {
    const beamable = p.event.kind === 'note' && p.drawn.value >= 8;
    const barStart = Number.isFinite(job.barLength) ? p.bar * job.barLength : 0;
    const key = `${p.bar}:${Math.floor((p.start - barStart) / job.beatGroup + EPS)}`;
    if (!beamable || key !== groupKey) {
      if (group.length > 1) groups.push(group);
      group = [];
      groupKey = '';
    }
    if (beamable) {
      group.push(p);
      groupKey = key;
    }
  }
  if (group.length > 1) groups.push(group);
  const inGroup = new Set(groups.flat());

  const headRight = (p: Piece): number => p.x + (p.drawn.value === 1 ? glyphWidth('noteheads.whole', k) : geo.headWidth);
  const upStemX = (p: Piece): number => headRight(p) - geo.stemWidth / 2 - 0.03 * S;
  const downStemX = (p: Piece): number => p.x + geo.stemWidth / 2 + 0.03 * S;
  for (const p of notes) {
    if (inGroup.has(p)) continue;
    const hy = y(p.position);
    const up = p.position < 4;
    const length = geo.stem + (p.drawn.value === 16 ? 0.5 * S : 0);
    const end = up ? Math.min(hy - length, y(4)) : Math.max(hy + length, y(4));
    stems.set(p, { piece: p, up, stemX: up ? upStemX(p) : downStemX(p), stemEnd: end, beamed: false });
  }
  const beams: { pieces: Piece[]; up: boolean; x0: number; x1: number; at: (x: number) => number }[] = [];
  for (const g of groups) {
    const far = g.reduce((a, b) => (Math.abs(b.position - 4) > Math.abs(a.position - 4) ? b : a));
    const up = far.position < 4;
    const xs = g.map((p) => (up ? upStemX(p) : downStemX(p)));
    const hs = g.map((p) => y(p.position));
    const x0 = xs[0] ?? 0;
    const x1 = xs[xs.length - 1] ?? x0;
    // Beams follow the melody's direction, gently: at most half a space, a quarter for close notes.
    const span = (hs[hs.length - 1] ?? 0) - (hs[0] ?? 0);
    const maxRise = Math.abs(span) <= S / 2 ? S / 4 : S / 2;
    const rise = Math.max(-maxRise, Math.min(maxRise, span));
    const slope = x1 > x0 ? rise / (x1 - x0) : 0;
    const extra = g.some((p) => p.drawn.value === 16) ? 0.5 * S : 0;
    let b = up ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    g.forEach((_, i) => {
      const sx = xs[i] ?? 0;
      const hy = hs[i] ?? 0;
      const want = up ? Math.min(hy - geo.stem - extra, y(4)) : Math.max(hy + geo.stem + extra, y(4));
      const offset = want - slope * (sx - x0);
      b = up ? Math.min(b, offset) : Math.max(b, offset);
    });
    const at = (xx: number): number => b + slope * (xx - x0);
    g.forEach((p, i) => stems.set(p, { piece: p, up, stemX: xs[i] ?? 0, stemEnd: at(xs[i] ?? 0), beamed: true }));
    beams.push({ pieces: g, up, x0, x1, at });
  }

  // Ledger lines (ink, never red).
  const ledgers: string[] = [];
  for (const p of notes.concat(job.pieces.filter((q) => q.event.kind === 'note' && q.drawn.value === 1))) {
    const w = p.drawn.value === 1 ? glyphWidth('noteheads.whole', k) : geo.headWidth;
    const from = p.x - 0.35 * S;
    const to = p.x + w + 0.35 * S;
    for (let q = -2; q >= p.position; q -= 2) ledgers.push(`M${n(from)} ${n(y(q))}H${n(to)}`);
    for (let q = 10; q <= p.position; q += 2) ledgers.push(`M${n(from)} ${n(y(q))}H${n(to)}`);
    if (p.position <= -2) c.extend(y(p.position), y(p.position));
  }
  if (ledgers.length > 0) c.add(`<path class="ledger" d="${ledgers.join('')}" stroke="${INK}" stroke-width="${n(Math.max(1.2, 0.12 * S))}" fill="none"/>`);

  // Events.
  for (const p of job.pieces) {
    const color = p.wrong ? WRONG_COLOR : INK;
    const dataAttrs = p.first
      ? `data-voice="${esc(job.voice.name)}" data-index="${p.index}" data-token="${esc(p.token)}" data-wrong="${p.wrong}"`
      : `data-voice="${esc(job.voice.name)}" data-continues="${p.index}"`;
    const parts: string[] = [];
    let boxX0 = p.x;
    let boxX1 = p.x;
    let boxY0 = 0;
    let boxY1 = 0;
    if (p.event.kind === 'rest') {
      const name = REST_GLYPH[p.drawn.value];
      const ry = p.drawn.value === 1 ? y(6) : y(4);
      const g = GLYPHS[name];
      const rx = p.x + (geo.headWidth - glyphWidth(name, k)) / 2 - g.box[0] * k;
      parts.push(c.glyph(name, rx, ry, `class="rest" ${dataAttrs}`));
      boxX0 = rx + g.box[0] * k;
      boxX1 = rx + g.box[2] * k;
      boxY0 = ry + g.box[1] * k;
      boxY1 = ry + g.box[3] * k;
      if (p.drawn.dotted) {
        const dx = boxX1 + 0.35 * S;
        parts.push(c.glyph('dots.dot', dx, y(5), 'class="dot"'));
        boxX1 = dx + glyphWidth('dots.dot', k);
      }
    } else {
      const hy = y(p.position);
      const headName = headGlyph(p.drawn.value);
      parts.push(c.glyph(headName, p.x, hy, `class="head${p.first ? '' : ' tied'}" ${dataAttrs}`));
      boxX1 = headRight(p);
      boxY0 = hy - 0.6 * S;
      boxY1 = hy + 0.6 * S;
      if (p.accidental !== null) {
        const name = ACCIDENTAL_GLYPH[p.accidental];
        const g = GLYPHS[name];
        const ax = p.x - 0.25 * S - g.box[2] * k;
        parts.push(c.glyph(name, ax, hy, 'class="accidental"'));
        boxX0 = ax + g.box[0] * k;
        boxY0 = Math.min(boxY0, hy + g.box[1] * k);
        boxY1 = Math.max(boxY1, hy + g.box[3] * k);
      }
      if (p.drawn.dotted) {
        const dy = p.position % 2 === 0 ? y(p.position + 1) : hy;
        const dx = headRight(p) + 0.3 * S;
        parts.push(c.glyph('dots.dot', dx, dy, 'class="dot"'));
        boxX1 = dx + glyphWidth('dots.dot', k);
      }
      const stem = stems.get(p);
      if (stem) {
        const from = hy + (stem.up ? -0.15 * S : 0.15 * S);
        parts.push(`<line class="stem" x1="${n(stem.stemX)}" y1="${n(from)}" x2="${n(stem.stemX)}" y2="${n(stem.stemEnd)}" stroke="currentColor" stroke-width="${n(geo.stemWidth)}"/>`);
        c.extend(stem.stemEnd, stem.stemEnd);
        boxY0 = Math.min(boxY0, stem.stemEnd);
        boxY1 = Math.max(boxY1, stem.stemEnd);
        if (!stem.beamed && p.drawn.value >= 8) {
          const flag: GlyphName = p.drawn.value === 16 ? (stem.up ? 'flags.u16th' : 'flags.d16th') : stem.up ? 'flags.u8th' : 'flags.d8th';
          const fx = stem.stemX - geo.stemWidth / 2 + 0.42 * k;
          parts.push(c.glyph(flag, fx, stem.stemEnd, 'class="flag"'));
          boxX1 = Math.max(boxX1, fx + GLYPHS[flag].box[2] * k);
        }
      }
    }
    c.add(`<g class="event" color="${color}" fill="currentColor">${parts.join('')}</g>`);
    if (p.wrong && p.first) {
      const pad = 0.3 * S;
      c.add(
        `<rect class="wrong-box" data-voice="${esc(job.voice.name)}" data-index="${p.index}" x="${n(boxX0 - pad)}" y="${n(boxY0 - pad)}"` +
          ` width="${n(boxX1 - boxX0 + 2 * pad)}" height="${n(boxY1 - boxY0 + 2 * pad)}" rx="3" fill="none" stroke="${WRONG_COLOR}" stroke-width="2"/>`,
      );
      c.extend(boxY0 - pad, boxY1 + pad);
    }
  }

  // Beams, in ink: thick parallelograms; a second beam joins consecutive sixteenths.
  const thickness = 0.5 * S;
  for (const beam of beams) {
    const dir = beam.up ? 1 : -1; // towards the heads
    const quad = (xa: number, xb: number, offset: number): string => {
      const ya = beam.at(xa) + dir * offset;
      const yb = beam.at(xb) + dir * offset;
      c.extend(ya, ya + dir * thickness);
      return `M${n(xa)} ${n(ya)}L${n(xb)} ${n(yb)}L${n(xb)} ${n(yb + dir * thickness)}L${n(xa)} ${n(ya + dir * thickness)}Z`;
    };
    const half = geo.stemWidth / 2;
    let d = quad(beam.x0 - half, beam.x1 + half, 0);
    const stemX = (p: Piece): number => stems.get(p)?.stemX ?? p.x;
    beam.pieces.forEach((p, i) => {
      if (p.drawn.value !== 16) return;
      const prev = beam.pieces[i - 1];
      const next = beam.pieces[i + 1];
      if (next && next.drawn.value === 16) d += quad(stemX(p) - half, stemX(next) + half, 0.75 * S);
      else if (!(prev && prev.drawn.value === 16)) {
        const stub = Math.min(geo.headWidth, 1.2 * S);
        const toLeft = !next;
        d += toLeft ? quad(stemX(p) - stub, stemX(p) + half, 0.75 * S) : quad(stemX(p) - half, stemX(p) + stub, 0.75 * S);
      }
    });
    c.add(`<path class="beam" d="${d}" fill="${INK}"/>`);
  }

  // Ties between the pieces of a split note (into the next line: to the line's end, and from its start).
  const byEvent = new Map<number, Piece[]>();
  for (const p of job.allPieces) if (p.event.kind === 'note') byEvent.set(p.index, [...(byEvent.get(p.index) ?? []), p]);
  for (const list of byEvent.values()) {
    for (let i = 0; i + 1 < list.length; i++) {
      const a = list[i] as Piece;
      const b = list[i + 1] as Piece;
      const aHere = job.pieces.includes(a);
      const bHere = job.pieces.includes(b);
      if (!aHere && !bHere) continue;
      const stem = stems.get(aHere ? a : b);
      const below = stem ? stem.up : a.position < 4;
      const hy = y(a.position) + (below ? 0.6 * S : -0.6 * S);
      const sameLine = aHere && bHere && a.line === b.line;
      const from = aHere ? headRight(a) - 0.1 * S : b.x - 1.8 * S;
      const to = sameLine || !aHere ? b.x + 0.1 * S : job.line.end - 0.2 * S;
      const depth = (below ? 1 : -1) * Math.min(1.1 * S, 0.35 * S + (to - from) * 0.08);
      const mx = (from + to) / 2;
      const color = a.wrong ? WRONG_COLOR : INK;
      c.add(
        `<path class="tie" d="M${n(from)} ${n(hy)}Q${n(mx)} ${n(hy + depth)} ${n(to)} ${n(hy)}Q${n(mx)} ${n(hy + depth * 0.7)} ${n(from)} ${n(hy)}Z" fill="${color}"/>`,
      );
      c.extend(hy, hy + depth);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/** The SVG of a melody's score (what renderStaff draws), without rendering it. */
export function staffSvg(melody: Melody, options: StaffOptions = {}): ScoreSvg {
  return layoutScore([{ name: 'melody', events: melody.events, wrong: new Set(), given: 0 }], melody, options, 'staff');
}

/** A melody as a score: PNG (1200 px wide unless asked) and its SVG. */
export function renderStaff(melody: Melody, options: StaffOptions = {}): StaffPicture {
  const score = staffSvg(melody, options);
  return { ...renderPng(score.svg, score.width), clef: score.clef, lines: score.lines, truncated: score.truncated };
}

/** The SVG of a comparison (what renderComparison draws), without rendering it. */
export function comparisonSvg(
  original: Melody,
  predicted: Melody | readonly MelodyEvent[],
  wrong: readonly WrongNote[],
  options: ComparisonOptions = {},
): ScoreSvg {
  const predictedEvents = isEventList(predicted) ? predicted : predicted.events;
  const wrongIndices = new Set(wrong.map((w) => w.index).filter((i) => Number.isInteger(i) && i >= 0 && i < predictedEvents.length));
  return layoutScore(
    [
      { name: 'original', events: original.events, wrong: new Set(), label: options.originalLabel ?? 'original', given: 0 },
      { name: 'predicted', events: predictedEvents, wrong: wrongIndices, label: options.predictedLabel ?? 'predicted', given: Math.max(0, Math.floor(options.given ?? 0)) },
    ],
    original,
    options,
    'comparison',
  );
}

/**
 * The predicted melody under the original, aligned note for note in time: wrong notes (by
 * WrongNote.index, a position in the predicted melody) in red and boxed in red; the notes given to
 * the model as its start (options.given) shaded. Metre, key and title come from the original.
 */
export function renderComparison(
  original: Melody,
  predicted: Melody | readonly MelodyEvent[],
  wrong: readonly WrongNote[],
  options: ComparisonOptions = {},
): StaffPicture {
  const score = comparisonSvg(original, predicted, wrong, options);
  return { ...renderPng(score.svg, score.width), clef: score.clef, lines: score.lines, truncated: score.truncated };
}

function isEventList(value: Melody | readonly MelodyEvent[]): value is readonly MelodyEvent[] {
  return Array.isArray(value);
}
