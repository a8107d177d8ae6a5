import { describe, expect, it } from 'vitest';
import {
  MARKDOWN_PAINTER,
  completionMessage,
  fitItems,
  jobLine,
  melodyName,
  pitchRange,
  progressMessage,
  trainSummary,
} from '../../src/bot/format.ts';
import { markNotes } from '../../src/cli/report.ts';
import { parseMelodyText } from '../../src/music/parse.ts';
import type { JobRecord } from '../../src/storage/index.ts';
import { modelsFor, readTrainParams, trainParamsToJson, type ModelSummary, type TrainParams, type TrainProgress } from '../../src/training/types.ts';

// Reply formatting: pure text, bounded to one Discord message whatever the melody's length.

const params = (model: TrainParams['model']): TrainParams => ({ model, models: modelsFor(model), epochs: 2000, window: 4, untilLearned: true, seed: 5, engine: 'fast' });

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 12,
    guildId: '1',
    channelId: '2',
    memberId: '3',
    melodyId: 4,
    melodyName: 'nabiya',
    params: {},
    state: 'running',
    position: 1,
    recovered: false,
    startedSeq: 1,
    attempts: 1,
    cancelRequested: false,
    progress: null,
    lossHistory: [],
    result: null,
    error: null,
    interactionToken: null,
    interactionExpiresAt: null,
    progressMessageId: null,
    checkpointDir: null,
    createdAt: 1_000_000,
    updatedAt: 1_000_000,
    startedAt: 1_000_000,
    finishedAt: null,
    ...overrides,
  };
}

const progress: TrainProgress = {
  model: 'stateful',
  modelIndex: 0,
  modelCount: 1,
  epoch: 500,
  epochs: 2000,
  startEpoch: 0,
  loss: 0.0123,
  accuracy: 0.98,
  elapsedMs: 50_000,
  finished: [],
};

function summary(model: ModelSummary['model'], length: number, wrongEvery = 0): ModelSummary {
  const tokens = Array.from({ length }, (_, i) => (i % 2 ? 'e8' : 'g8'));
  const wrong = wrongEvery > 0 ? tokens.map((t, i) => ({ index: i, expected: t, got: 'c#5:16.' })).filter((w) => w.index >= 4 && w.index % wrongEvery === 0) : [];
  return {
    model,
    backend: 'wasm',
    window: 4,
    epochs: 780,
    learnedAtEpoch: wrongEvery ? null : 780,
    stopReason: wrongEvery ? 'epochs' : 'learned',
    finalLoss: 0.00012,
    trainAccuracy: 1,
    oneStepAccuracy: 1,
    fullSong: { accuracy: wrongEvery ? 0.5 : 1, exact: !wrongEvery, tokens, wrong },
    seconds: 62,
    parameters: 68108,
  };
}

describe('reply formatting', () => {
  it('marks wrong notes as a teacher would, start notes in italics', () => {
    const text = markNotes(['g8', 'e8', 'e4', 'f8', 'd8', 'e8'], [{ index: 5, expected: 'd4', got: 'e8' }], 4, MARKDOWN_PAINTER);
    expect(text).toBe('*g8* *e8* *e4* *f8* d8 ~~e8~~→**d4**');
  });

  it('escapes and bounds melody names', () => {
    expect(melodyName('a_b*c')).toBe('**a\\_b\\*c**');
    expect(melodyName('x'.repeat(100)).length).toBeLessThan(70);
  });

  it('fits items into a budget, saying how many were left out', () => {
    expect(fitItems(['a', 'b', 'c'], 10)).toBe('a b c');
    const cut = fitItems(Array.from({ length: 100 }, (_, i) => `n${i}`), 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut).toMatch(/… \(\+\d+ more\)$/);
  });

  it('names the range of a melody in scientific pitch', () => {
    expect(pitchRange(parseMelodyText('g8 e8 c4 f#5:4 r4').events)).toBe('C4–F♯5');
    expect(pitchRange(parseMelodyText('r4').events)).toBe('rests only');
  });

  it('renders the progress message in each state', () => {
    const running = progressMessage({ job: job({ params: {} }), params: params('stateful'), progress, position: null, result: null });
    expect(running).toContain('🦋 **Job #12** · **nabiya** · stateful · up to 2000 epochs, stops once learned · window 4 · seed 5 · by <@3>');
    expect(running).toMatch(/`█{5}░{15}` 25% · epoch 500\/2000 · loss 0\.0123 · accuracy 98\.0% · ETA ≤ 2m30s/);
    expect(progressMessage({ job: job({ state: 'queued', startedAt: null }), params: params('stateful'), progress: null, position: 3, result: null })).toContain(
      '⏳ Queued — position 3 in the queue.',
    );
    expect(progressMessage({ job: job({ state: 'queued', recovered: true }), params: params('stateful'), progress, position: 1, result: null })).toContain(
      '⏸ Paused while the bot restarted (stateful, last at epoch 500); it resumes from its last checkpoint · position 1 in the queue.',
    );
    expect(progressMessage({ job: job({ state: 'failed', error: 'The training worker crashed: out of memory' }), params: params('mlp'), progress, position: null, result: null })).toContain(
      '❌ Training failed: The training worker crashed: out of memory',
    );
    expect(progressMessage({ job: job({ state: 'cancelled' }), params: params('mlp'), progress, position: null, result: null })).toContain('🚫 Cancelled at epoch 500/2000.');

    const all = progressMessage({
      job: job(),
      params: params('all'),
      progress: { ...progress, model: 'lstm', modelIndex: 1, modelCount: 4, finished: [summary('mlp', 54)] },
      position: null,
      result: null,
    });
    expect(all.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^✅ mlp — 780 epochs · learned at epoch 780 · loss 1\.20e-4 · accuracy 100\.00%$/),
      expect.stringMatching(/^▶️ lstm — `/),
      '· stateful — waiting',
      '· stateful-2f — waiting',
    ]);
  });

  it('keeps the loss summary within one message, for one model and for four, even for long melodies', () => {
    const done = job({ state: 'done', finishedAt: 1_062_000 });
    const one = trainSummary(done, params('stateful'), { melody: 'nabiya', models: [summary('stateful', 54)], seconds: 62 });
    expect(one).toContain('**stateful** · 780 epochs run (stopped once learned at epoch 780) · learned at epoch 780');
    expect(one).toContain('final loss 1.20e-4 · train accuracy 100.00% · training 1m02s on wasm · 68,108 parameters');
    // the engine, where the summary records it
    const fast = trainSummary(done, params('stateful'), { melody: 'nabiya', models: [{ ...summary('stateful', 54), engine: 'fast' }], seconds: 62 });
    expect(fast).toContain('training 1m02s on the fast engine ·');
    const reference = trainSummary(done, params('stateful'), { melody: 'nabiya', models: [{ ...summary('stateful', 54), engine: 'tfjs' }], seconds: 62 });
    expect(reference).toContain('training 1m02s on tf.js (wasm) ·');
    expect(one).toContain('full song 100.00%, exactly the original, one step 100.00%');
    expect(one).toContain('*g8* *e8* *g8* *e8* g8 e8');

    const long = trainSummary(done, params('all'), {
      melody: 'long',
      models: (['mlp', 'lstm', 'stateful', 'stateful-2f'] as const).map((m) => summary(m, 1000, 2)),
      seconds: 1,
    });
    expect(long.length).toBeLessThanOrEqual(2000);
    expect(long).toMatch(/```\nmodel +epochs +learned +loss +accuracy +full song +time\nmlp +780 +– +1\.20e-4 +100\.00% +50\.00% +1m02s\n/);
    for (const m of ['mlp', 'lstm', 'stateful', 'stateful-2f']) expect(long).toMatch(new RegExp(`\\*\\*${m}\\*\\* \\*g8\\*.*… \\(\\+\\d+ more\\)`));

    const single = trainSummary(done, params('mlp'), { melody: 'long', models: [summary('mlp', 1000, 3)], seconds: 1 });
    expect(single.length).toBeLessThanOrEqual(2000);
  });

  it('lists jobs and renders completions', () => {
    expect(jobLine(job(), params('stateful'), progress, null)).toMatch(/^\*\*#12\*\* \*\*nabiya\*\* · stateful · <@3> · running `[█░]{10}` epoch 500\/2000 · ETA 2m30s$/);
    expect(jobLine(job({ state: 'queued' }), params('all'), null, 2)).toBe('**#12** **nabiya** · all models · <@3> · waiting · position 2');
    const text = completionMessage({
      melody: 'nabiya',
      model: 'stateful',
      epochs: 2000,
      learnedAtEpoch: 780,
      window: 4,
      start: 8,
      temperature: 0,
      tokens: ['c8', 'd8', 'e8', 'f8', 'g8', 'g8'],
      fullSong: { accuracy: 0.5, exact: false, wrong: [{ index: 13, expected: 'g4', got: 'g8' }] },
      oneStepAccuracy: 1,
    });
    expect(text).toContain('from note 9');
    expect(text).toContain('Against the original: 50.00% right (1 wrong) · one-step accuracy 100.00%');
    expect(text).toContain('*c8* *d8* *e8* *f8* g8 ~~g8~~→**g4**');
  });
});

describe('job parameters', () => {
  it('keep the engine a member chose, and read rows from before engines were per job', () => {
    const chosen = readTrainParams(trainParamsToJson({ ...params('stateful'), engine: 'tfjs' }));
    expect(chosen.engine).toBe('tfjs');
    const before = process.env.NABI_ENGINE;
    try {
      delete process.env.NABI_ENGINE;
      expect(readTrainParams({ model: 'stateful', epochs: 100 }).engine).toBe('fast');
      process.env.NABI_ENGINE = 'tfjs';
      expect(readTrainParams({ model: 'stateful', epochs: 100 }).engine).toBe('tfjs');
      // an engine name this build does not know falls back too, rather than failing the job
      expect(readTrainParams({ model: 'stateful', engine: 'gpu' }).engine).toBe('tfjs');
    } finally {
      if (before === undefined) delete process.env.NABI_ENGINE;
      else process.env.NABI_ENGINE = before;
    }
  });
});
