import { describe, expect, it } from 'vitest';
import { getSong } from '../../src/music/songbook.ts';
import { renderLossChart, renderStaff } from '../../src/pictures/index.ts';

// Pictures are drawn on the bot's main thread: each must take well under a second. Measured on
// the 2-core dev machine under load: ~80 ms for the staff, ~120 ms for the chart. The bound here
// is loose so that a busy CI machine does not fail it; a regression to seconds still would.
describe('rendering speed', () => {
  it('renders 나비야\'s staff and a 2000-epoch loss chart in well under a second each', () => {
    const melody = getSong('nabiya').melody;
    const loss = Array.from({ length: 2000 }, (_, e) => 2.5 * Math.exp(-e / 200) + 1e-7);
    const accuracy = loss.map((v) => Math.max(0, Math.min(1, 1 - v / 3)));
    const chart = (): unknown => renderLossChart({ title: '나비야 — stateful', series: [{ label: 'stateful', loss, accuracy, learnedAtEpoch: 500 }] });
    renderStaff(melody); // warm-up: loads resvg's native module
    const timed = (f: () => unknown): number => {
      const t = performance.now();
      f();
      return performance.now() - t;
    };
    const staffMs = Math.min(timed(() => renderStaff(melody)), timed(() => renderStaff(melody)));
    const chartMs = Math.min(timed(chart), timed(chart));
    expect(staffMs).toBeLessThan(1000);
    expect(chartMs).toBeLessThan(1000);
  });
});
