// Loss curves as a picture: one model's loss (and accuracy) history, or several models' loss
// histories on one chart as the tutorial's last figure. The SVG is built by hand and every
// plotted line carries the data it was drawn from, so tests (and anyone curious) can check it.

import { fitText, textWidth } from './font.ts';
import { esc, n, renderPng, svgOpen, text } from './svg.ts';
import type { Picture } from './svg.ts';

export interface LossSeries {
  /** Legend name, e.g. the model ("stateful"). */
  readonly label: string;
  /** Loss per epoch, loss[0] being epoch `firstEpoch`. Non-finite values leave a gap. */
  readonly loss: readonly number[];
  /** Accuracy per epoch as a fraction 0–1; drawn (on a 0–100% axis) when the chart has one series. */
  readonly accuracy?: readonly number[];
  /** Epoch (1-based) at which the model first sang the whole melody back; drawn as a marker. */
  readonly learnedAtEpoch?: number | null;
  /** Epoch number of loss[0]; 1 unless the history starts later. */
  readonly firstEpoch?: number;
}

export type LossScale = 'linear' | 'log';

export interface LossChartInput {
  /** E.g. "나비야 — stateful". */
  readonly title: string;
  /** Second line; a summary (epochs, final loss, accuracy) unless given. */
  readonly subtitle?: string;
  readonly series: readonly LossSeries[];
  /** 'auto' (default) picks log when the positive losses span more than two decades. */
  readonly scale?: LossScale | 'auto';
  /** PNG and SVG width in px (default 1200). */
  readonly width?: number;
  /** Default: width × 9/16. */
  readonly height?: number;
}

export interface LossChart extends Picture {
  /** The loss axis's scale as drawn. */
  readonly scale: LossScale;
}

/** Series colours in legend order (matplotlib's, less its red: red means "wrong" in Nabi's pictures). */
export const SERIES_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;
const ACCURACY_COLOR = '#ff7f0e';
const LEARNED_COLOR = '#2ca02c';
const AXIS = '#333333';
const GRID = '#e6e6e6';
const MUTED = '#666666';

/** Log scale is chosen automatically when max / min positive loss exceeds this (two decades). */
export const LOG_SCALE_RATIO = 100;

/**
 * The indices of `values` that are drawn when the plot is `columns` px wide. Histories of at most
 * 2 × columns points are drawn whole (every finite value). Longer ones are reduced per pixel
 * column (index i falls in column ⌊i · columns / length⌋) to the column's smallest and largest
 * finite value, in epoch order, so spikes stay visible; the first and last finite values are
 * always kept. Non-finite values are never drawn.
 */
export function downsampleMinMax(values: readonly number[], columns: number): number[] {
  const length = values.length;
  const finite = (i: number): boolean => Number.isFinite(values[i]);
  const cols = Math.max(1, Math.floor(columns));
  if (length <= 2 * cols) {
    const all: number[] = [];
    for (let i = 0; i < length; i++) if (finite(i)) all.push(i);
    return all;
  }
  const picked: number[] = [];
  let first = -1;
  let last = -1;
  for (let c = 0; c < cols; c++) {
    const from = Math.ceil((c * length) / cols);
    const to = Math.ceil(((c + 1) * length) / cols); // exclusive: i in column c ⇔ ⌊i·cols/length⌋ = c
    let lo = -1;
    let hi = -1;
    for (let i = from; i < to; i++) {
      if (!finite(i)) continue;
      if (first < 0) first = i;
      last = i;
      const v = values[i] as number;
      if (lo < 0 || v < (values[lo] as number)) lo = i;
      if (hi < 0 || v > (values[hi] as number)) hi = i;
    }
    if (lo < 0) continue;
    if (lo === hi) picked.push(lo);
    else picked.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  if (first >= 0 && picked[0] !== first) picked.unshift(first);
  if (last >= 0 && picked[picked.length - 1] !== last) picked.push(last);
  return picked;
}

/** A "nice" step (1, 2 or 5 × 10^k) giving about `count` intervals over `span`. */
function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** Loss as printed in labels: three significant digits, exponent form below 0.001. */
export function formatLossValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e5) {
    const [mantissa, exponent] = value.toExponential(1).split('e');
    return `${(mantissa ?? '').replace(/\.0$/, '')}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(3)));
}

function decadeLabel(k: number): string {
  if (k >= 0 && k <= 4) return String(10 ** k);
  if (k < 0 && k >= -3) return (10 ** k).toFixed(-k);
  return `1e${k}`;
}

interface Axis {
  readonly min: number;
  readonly max: number;
  /** Pixel position of a value. */
  readonly at: (value: number) => number;
}

export interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

function finiteValues(series: readonly LossSeries[]): number[] {
  const out: number[] = [];
  for (const s of series) for (const v of s.loss) if (Number.isFinite(v)) out.push(v);
  return out;
}

/** A line through the chosen points of `values`; gaps where values are not finite. */
/**
 * The points of a series as drawn, split into runs where the data has gaps (a non-finite value
 * between two picked points breaks the line).
 */
function seriesRuns(
  values: readonly number[],
  picked: readonly number[],
  x: (index: number) => number,
  y: (value: number) => number,
): [number, number][][] {
  const runs: [number, number][][] = [];
  let previous = -2;
  for (const i of picked) {
    let gap = previous < 0;
    if (!gap) for (let j = previous + 1; j < i; j++) if (!Number.isFinite(values[j])) { gap = true; break; }
    if (gap) runs.push([]);
    (runs[runs.length - 1] as [number, number][]).push([x(i), y(values[i] as number)]);
    previous = i;
  }
  return runs;
}

function seriesPath(runs: readonly (readonly [number, number][])[]): string {
  let d = '';
  for (const run of runs) run.forEach(([x, y], k) => (d += `${k === 0 ? 'M' : 'L'}${n(x)} ${n(y)}`));
  // A lone point would be invisible: draw it as a dot-length segment.
  if (runs.length === 1 && runs[0]?.length === 1) d += 'h0.01';
  return d;
}

/** Whether the segment a–b touches the box (Liang–Barsky clipping). */
export function segmentHitsBox(a: readonly [number, number], b: readonly [number, number], box: Box): boolean {
  const [x0, y0] = a;
  const dx = b[0] - x0;
  const dy = b[1] - y0;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [[-dx, x0 - box.x0], [dx, box.x1 - x0], [-dy, y0 - box.y0], [dy, box.y1 - y0]] as const) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const r = q / p;
      if (p < 0) t0 = Math.max(t0, r);
      else t1 = Math.min(t1, r);
      if (t0 > t1) return false;
    }
  }
  return true;
}

/** How many drawn segments (or lone points) fall in the box: what a legend there would hide. */
export function hiddenBy(box: Box, lines: readonly (readonly (readonly [number, number])[])[]): number {
  let hidden = 0;
  for (const run of lines) {
    if (run.length === 1) {
      const [p] = run as [readonly [number, number]];
      if (segmentHitsBox(p, p, box)) hidden++;
    }
    for (let k = 1; k < run.length; k++) if (segmentHitsBox(run[k - 1] as [number, number], run[k] as [number, number], box)) hidden++;
  }
  return hidden;
}

/** Builds the chart's SVG (no rendering): what renderLossChart draws. */
export function lossChartSvg(input: LossChartInput): { svg: string; scale: LossScale; width: number; height: number } {
  const width = Math.round(input.width ?? 1200);
  const height = Math.round(input.height ?? (width * 9) / 16);
  const series = input.series;
  const single = series.length === 1 ? series[0] : undefined;
  const accuracy = single?.accuracy?.some((v) => Number.isFinite(v)) ? single.accuracy : undefined;

  const left = 92;
  const right = width - (accuracy ? 80 : 32);
  const top = 92;
  const bottom = height - 64;
  const plotWidth = right - left;
  const columns = Math.floor(plotWidth);

  // x: epochs, 0 at the axis so that epoch 1 sits just right of it (as matplotlib plots a history).
  const lastEpoch = series.reduce((m, s) => Math.max(m, (s.firstEpoch ?? 1) - 1 + s.loss.length), 1);
  const xAxis: Axis = { min: 0, max: lastEpoch, at: (e) => left + (e / lastEpoch) * plotWidth };

  // y: loss, log when it spans more than two decades (or when asked).
  // (Loops, not Math.max(...values): a long history would overflow the argument list.)
  const values = finiteValues(series);
  const positives = values.filter((v) => v > 0);
  const maxValue = values.length > 0 ? values.reduce((m, v) => Math.max(m, v), -Infinity) : 1;
  const minValue = values.length > 0 ? values.reduce((m, v) => Math.min(m, v), Infinity) : 0;
  const minPositive = positives.length > 0 ? positives.reduce((m, v) => Math.min(m, v), Infinity) : 1;
  const maxPositive = positives.length > 0 ? positives.reduce((m, v) => Math.max(m, v), -Infinity) : 1;
  const wantLog = input.scale === 'log' || ((input.scale ?? 'auto') === 'auto' && positives.length > 0 && maxValue / minPositive > LOG_SCALE_RATIO);
  const scale: LossScale = wantLog && positives.length > 0 ? 'log' : 'linear';

  let yAxis: Axis;
  const yTicks: { value: number; label: string; major: boolean }[] = [];
  if (scale === 'log') {
    let lo = Math.floor(Math.log10(minPositive) + 1e-9);
    let hi = Math.ceil(Math.log10(maxPositive) - 1e-9);
    if (hi <= lo) hi = lo + 1;
    const decades = hi - lo;
    const every = Math.ceil(decades / 10); // at most ~10 labelled decades
    lo = Math.floor(lo / every) * every;
    const loV = lo;
    const hiV = hi;
    yAxis = {
      min: 10 ** loV,
      max: 10 ** hiV,
      at: (v) => {
        const l = v > 0 ? Math.log10(v) : loV;
        return bottom - ((Math.min(hiV, Math.max(loV, l)) - loV) / (hiV - loV)) * (bottom - top);
      },
    };
    for (let k = lo; k <= hi; k++) {
      if ((k - lo) % every === 0) yTicks.push({ value: 10 ** k, label: decadeLabel(k), major: true });
      if (decades <= 4 && k < hi) for (let m = 2; m <= 9; m++) yTicks.push({ value: m * 10 ** k, label: '', major: false });
    }
  } else {
    const low = Math.min(0, minValue);
    const step = niceStep(Math.max(maxValue - low, 1e-12), 7);
    const lo = Math.floor(low / step + 1e-9) * step;
    let hi = Math.ceil(maxValue / step - 1e-9) * step;
    if (hi <= lo) hi = lo + step;
    yAxis = { min: lo, max: hi, at: (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top) };
    const decimals = decimalsOf(step);
    for (let v = lo, i = 0; v <= hi + step / 2 && i < 50; i++, v = lo + i * step) yTicks.push({ value: v, label: v.toFixed(decimals), major: true });
  }

  const parts: string[] = [];
  parts.push(svgOpen(width, height, `data-scale="${scale}" data-columns="${columns}" data-last-epoch="${lastEpoch}"`));

  // Title and summary.
  parts.push(text(width / 2, 40, fitText(input.title, 26, width - 40), { size: 26, anchor: 'middle', fill: '#111111', attrs: 'class="title"' }));
  const summary = input.subtitle ?? defaultSubtitle(series, lastEpoch);
  if (summary) parts.push(text(width / 2, 68, fitText(summary, 15, width - 40), { size: 15, anchor: 'middle', fill: MUTED, attrs: 'class="subtitle"' }));

  // Grid and axes.
  const grid: string[] = [];
  const labels: string[] = [];
  for (const t of yTicks) {
    const y = yAxis.at(t.value);
    grid.push(`<line x1="${n(left)}" y1="${n(y)}" x2="${n(right)}" y2="${n(y)}" stroke="${GRID}" stroke-width="${t.major ? 1 : 0.6}"/>`);
    if (t.major) {
      grid.push(`<line x1="${n(left - 6)}" y1="${n(y)}" x2="${n(left)}" y2="${n(y)}" stroke="${AXIS}"/>`);
      labels.push(text(left - 10, y + 5, t.label, { size: 14, anchor: 'end', fill: AXIS, attrs: 'class="y-tick"' }));
    }
  }
  const xStep = niceStep(lastEpoch, Math.max(2, Math.min(10, Math.floor(plotWidth / 110))));
  const xStepInt = Math.max(1, Math.round(xStep));
  for (let e = 0; e <= lastEpoch; e += xStepInt) {
    const x = xAxis.at(e);
    grid.push(`<line x1="${n(x)}" y1="${n(top)}" x2="${n(x)}" y2="${n(bottom)}" stroke="${GRID}"/>`);
    grid.push(`<line x1="${n(x)}" y1="${n(bottom)}" x2="${n(x)}" y2="${n(bottom + 6)}" stroke="${AXIS}"/>`);
    labels.push(text(x, bottom + 24, String(e), { size: 14, anchor: 'middle', fill: AXIS, attrs: 'class="x-tick"' }));
  }
  parts.push(`<g class="grid">${grid.join('')}</g>`);
  parts.push(`<g class="tick-labels">${labels.join('')}</g>`);

  // Every drawn line as points in px, for placing the legend where it hides the least.
  const drawn: [number, number][][] = [];

  // Accuracy on a secondary axis (single series).
  if (accuracy) {
    const at = (v: number): number => bottom - Math.min(1, Math.max(0, v)) * (bottom - top);
    const ticks: string[] = [];
    for (let p = 0; p <= 100; p += 20) {
      const y = at(p / 100);
      ticks.push(`<line x1="${n(right)}" y1="${n(y)}" x2="${n(right + 6)}" y2="${n(y)}" stroke="${ACCURACY_COLOR}"/>`);
      ticks.push(text(right + 10, y + 5, `${p}%`, { size: 14, fill: ACCURACY_COLOR, attrs: 'class="accuracy-tick"' }));
    }
    parts.push(`<g class="accuracy-axis">${ticks.join('')}</g>`);
    const first = single?.firstEpoch ?? 1;
    const picked = downsampleMinMax(accuracy, columns);
    const runs = seriesRuns(accuracy, picked, (i) => xAxis.at(first + i), at);
    drawn.push(...runs);
    const d = seriesPath(runs);
    parts.push(
      `<path class="accuracy" data-series="${esc(single?.label ?? '')}" data-epochs="${picked.map((i) => first + i).join(' ')}"` +
        ` data-values="${picked.map((i) => String(accuracy[i])).join(' ')}" d="${d}" fill="none" stroke="${ACCURACY_COLOR}"` +
        ` stroke-width="1.6" stroke-opacity="0.85" stroke-linejoin="round"/>`,
    );
  }

  // The loss lines, clipped to the plot.
  parts.push(`<clipPath id="plot"><rect x="${n(left)}" y="${n(top - 2)}" width="${n(plotWidth)}" height="${n(bottom - top + 4)}"/></clipPath>`);
  const lines: string[] = [];
  series.forEach((s, k) => {
    const color = single ? SERIES_COLORS[0] : (SERIES_COLORS[k % SERIES_COLORS.length] as string);
    const first = s.firstEpoch ?? 1;
    const picked = downsampleMinMax(s.loss, columns);
    // (points beyond the plot are clipped when drawn; the legend only cares about the visible part)
    const runs = seriesRuns(s.loss, picked, (i) => xAxis.at(first + i), (v) => Math.min(bottom, Math.max(top, yAxis.at(v))));
    drawn.push(...runs);
    const d = seriesPath(seriesRuns(s.loss, picked, (i) => xAxis.at(first + i), yAxis.at));
    lines.push(
      `<path class="loss" data-series="${esc(s.label)}" data-first-epoch="${first}" data-epochs="${picked.map((i) => first + i).join(' ')}"` +
        ` data-values="${picked.map((i) => String(s.loss[i])).join(' ')}" d="${d}" fill="none" stroke="${color}"` +
        ` stroke-width="${single ? 2.2 : 2}" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
  });
  parts.push(`<g clip-path="url(#plot)">${lines.join('')}</g>`);

  // Frame and axis titles.
  parts.push(`<rect x="${n(left)}" y="${n(top)}" width="${n(plotWidth)}" height="${n(bottom - top)}" fill="none" stroke="${AXIS}"/>`);
  parts.push(text(left + plotWidth / 2, height - 16, 'epoch', { size: 16, anchor: 'middle', fill: AXIS, attrs: 'class="x-title"' }));
  const yTitle = scale === 'log' ? 'loss (log scale)' : 'loss';
  const cy = (top + bottom) / 2;
  parts.push(`<text x="0" y="0" font-size="16" text-anchor="middle" fill="${AXIS}" class="y-title" transform="translate(${n(24)} ${n(cy)}) rotate(-90)">${yTitle}</text>`);
  if (accuracy) {
    parts.push(`<text x="0" y="0" font-size="16" text-anchor="middle" fill="${ACCURACY_COLOR}" class="y2-title" transform="translate(${n(width - 14)} ${n(cy)}) rotate(90)">accuracy</text>`);
  }

  // Legend, top right inside the plot, where falling loss curves leave room.
  const entries: { label: string; note: string; color: string; series: string; dashed?: boolean }[] = single
    ? [
        { label: accuracy ? 'loss' : single.label, note: lastFinite(single.loss), color: SERIES_COLORS[0], series: single.label },
        ...(accuracy ? [{ label: 'accuracy', note: percent(lastFiniteNumber(accuracy)), color: ACCURACY_COLOR, series: `${single.label}:accuracy` }] : []),
      ]
    : series.map((s, k) => ({ label: s.label, note: lastFinite(s.loss), color: SERIES_COLORS[k % SERIES_COLORS.length] as string, series: s.label }));
  const legendSize = 15;
  const noteSize = 13;
  const rowHeight = 24;
  const labelWidth = Math.max(0, ...entries.map((e) => textWidth(e.label, legendSize)));
  const noteWidth = Math.max(0, ...entries.map((e) => textWidth(e.note, noteSize)));
  const legendWidth = Math.min(plotWidth - 20, 14 + 30 + 8 + labelWidth + 4 + 14 + noteWidth + 14);
  const legendHeight = 12 + entries.length * rowHeight;
  // Top right first (where falling loss curves usually leave room), else the corner that hides
  // the fewest drawn segments — a curve that ends high, or accuracy near 100%, takes top right.
  const corners: Box[] = [
    { x0: right - 12 - legendWidth, y0: top + 12, x1: right - 12, y1: top + 12 + legendHeight },
    { x0: left + 12, y0: bottom - 12 - legendHeight, x1: left + 12 + legendWidth, y1: bottom - 12 },
    { x0: right - 12 - legendWidth, y0: bottom - 12 - legendHeight, x1: right - 12, y1: bottom - 12 },
    { x0: left + 12, y0: top + 12, x1: left + 12 + legendWidth, y1: top + 12 + legendHeight },
  ];
  const hidden = corners.map((box) => hiddenBy(box, drawn));
  const legend = corners[hidden.indexOf(Math.min(...hidden))] as Box;
  if (entries.length > 0) {
    const rows = entries.map((e, i) => {
      const y = legend.y0 + 6 + rowHeight * i + rowHeight / 2;
      const x = legend.x0 + 14;
      const label = fitText(e.label, legendSize, legendWidth - 14 - 30 - 8 - 14 - noteWidth - 14);
      return (
        `<g class="legend-entry" data-series="${esc(e.series)}">` +
        `<line x1="${n(x)}" y1="${n(y)}" x2="${n(x + 30)}" y2="${n(y)}" stroke="${e.color}" stroke-width="3" stroke-linecap="round"/>` +
        text(x + 38, y + 5, label, { size: legendSize, fill: '#111111' }) +
        text(legend.x1 - 14, y + 5, e.note, { size: noteSize, fill: MUTED, anchor: 'end' }) +
        `</g>`
      );
    });
    parts.push(
      `<g class="legend"><rect x="${n(legend.x0)}" y="${n(legend.y0)}" width="${n(legendWidth)}" height="${n(legendHeight)}" rx="4"` +
        ` fill="#ffffff" fill-opacity="0.92" stroke="#cccccc"/>${rows.join('')}</g>`,
    );
  }

  // "Learned" markers: a dashed vertical line per series, labels placed so none overlap.
  const taken: Box[] = [legend];
  const markers: string[] = [];
  series.forEach((s, k) => {
    const epoch = s.learnedAtEpoch;
    if (epoch === null || epoch === undefined || !(epoch >= 0) || epoch > lastEpoch) return;
    const color = single ? LEARNED_COLOR : (SERIES_COLORS[k % SERIES_COLORS.length] as string);
    const x = xAxis.at(epoch);
    const label = single ? `sings it back from epoch ${epoch}` : `${s.label} learned · epoch ${epoch}`;
    const w = textWidth(label, 13) + 8;
    const toRight = x + 6 + w <= right - 4;
    const x0 = toRight ? x + 4 : x - 4 - w;
    let y = top + 8;
    let box: Box = { x0, y0: y, x1: x0 + w, y1: y + 18 };
    for (let tries = 0; tries < 40 && taken.some((b) => overlaps(b, box)); tries++) {
      y += 20;
      box = { x0, y0: y, x1: x0 + w, y1: y + 18 };
    }
    taken.push(box);
    markers.push(
      `<g class="learned" data-series="${esc(s.label)}" data-epoch="${epoch}">` +
        `<line x1="${n(x)}" y1="${n(top)}" x2="${n(x)}" y2="${n(bottom)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"/>` +
        `<rect x="${n(box.x0)}" y="${n(box.y0)}" width="${n(w)}" height="18" fill="#ffffff" fill-opacity="0.85"/>` +
        text(toRight ? x + 8 : x - 8, y + 14, label, { size: 13, fill: color, anchor: toRight ? 'start' : 'end' }) +
        `</g>`,
    );
  });
  parts.push(markers.join(''));

  if (values.length === 0) parts.push(text(left + plotWidth / 2, (top + bottom) / 2, 'no epochs yet', { size: 18, anchor: 'middle', fill: MUTED }));

  parts.push('</svg>');
  return { svg: parts.join(''), scale, width, height };
}

function lastFiniteNumber(values: readonly number[]): number {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return values[i] as number;
  return Number.NaN;
}

function lastFinite(values: readonly number[]): string {
  const v = lastFiniteNumber(values);
  return Number.isFinite(v) ? formatLossValue(v) : '';
}

function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(fraction >= 0.9995 || fraction === 0 ? 0 : 1)}%` : '';
}

function defaultSubtitle(series: readonly LossSeries[], lastEpoch: number): string {
  const epochs = `${lastEpoch} epoch${lastEpoch === 1 ? '' : 's'}`;
  const [only] = series;
  if (series.length === 1 && only) {
    const parts = [epochs];
    const loss = lastFinite(only.loss);
    if (loss) parts.push(`final loss ${loss}`);
    const acc = only.accuracy ? percent(lastFiniteNumber(only.accuracy)) : '';
    if (acc) parts.push(`accuracy ${acc}`);
    if (typeof only.learnedAtEpoch === 'number') parts.push(`sings the whole melody back from epoch ${only.learnedAtEpoch}`);
    return parts.join(' · ');
  }
  return `${series.length} models · ${epochs}`;
}

/** Loss curves as PNG (`width` px wide, default 1200) and the SVG they were drawn from. */
export function renderLossChart(input: LossChartInput): LossChart {
  const { svg, scale, width } = lossChartSvg(input);
  return { ...renderPng(svg, width), scale };
}

