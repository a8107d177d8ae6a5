import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobAbortedError, type Job, type JobRunContext, type LossPoint } from '../../src/queue/index.ts';
import { openStorage, type JsonObject, type Storage } from '../../src/storage/index.ts';
import { createTrainingRunner, modelDirectory } from '../../src/training/runner.ts';
import { ALL_MODELS, modelsFor, readTrainProgress, readTrainResult, trainParamsToJson, type TrainParams } from '../../src/training/types.ts';

// The JobRunner on a real SQLite storage with tiny runs (a 7-note melody, a handful of epochs).

let dataDir: string;
let storage: Storage;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-runner-'));
  storage = openStorage(dataDir);
});

afterEach(() => {
  storage.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function setup(params: TrainParams): { job: Job; checkpointDir: string } {
  const melody = storage.melodies.create({ guildId: '1'.repeat(18), name: 'tiny', ownerId: '2'.repeat(18), notes: 'c4 d4 e4 c4 d4 e4 c4', sourceKind: 'text' });
  const inserted = storage.jobs.insert({
    guildId: melody.guildId,
    channelId: '3'.repeat(18),
    memberId: melody.ownerId,
    melodyId: melody.id,
    melodyName: melody.name,
    params: trainParamsToJson(params),
  });
  const job = storage.jobs.claim(inserted.id);
  const checkpointDir = path.join(dataDir, 'checkpoints', `job-${job.id}`);
  fs.mkdirSync(checkpointDir, { recursive: true });
  return { job, checkpointDir };
}

function context(job: Job, checkpointDir: string, signal: AbortSignal, onProgress: (progress: JsonObject, loss: readonly LossPoint[]) => void): JobRunContext {
  return { job, params: job.params, signal, checkpointDir, attempt: job.attempts, reportProgress: onProgress };
}

const params = (model: TrainParams['model'], epochs: number, engine: TrainParams['engine'] = 'fast'): TrainParams => ({
  model,
  models: modelsFor(model),
  epochs,
  window: 3,
  untilLearned: false,
  seed: 5,
  engine,
});

describe('the training runner', () => {
  it('trains, reports progress and loss points, keeps the model and records it', async () => {
    const { job, checkpointDir } = setup(params('mlp', 5));
    const progress: JsonObject[] = [];
    const loss: LossPoint[] = [];
    const runner = createTrainingRunner({ storage, checkpointEvery: 2 });
    const result = readTrainResult(
      await runner(
        context(job, checkpointDir, new AbortController().signal, (p, points) => {
          progress.push(p);
          loss.push(...points);
        }),
      ),
    );
    expect(progress.map((p) => readTrainProgress(p)?.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(readTrainProgress(progress[0]!)).toMatchObject({ model: 'mlp', modelIndex: 0, modelCount: 1, epochs: 5, startEpoch: 0 });
    expect(loss.map((p) => p.series)).toEqual(['mlp', 'mlp', 'mlp', 'mlp', 'mlp']);
    expect(result?.melody).toBe('tiny');
    expect(result?.models).toHaveLength(1);
    expect(result?.models[0]).toMatchObject({ model: 'mlp', epochs: 5, window: 3, engine: 'fast' });
    expect(result?.models[0]?.fullSong.tokens).toHaveLength(7);

    const target = modelDirectory(path.join(dataDir, 'models'), job.guildId, job.melodyId!, 'mlp');
    expect(fs.existsSync(path.join(target, 'nabi.json'))).toBe(true);
    const saved = storage.models.get(job.melodyId!, 'mlp');
    expect(saved?.filesDir).toBe(target);
    expect(saved?.metadata).toMatchObject({ model: 'mlp', epochs: 5, jobId: job.id });
  });

  const ALL_MODELS_ORDER = ['mlp', 'lstm', 'stateful', 'stateful-2f'] as const;

  it('model all trains the four models one after another, and a resumed job skips the ones done', async () => {
    const { job, checkpointDir } = setup(params(ALL_MODELS, 2));
    const seen: string[] = [];
    const controller = new AbortController();
    const runner = createTrainingRunner({ storage, checkpointEvery: 1 });
    // Interrupt while the second model trains.
    const first = runner(
      context(job, checkpointDir, controller.signal, (p) => {
        const progress = readTrainProgress(p)!;
        seen.push(`${progress.model}@${progress.epoch}`);
        if (progress.model === 'lstm' && progress.epoch === 1) controller.abort(new JobAbortedError('shutdown'));
      }),
    );
    await expect(first).rejects.toBeInstanceOf(JobAbortedError);
    expect(seen.slice(0, 3)).toEqual(['mlp@1', 'mlp@2', 'lstm@1']);
    // The abort reaches the worker as a message: on the fast engine a model may finish (or the
    // next one start) before it lands. What must hold: the models with a summary are done, and
    // the resumed job trains none of them again and picks up the first unfinished one.
    const done = ALL_MODELS_ORDER.filter((m) => fs.existsSync(path.join(checkpointDir, `${m}.summary.json`)));
    expect(done[0]).toBe('mlp');
    expect(done).not.toContain('stateful-2f');
    const interrupted = ALL_MODELS_ORDER[done.length]!;

    const resumed: string[] = [];
    const result = readTrainResult(
      await runner(
        context(job, checkpointDir, new AbortController().signal, (p) => {
          const progress = readTrainProgress(p)!;
          resumed.push(`${progress.model}@${progress.epoch}`);
        }),
      ),
    );
    for (const model of done) expect(resumed.filter((r) => r.startsWith(`${model}@`))).toEqual([]);
    // It picks up the first unfinished model (or the next, when that one's last checkpoint was
    // already its final epoch and nothing is left to train), after its last checkpoint.
    const [firstModel, firstEpoch] = (resumed[0] ?? '').split('@');
    const index = (m: string | undefined): number => ALL_MODELS_ORDER.indexOf(m as (typeof ALL_MODELS_ORDER)[number]);
    expect(index(firstModel)).toBeGreaterThanOrEqual(index(interrupted));
    expect(index(firstModel)).toBeLessThanOrEqual(index(interrupted) + 1);
    if (firstModel === interrupted) {
      const lastSeen = Math.max(0, ...seen.filter((r) => r.startsWith(`${interrupted}@`)).map((r) => Number(r.split('@')[1])));
      expect(Number(firstEpoch)).toBe(Math.min(lastSeen, 1) + 1);
    }
    expect(resumed.at(-1)).toBe('stateful-2f@2');
    expect(result?.models.map((m) => m.model)).toEqual(['mlp', 'lstm', 'stateful', 'stateful-2f']);
    expect(storage.models.listByMelody(job.melodyId!).map((m) => m.modelName).sort()).toEqual(['lstm', 'mlp', 'stateful', 'stateful-2f']);
  });

  it("trains on the job's engine: tfjs when the member chose the reference", async () => {
    const { job, checkpointDir } = setup(params('mlp', 2, 'tfjs'));
    const runner = createTrainingRunner({ storage, checkpointEvery: 2 });
    const result = readTrainResult(await runner(context(job, checkpointDir, new AbortController().signal, () => {})));
    expect(result?.models[0]).toMatchObject({ model: 'mlp', epochs: 2, engine: 'tfjs' });
  });

  it('fails clearly when the melody was deleted', async () => {
    const { job, checkpointDir } = setup(params('mlp', 2));
    storage.melodies.delete(job.guildId, 'tiny');
    const runner = createTrainingRunner({ storage });
    await expect(runner(context({ ...job }, checkpointDir, new AbortController().signal, () => {}))).rejects.toThrow(/was deleted/);
  });
});
