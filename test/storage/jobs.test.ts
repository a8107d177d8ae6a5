import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type NewJob, type Storage } from '../../src/storage/index.ts';
import { makeTempDir } from './temp-dir.ts';

describe('job repository', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let storage: Storage;
  let clock = 1000;
  beforeEach(() => {
    temp = makeTempDir();
    clock = 1000;
    storage = openStorage(temp.dir, { now: () => clock++ });
  });
  afterEach(() => {
    storage.close();
    temp.remove();
  });

  const newJob = (overrides: Partial<NewJob> = {}): NewJob => ({
    guildId: 'g1',
    channelId: 'c1',
    memberId: 'u1',
    melodyId: null,
    melodyName: 'nabiya',
    params: { model: 'lstm', epochs: 2000 },
    ...overrides,
  });

  it('inserts queued jobs at increasing positions with their params', () => {
    const a = storage.jobs.insert(newJob({ interactionToken: 'tok', interactionExpiresAt: 5000 }));
    const b = storage.jobs.insert(newJob({ guildId: 'g2' }));
    expect(a).toMatchObject({
      state: 'queued',
      params: { model: 'lstm', epochs: 2000 },
      interactionToken: 'tok',
      interactionExpiresAt: 5000,
      attempts: 0,
      recovered: false,
      progress: null,
      lossHistory: [],
      result: null,
      error: null,
      startedAt: null,
    });
    expect(b.position).toBeGreaterThan(a.position);
    expect(b.id).toBeGreaterThan(a.id);
  });

  it('claims, records progress and loss history, and finishes', () => {
    const job = storage.jobs.insert(newJob());
    const claimed = storage.transaction(() => storage.jobs.claim(job.id));
    expect(claimed).toMatchObject({ state: 'running', attempts: 1, startedSeq: 1, startedAt: expect.any(Number) });
    expect(() => storage.jobs.claim(job.id)).toThrow(/not queued/);

    storage.jobs.saveProgress(job.id, { epoch: 1 }, [{ epoch: 1, loss: 2.5 }]);
    storage.jobs.saveProgress(job.id, { epoch: 2 }, [
      { epoch: 2, loss: 1.5, accuracy: 0.5, series: 'lstm' },
      { epoch: 3, loss: 1.0 },
    ]);
    storage.jobs.saveProgress(job.id, null, []);
    expect(storage.jobs.get(job.id)).toMatchObject({
      progress: { epoch: 2 },
      lossHistory: [
        { epoch: 1, loss: 2.5 },
        { epoch: 2, loss: 1.5, accuracy: 0.5, series: 'lstm' },
        { epoch: 3, loss: 1.0 },
      ],
    });

    const done = storage.jobs.finish(job.id, 'done', { result: { accuracy: 1 } });
    expect(done).toMatchObject({ state: 'done', result: { accuracy: 1 }, finishedAt: expect.any(Number) });
    expect(storage.jobs.finish(job.id, 'failed', { error: 'late' })).toBeNull();
  });

  it('bounds stored error text', () => {
    const job = storage.jobs.insert(newJob());
    const failed = storage.jobs.finish(job.id, 'failed', { error: 'x'.repeat(10_000) });
    expect(failed?.error).toHaveLength(2000);
  });

  it('counts only queued and running jobs of that member in that server', () => {
    const a = storage.jobs.insert(newJob());
    storage.jobs.insert(newJob());
    storage.jobs.insert(newJob({ memberId: 'u2' }));
    storage.jobs.insert(newJob({ guildId: 'g2' }));
    expect(storage.jobs.countActiveForMember('g1', 'u1')).toBe(2);
    storage.jobs.finish(a.id, 'cancelled');
    expect(storage.jobs.countActiveForMember('g1', 'u1')).toBe(1);
  });

  it('lists a server\'s jobs newest first, filtered by state', () => {
    const a = storage.jobs.insert(newJob());
    const b = storage.jobs.insert(newJob());
    storage.jobs.insert(newJob({ guildId: 'g2' }));
    storage.jobs.finish(a.id, 'done', { result: {} });
    expect(storage.jobs.listByGuild('g1').map((j) => j.id)).toEqual([b.id, a.id]);
    expect(storage.jobs.listByGuild('g1', { states: ['queued', 'running'] }).map((j) => j.id)).toEqual([b.id]);
    expect(storage.jobs.listByGuild('g1', { limit: 1 }).map((j) => j.id)).toEqual([b.id]);
  });

  it('knows when each waiting server last had a job started', () => {
    const a = storage.jobs.insert(newJob());
    const b = storage.jobs.insert(newJob({ guildId: 'g2' }));
    storage.jobs.insert(newJob());
    storage.jobs.insert(newJob({ guildId: 'g2' }));
    storage.jobs.insert(newJob({ guildId: 'g3' }));
    storage.jobs.claim(b.id);
    storage.jobs.claim(a.id);
    expect(storage.jobs.lastStartedSeqByGuild()).toEqual(new Map([['g2', 1], ['g1', 2]]));
  });

  it('recovers interrupted jobs: requeued in front, cancelled if asked, failed after too many attempts', () => {
    const resumed = storage.jobs.insert(newJob());
    const cancelled = storage.jobs.insert(newJob());
    const crashy = storage.jobs.insert(newJob());
    const waiting = storage.jobs.insert(newJob());
    for (const job of [resumed, cancelled, crashy]) storage.jobs.claim(job.id);
    storage.jobs.requestCancel(cancelled.id);
    // crashy has been started twice already.
    storage.jobs.requeue(crashy.id);
    storage.jobs.claim(crashy.id);

    const outcome = storage.jobs.recoverInterrupted(2);
    expect(outcome.requeued.map((j) => j.id)).toEqual([resumed.id]);
    expect(outcome.cancelled.map((j) => j.id)).toEqual([cancelled.id]);
    expect(outcome.failed.map((j) => j.id)).toEqual([crashy.id]);
    expect(outcome.failed[0]?.error).toMatch(/restarted while this job was running, 2 times/);
    expect(storage.jobs.get(resumed.id)).toMatchObject({ state: 'queued', recovered: true, attempts: 1 });
    expect(storage.jobs.get(waiting.id)).toMatchObject({ state: 'queued', recovered: false });
  });

  it('stores the reply\'s interaction, progress message and checkpoint directory', () => {
    const job = storage.jobs.insert(newJob());
    storage.jobs.setInteraction(job.id, 'token-2', 99);
    storage.jobs.setProgressMessage(job.id, '123');
    storage.jobs.setCheckpointDir(job.id, '/data/checkpoints/job-1');
    expect(storage.jobs.get(job.id)).toMatchObject({
      interactionToken: 'token-2',
      interactionExpiresAt: 99,
      progressMessageId: '123',
      checkpointDir: '/data/checkpoints/job-1',
    });
  });

  it('rejects an unknown state at the database level', () => {
    expect(() => storage.jobs.finish(storage.jobs.insert(newJob()).id, 'exploded' as 'done')).toThrow(/CHECK constraint/);
  });
});
