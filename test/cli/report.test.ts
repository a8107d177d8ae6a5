import { describe, expect, it } from 'vitest';
import { etaMs, formatLoss, formatProgress, progressBar } from '../../src/cli/progress.ts';
import { learnReport, markNotes } from '../../src/cli/report.ts';

describe('progress', () => {
  it('draws a bar proportional to the epochs done', () => {
    expect(progressBar(0, 10)).toBe('░'.repeat(10));
    expect(progressBar(0.5, 10)).toBe('█'.repeat(5) + '░'.repeat(5));
    expect(progressBar(2, 10)).toBe('█'.repeat(10));
  });

  it('estimates the time left from the pace so far, counting from a resumed start', () => {
    expect(etaMs({ epoch: 100, totalEpochs: 400, loss: 1, accuracy: 0, elapsedMs: 10_000 })).toBe(30_000);
    expect(etaMs({ epoch: 300, totalEpochs: 400, loss: 1, accuracy: 0, elapsedMs: 10_000, startEpoch: 200 })).toBe(10_000);
    expect(formatProgress({ epoch: 100, totalEpochs: 400, loss: 0.5, accuracy: 0.92, elapsedMs: 10_000 }, 4)).toBe(
      '█░░░ epoch 100/400 · loss 0.5000 · acc 92.0% · ETA 30s',
    );
  });

  it('keeps tiny losses readable', () => {
    expect(formatLoss(1.6054e-4)).toBe('1.61e-4');
    expect(formatLoss(0.1849)).toBe('0.1849');
  });
});

describe('report', () => {
  it('marks exactly the wrong notes, after the start window', () => {
    const tokens = ['g8', 'e8', 'e4', 'f8', 'd8', 'e4', 'c8'];
    const text = markNotes(tokens, [{ index: 5, expected: 'd4', got: 'e4' }], 4);
    expect(text).toBe('g8 e8 e4 f8 d8 [e4≠d4] c8');
  });

  it('maps wrong positions of a completion that starts mid-song', () => {
    const text = markNotes(['d8', 'd4', 'c8', 'e8'], [{ index: 13, expected: 'd8', got: 'e8' }], 3, undefined, 10);
    expect(text).toBe('d8 d4 c8 [e8≠d8]');
  });

  it('says whether the song came back exactly', () => {
    const base = {
      title: '나비야', model: 'stateful', backend: 'wasm', window: 4, epochs: 300, learnedAtEpoch: 290, stopReason: 'learned',
      finalLoss: 0.01, trainAccuracy: 1, seconds: 150, parameters: 68108, savedTo: null,
      oneStep: { accuracy: 1, tokens: ['g8', 'e8', 'e4', 'f8', 'd8'], wrong: [] },
      fullSong: { accuracy: 1, exact: true, tokens: ['g8', 'e8', 'e4', 'f8', 'd8'], wrong: [] },
    };
    const text = learnReport(base);
    expect(text).toMatch(/sung back exactly from epoch 290/);
    expect(text).toMatch(/the whole song, exactly/);
    expect(text).not.toMatch(/\[/);
  });
});
