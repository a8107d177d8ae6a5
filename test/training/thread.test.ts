import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCheckpoint, type EpochReport } from '../../src/learning/engine.ts';
import { parseMelodyText } from '../../src/music/parse.ts';
import { renderAudioFile } from '../../src/audio/index.ts';
import { AudioRequestError } from '../../src/audio/errors.ts';
import { completeInWorker, learnInWorker, renderAudioInWorker, WorkerCrashError, WorkerTaskError } from '../../src/training/thread.ts';
import { closeWorkerPool, idleWorkerCount } from '../../src/training/worker-pool.ts';

// The worker-thread runner with tiny runs: a 9-note melody and the mlp model, a few epochs each.

const events = parseMelodyText('c4 d4 e4 f4 g4 e4 c4 d4 e4').events;
const misbehaving = new URL('./misbehaving-worker.ts', import.meta.url);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-thread-'));

afterAll(async () => {
  await closeWorkerPool();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('learnInWorker', () => {
  it('trains in a worker, reports every epoch, saves the model and leaks no tensors', async () => {
    const reports: EpochReport[] = [];
    const saveTo = path.join(tmp, 'saved');
    const { result, tensors } = await learnInWorker(events, { model: 'mlp', epochs: 6, saveTo }, { onEpoch: (r) => reports.push(r) });
    expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reports.every((r) => Number.isFinite(r.loss) && r.epochs === 6)).toBe(true);
    expect(result).toMatchObject({ model: 'mlp', epochs: 6, stopReason: 'epochs', savedTo: saveTo });
    expect(result.fullSong.tokens).toHaveLength(events.length);
    expect(tensors.after).toBe(tensors.before);
    expect(fs.existsSync(path.join(saveTo, 'nabi.json'))).toBe(true);

    const completion = await completeInWorker(saveTo, { start: 0 });
    expect(completion.result.tokens.slice(0, 4)).toEqual(['c4', 'd4', 'e4', 'f4']);
    expect(completion.result.tokens).toHaveLength(events.length);
    expect(completion.tensors.after).toBe(completion.tensors.before);
  });

  it('keeps a worker that finished cleanly warm for the next task, and only such a worker', async () => {
    await closeWorkerPool();
    const first = await learnInWorker(events, { model: 'mlp', epochs: 2 });
    expect(first.threadId).toBeGreaterThan(0);
    expect(idleWorkerCount()).toBe(1);
    // the next tasks — a learn and a completion — run on that same thread, one after the other
    const saveTo = path.join(tmp, 'warm');
    const second = await learnInWorker(events, { model: 'mlp', epochs: 2, saveTo });
    expect(second.threadId).toBe(first.threadId);
    const completion = await completeInWorker(saveTo, { start: 0 });
    expect(completion.threadId).toBe(first.threadId);
    expect(completion.result.tokens.slice(0, 4)).toEqual(['c4', 'd4', 'e4', 'f4']);
    // a task that fails ends its thread: the pool is empty and the next task gets a new one
    await expect(learnInWorker(events, { model: 'mlp', epochs: 2, window: 99 })).rejects.toBeInstanceOf(WorkerTaskError);
    expect(idleWorkerCount()).toBe(0);
    const fresh = await learnInWorker(events, { model: 'mlp', epochs: 1 });
    expect(fresh.threadId).not.toBe(first.threadId);
    // a cancelled task's thread is not reused either
    const controller = new AbortController();
    const cancelled = learnInWorker(events, { model: 'mlp', epochs: 5000 }, { signal: controller.signal, onEpoch: (r) => r.epoch === 3 && controller.abort(new Error('stop')) });
    await expect(cancelled).rejects.toThrow('stop');
    expect(idleWorkerCount()).toBe(0);
    await closeWorkerPool();
    expect(idleWorkerCount()).toBe(0);
  });

  it('renders a sound file in a worker exactly as on the main thread, and passes on refusals a member can fix', async () => {
    const melody = parseMelodyText('c4 d4 e4 f4 g4 e4 c4 d4 e4');
    const [inWorker, onMain] = await Promise.all([renderAudioInWorker(melody, 'ogg', 'tiny'), renderAudioFile(melody, 'ogg', { name: 'tiny' })]);
    expect(inWorker.bytes.byteLength).toBeGreaterThan(1000);
    expect(Buffer.from(inWorker.bytes).equals(Buffer.from(onMain.bytes))).toBe(true);
    expect(inWorker).toMatchObject({ mime: onMain.mime, durationSeconds: onMain.durationSeconds, filename: onMain.filename });
    const empty = { ...melody, events: [] };
    const refused = renderAudioInWorker(empty, 'ogg');
    await expect(refused).rejects.toBeInstanceOf(AudioRequestError);
    await expect(refused).rejects.toThrow(/the melody is empty/);
  });

  it('stops soon when cancelled, with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const reports: number[] = [];
    const started = Date.now();
    const run = learnInWorker(events, { model: 'mlp', epochs: 5000 }, {
      signal: controller.signal,
      onEpoch: (r) => {
        reports.push(r.epoch);
        if (r.epoch === 3) controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect(reports.length).toBeLessThan(5000);
  });

  it('checkpoints every N epochs and resumes from the checkpoint after an interruption', async () => {
    const dir = path.join(tmp, 'checkpoints');
    const controller = new AbortController();
    // The abort travels to the worker as a message, so the worker may run a few epochs past 6
    // before it stops (the fast engine trains an mlp epoch in about a millisecond): which
    // checkpoint survives is not fixed, only that it is a multiple of 4 well before the end.
    const target = 2000;
    await expect(
      learnInWorker(events, { model: 'mlp', epochs: target, checkpoint: { dir, every: 4 } }, {
        signal: controller.signal,
        onEpoch: (r) => {
          if (r.epoch === 6) controller.abort(new Error('shutdown'));
        },
      }),
    ).rejects.toThrow('shutdown');
    const checkpoint = await findCheckpoint(dir);
    const saved = Number(/epoch-(\d+)$/.exec(checkpoint ?? '')?.[1]);
    expect(saved % 4).toBe(0);
    expect(saved).toBeGreaterThanOrEqual(4);
    expect(saved).toBeLessThan(target);

    const reports: number[] = [];
    const { result } = await learnInWorker(
      events,
      { model: 'mlp', epochs: target, checkpoint: { dir, every: 4 }, resumeFrom: checkpoint! },
      { onEpoch: (r) => reports.push(r.epoch) },
    );
    expect(reports[0]).toBe(saved + 1);
    expect(reports.at(-1)).toBe(target);
    expect(reports).toHaveLength(target - saved);
    expect(result.epochs).toBe(target);
    expect(result.startEpoch).toBe(saved);
    expect(result.history.loss).toHaveLength(target);
  });

  it('rejects with the task error when the work itself is refused', async () => {
    const error = await learnInWorker(events.slice(0, 3), { model: 'mlp', epochs: 2, window: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as WorkerTaskError).originalName).toBe('DatasetError');
    expect((error as Error).message).toMatch(/window 4 needs at least 5/);
  });

  it('a worker that throws fails with a clear crash message', async () => {
    const error = await learnInWorker(events, { model: 'mlp', epochs: 2, seed: 1 }, { workerUrl: misbehaving }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect((error as Error).message).toBe('The training worker crashed: boom in the worker');
  });

  it('a worker that exits without a result fails with its exit code', async () => {
    const reports: number[] = [];
    const error = await learnInWorker(events, { model: 'mlp', epochs: 2, seed: 2 }, { workerUrl: misbehaving, onEpoch: (r) => reports.push(r.epoch) }).catch(
      (e: unknown) => e,
    );
    expect(reports).toEqual([1]);
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect((error as Error).message).toMatch(/stopped unexpectedly \(exit code 3\)/);
  });

  it('a worker that ignores the abort is terminated after the grace period', async () => {
    const controller = new AbortController();
    const run = learnInWorker(events, { model: 'mlp', epochs: 2, seed: 3 }, { workerUrl: misbehaving, signal: controller.signal, abortGraceMs: 200 });
    setTimeout(() => controller.abort(new Error('stop now')), 300);
    const started = Date.now();
    await expect(run).rejects.toThrow('stop now');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
