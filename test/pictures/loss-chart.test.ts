import { describe, expect, it } from 'vitest';
import { downsampleMinMax, lossChartSvg, renderLossChart, SERIES_COLORS } from '../../src/pictures/index.ts';
import { hiddenBy, segmentHitsBox, type Box } from '../../src/pictures/loss-chart.ts';
import type { LossSeries } from '../../src/pictures/index.ts';
import { attributes, countPixels, pngSize, tags } from './png.ts';

/** A deterministic history falling from `start` towards `floor` with a little noise. */
function history(epochs: number, start: number, floor: number, tau: number, seed: number): number[] {
  let s = seed;
  const random = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: epochs }, (_, e) => (floor + (start - floor) * Math.exp(-e / tau)) * (1 + 0.1 * (random() - 0.5)));
}

const stateful = history(2000, 2.5, 0, 217, 3); // reaches ~1e-4
const mlp = history(2000, 2.5, 0.15, 250, 1); // plateaus at 0.15
const accuracy = stateful.map((v) => Math.min(1, 1 - 0.66 * Math.min(1, (v / 2.5) ** 0.45)));

interface Plotted {
  readonly series: string;
  readonly epochs: number[];
  readonly values: number[];
  readonly points: [number, number][];
  readonly d: string;
}

function plotted(svg: string, cls = 'loss'): Plotted[] {
  return tags(svg, `class="${cls}"`)
    .filter((t) => t.startsWith('<path'))
    .map((t) => {
      const a = attributes(t);
      const d = a.get('d') ?? '';
      return {
        series: a.get('data-series') ?? '',
        epochs: (a.get('data-epochs') ?? '').split(' ').filter(Boolean).map(Number),
        values: (a.get('data-values') ?? '').split(' ').filter(Boolean).map(Number),
        points: [...d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]),
        d,
      };
    });
}

describe('renderLossChart: one model', () => {
  const chart = renderLossChart({ title: '나비야 — stateful', series: [{ label: 'stateful', loss: stateful, accuracy, learnedAtEpoch: 430 }] });

  it('is a 1200 × 675 PNG with a chart on it', () => {
    expect(pngSize(chart.png)).toEqual({ width: 1200, height: 675 });
    const pixels = countPixels(chart.png);
    expect(pixels.ink).toBeGreaterThan(15_000);
    expect(pixels.ink).toBeLessThan(0.5 * 1200 * 675);
  });

  it('plots exactly the loss history, every epoch (2000 epochs need no downsampling)', () => {
    const [line] = plotted(chart.svg);
    expect(line?.series).toBe('stateful');
    expect(line?.values).toEqual(stateful);
    expect(line?.epochs).toEqual(stateful.map((_, i) => i + 1));
    expect(line?.points).toHaveLength(2000);
    // x grows with the epoch; y falls as the loss grows (the line is the data, not a drawing of something else).
    const points = line?.points ?? [];
    for (let i = 1; i < points.length; i++) expect((points[i]?.[0] ?? 0) > (points[i - 1]?.[0] ?? 0)).toBe(true);
    const order = (i: number, j: number): number => Math.sign(stateful[i]! - stateful[j]!) * -Math.sign(points[i]![1] - points[j]![1]);
    for (let i = 0; i + 37 < 2000; i += 37) expect(order(i, i + 37)).toBeGreaterThanOrEqual(0);
  });

  it('chooses a log scale for a loss falling over more than two decades, and says so', () => {
    expect(chart.scale).toBe('log');
    expect(chart.svg).toContain('loss (log scale)');
    // Log axis: equal ratios take equal heights.
    const [line] = plotted(chart.svg);
    const y = (i: number): number => line?.points[i]?.[1] ?? 0;
    const ratio = (a: number, b: number): number => Math.log10(stateful[a]! / stateful[b]!);
    const unit = (y(1999) - y(0)) / ratio(0, 1999);
    expect(Math.abs((y(1000) - y(0)) - unit * ratio(0, 1000))).toBeLessThan(0.05);
    expect(tags(chart.svg, 'class="x-title"').length + (chart.svg.match(/>epoch</g) ?? []).length).toBeGreaterThan(0);
  });

  it('draws accuracy on a 0–100% secondary axis and marks the epoch it was learned', () => {
    const [acc] = plotted(chart.svg, 'accuracy');
    expect(acc?.values).toEqual(accuracy);
    expect(tags(chart.svg, 'class="accuracy-tick"')).toHaveLength(6);
    expect(chart.svg).toContain('>100%<');
    const learned = tags(chart.svg, 'class="learned"').map(attributes);
    expect(learned.map((a) => [a.get('data-series'), a.get('data-epoch')])).toEqual([['stateful', '430']]);
    expect(chart.svg).toContain('sings it back from epoch 430');
  });

  it('keeps a linear axis when the loss spans less than two decades', () => {
    const linear = lossChartSvg({ title: 'mlp', series: [{ label: 'mlp', loss: mlp }] });
    expect(linear.scale).toBe('linear');
    expect(linear.svg).toContain('>loss<');
    expect(linear.svg).not.toContain('log scale');
    // The axis starts at 0.
    expect(tags(linear.svg, 'class="y-tick"').map((t) => t)).toBeDefined();
    expect(linear.svg).toMatch(/class="y-tick">0(\.0+)?</);
    expect(lossChartSvg({ title: 'forced', series: [{ label: 'mlp', loss: mlp }], scale: 'log' }).scale).toBe('log');
  });
});

describe('renderLossChart: the four models on one chart', () => {
  const series: LossSeries[] = [
    { label: 'mlp', loss: mlp },
    { label: 'lstm', loss: history(2000, 2.5, 0.12, 300, 2) },
    { label: 'stateful', loss: stateful, learnedAtEpoch: 430 },
    { label: 'stateful-2f', loss: history(2000, 2.5, 0, 160, 4), learnedAtEpoch: 310 },
  ];
  const chart = renderLossChart({ title: '나비야 — four models', series });

  it('draws one line per model with its own history and colour', () => {
    const lines = plotted(chart.svg);
    expect(lines.map((l) => l.series)).toEqual(['mlp', 'lstm', 'stateful', 'stateful-2f']);
    lines.forEach((l, i) => expect(l.values).toEqual(series[i]?.loss));
    const strokes = tags(chart.svg, 'class="loss"').map((t) => attributes(t).get('stroke'));
    expect(strokes).toEqual(SERIES_COLORS.slice(0, 4));
    expect(pngSize(chart.png).width).toBe(1200);
  });

  it('has a legend listing every series, in order', () => {
    const legend = tags(chart.svg, 'class="legend-entry"').map((t) => attributes(t).get('data-series'));
    expect(legend).toEqual(['mlp', 'lstm', 'stateful', 'stateful-2f']);
    expect(tags(chart.svg, 'class="accuracy"')).toHaveLength(0);
    expect(tags(chart.svg, 'class="learned"')).toHaveLength(2);
  });

  it('puts the legend where it hides no line, also when lines end at the top right', () => {
    const boxOf = (t: string): Box => {
      const a = attributes(t);
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(a.get(k)));
      return { x0: x as number, y0: y as number, x1: (x as number) + (w as number), y1: (y as number) + (h as number) };
    };
    const legendOf = (svg: string): Box => boxOf(tags(svg, '<rect').find((t) => t.includes('fill-opacity="0.92"')) ?? '');
    const frameOf = (svg: string): Box => boxOf(tags(svg, '<rect').find((t) => t.includes('fill="none" stroke="#333333"')) ?? '');
    // falling curves: top right is free, and taken
    const usual = legendOf(chart.svg);
    const frame = frameOf(chart.svg);
    expect(usual.x1).toBeCloseTo(frame.x1 - 12, 5);
    expect(usual.y0).toBeCloseTo(frame.y0 + 12, 5);
    expect(hiddenBy(usual, plotted(chart.svg).map((l) => l.points))).toBe(0);
    // two models that never learn stay near the top all the way to the right edge
    const stuck = lossChartSvg({
      title: 'stuck',
      series: [...series, { label: 'stuck-a', loss: history(2000, 2.5, 2.2, 50, 5) }, { label: 'stuck-b', loss: history(2000, 2.5, 2.0, 50, 6) }],
    }).svg;
    const legend = legendOf(stuck);
    const lines = plotted(stuck).map((l) => l.points);
    expect(legend.x1 - legend.x0).toBeGreaterThan(100);
    expect(hiddenBy(legend, lines)).toBe(0);
    const f = frameOf(stuck);
    const topRight: Box = { x0: f.x1 - 12 - (legend.x1 - legend.x0), y0: f.y0 + 12, x1: f.x1 - 12, y1: f.y0 + 12 + (legend.y1 - legend.y0) };
    expect(hiddenBy(topRight, lines)).toBeGreaterThan(0);
  });
});

describe('segmentHitsBox', () => {
  const box: Box = { x0: 10, y0: 10, x1: 20, y1: 20 };
  it('finds segments inside, crossing and touching the box, and not those beside it', () => {
    expect(segmentHitsBox([12, 12], [18, 18], box)).toBe(true);
    expect(segmentHitsBox([0, 15], [30, 15], box)).toBe(true);
    expect(segmentHitsBox([0, 0], [30, 30], box)).toBe(true);
    expect(segmentHitsBox([0, 25], [30, 25], box)).toBe(false);
    expect(segmentHitsBox([0, 0], [9, 30], box)).toBe(false);
    expect(segmentHitsBox([15, 15], [15, 15], box)).toBe(true);
  });
});

describe('downsampling long histories', () => {
  it('keeps every column\'s min and max, in epoch order, and nothing else', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 50) + 2);
    values[4321] = 50; // a spike
    values[7000] = 0.001; // a dip
    const columns = 500;
    const picked = downsampleMinMax(values, columns);
    expect(picked).toContain(4321);
    expect(picked).toContain(7000);
    expect(picked.length).toBeLessThanOrEqual(2 * columns + 2);
    for (let i = 1; i < picked.length; i++) expect(picked[i]! > picked[i - 1]!).toBe(true);
    // Independently: group by column, every column's extremes are picked.
    const byColumn = new Map<number, number[]>();
    values.forEach((_, i) => {
      const c = Math.floor((i * columns) / values.length);
      byColumn.set(c, [...(byColumn.get(c) ?? []), i]);
    });
    const set = new Set(picked);
    for (const indices of byColumn.values()) {
      const vs = indices.map((i) => values[i]!);
      const lo = indices[vs.indexOf(Math.min(...vs))]!;
      const hi = indices[vs.indexOf(Math.max(...vs))]!;
      expect(set.has(lo) && set.has(hi)).toBe(true);
      const inColumn = indices.filter((i) => set.has(i));
      expect(inColumn.every((i) => i === lo || i === hi || i === 0 || i === values.length - 1)).toBe(true);
    }
    expect(set.has(0) && set.has(values.length - 1)).toBe(true);
  });

  it('draws a 20 000-epoch history from the documented downsampling of the input', () => {
    const loss = history(20_000, 2.5, 0, 2000, 7);
    loss[12_345] = 40;
    const svg = lossChartSvg({ title: 'long', series: [{ label: 'stateful', loss }] }).svg;
    const columns = Number(/data-columns="(\d+)"/.exec(svg)?.[1]);
    expect(columns).toBeGreaterThan(900);
    const [line] = plotted(svg);
    const picked = downsampleMinMax(loss, columns);
    expect(line?.epochs).toEqual(picked.map((i) => i + 1));
    expect(line?.values).toEqual(picked.map((i) => loss[i]));
    expect(line?.points).toHaveLength(picked.length);
    expect(line?.epochs).toContain(12_346);
  });

  it('leaves gaps for non-finite losses and survives empty histories', () => {
    const loss = [2.5, 2.0, Number.NaN, 1.5, 1.2];
    const [line] = plotted(lossChartSvg({ title: 'gap', series: [{ label: 'x', loss }] }).svg);
    expect(line?.epochs).toEqual([1, 2, 4, 5]);
    expect((line?.d.match(/M/g) ?? []).length).toBe(2);
    const empty = renderLossChart({ title: 'nothing yet', series: [{ label: 'x', loss: [] }] });
    expect(empty.svg).toContain('no epochs yet');
    expect(pngSize(empty.png).width).toBe(1200);
  });
});
