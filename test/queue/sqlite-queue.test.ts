import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JobAbortedError,
  MemberJobLimitError,
  SqliteJobQueue,
  type EnqueueRequest,
  type JobQueueEvents,
  type JobRunner,
  type SqliteJobQueueOptions,
} from '../../src/queue/index.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { makeTempDir } from '../storage/temp-dir.ts';
import { RunnerHarness, waitUntil } from './harness.ts';

const request = (guildId: string, memberId = 'u1', extra: Partial<EnqueueRequest> = {}): EnqueueRequest => ({
  guildId,
  channelId: `${guildId}-chan`,
  memberId,
  melodyId: null,
  melodyName: 'nabiya',
  params: { model: 'lstm', epochs: 5 },
  ...extra,
});

describe('SqliteJobQueue', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let storage: Storage;
  const queues: SqliteJobQueue[] = [];
  const warnings: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (message: string) => void warnings.push(message),
    error: (message: string) => void warnings.push(message),
  };

  beforeEach(() => {
    temp = makeTempDir();
    storage = openStorage(temp.dir);
    warnings.length = 0;
  });
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.stop({ timeoutMs: 50 });
    storage.close();
    temp.remove();
  });

  function makeQueue(runner: JobRunner, options: Partial<SqliteJobQueueOptions> = {}): SqliteJobQueue {
    const queue = new SqliteJobQueue({ storage, runner, workers: 1, maxJobsPerMember: 10, logger, ...options });
    queues.push(queue);
    return queue;
  }

  function record<E extends keyof JobQueueEvents>(queue: SqliteJobQueue, event: E): JobQueueEvents[E][] {
    const seen: JobQueueEvents[E][] = [];
    queue.on(event, (payload) => seen.push(payload));
    return seen;
  }

  it('runs one server\'s jobs first-in first-out and reports places in line', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    await queue.start();
    const a = await queue.enqueue(request('g1'));
    const b = await queue.enqueue(request('g1'));
    const c = await queue.enqueue(request('g1'));
    expect([a.position, b.position, c.position]).toEqual([0, 1, 2]);
    expect(a.job.state).toBe('running');

    for (const next of [b, c]) {
      harness.finish(harness.running[0]!);
      await harness.waitForStart(next.job.id);
    }
    harness.finish(c.job.id, { accuracy: 1 });
    await waitUntil(() => storage.jobs.get(c.job.id)?.state === 'done');
    expect(harness.started).toEqual([a.job.id, b.job.id, c.job.id]);
    expect(storage.jobs.get(c.job.id)?.result).toEqual({ accuracy: 1 });
  });

  it('shares workers round-robin among servers', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    const a1 = await queue.enqueue(request('A'));
    const a2 = await queue.enqueue(request('A'));
    const a3 = await queue.enqueue(request('A'));
    const b1 = await queue.enqueue(request('B'));
    const c1 = await queue.enqueue(request('C'));
    // Not started yet: places in line already follow the fair order.
    expect(await queue.position(a1.job.id)).toBe(1);
    expect(await queue.position(b1.job.id)).toBe(2);
    expect(await queue.position(c1.job.id)).toBe(3);
    expect(await queue.position(a2.job.id)).toBe(4);

    await queue.start();
    const expected = [a1, b1, c1, a2, a3].map((entry) => entry.job.id);
    for (const id of expected) {
      await harness.waitForStart(id);
      harness.finish(id);
    }
    expect(harness.started).toEqual(expected);
  });

  it('a server arriving late is served before a busy server\'s next job', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    await queue.start();
    const a1 = await queue.enqueue(request('A'));
    const a2 = await queue.enqueue(request('A'));
    const a3 = await queue.enqueue(request('A'));
    harness.finish(a1.job.id);
    await harness.waitForStart(a2.job.id);
    const b1 = await queue.enqueue(request('B'));
    expect(b1.position).toBe(1);
    harness.finish(a2.job.id);
    await harness.waitForStart(b1.job.id);
    harness.finish(b1.job.id);
    await harness.waitForStart(a3.job.id);
    expect(harness.started).toEqual([a1.job.id, a2.job.id, b1.job.id, a3.job.id]);
  });

  it('runs up to N jobs at once', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner, { workers: 2 });
    await queue.start();
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await queue.enqueue(request(`g${i}`)));
    expect(jobs.map((j) => j.position)).toEqual([0, 0, 1]);
    expect(harness.running).toEqual([jobs[0]!.job.id, jobs[1]!.job.id]);
    harness.finish(jobs[1]!.job.id);
    await harness.waitForStart(jobs[2]!.job.id);
    expect(harness.running.sort()).toEqual([jobs[0]!.job.id, jobs[2]!.job.id].sort());
  });

  it('caps each member\'s queued plus running jobs per server with a clear message', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner, { maxJobsPerMember: 2 });
    await queue.start();
    const first = await queue.enqueue(request('g1', 'u1'));
    await queue.enqueue(request('g1', 'u1'));
    const error = await queue.enqueue(request('g1', 'u1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemberJobLimitError);
    expect((error as MemberJobLimitError).userMessage).toBe(
      'You already have 2 training jobs waiting or running in this server; the limit is 2 per member. Wait for one to finish, or cancel one with /cancel (see /jobs).',
    );
    // Other members and the same member elsewhere are not affected.
    await expect(queue.enqueue(request('g1', 'u2'))).resolves.toBeDefined();
    await expect(queue.enqueue(request('g2', 'u1'))).resolves.toBeDefined();
    // A finished job frees a slot.
    harness.finish(first.job.id);
    await waitUntil(() => storage.jobs.get(first.job.id)?.state === 'done');
    await expect(queue.enqueue(request('g1', 'u1'))).resolves.toBeDefined();
    expect(storage.jobs.listByGuild('g1')).toHaveLength(4);
  });

  it('cancelling a queued job removes it from the line without running it', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    const cancelled = record(queue, 'cancelled');
    await queue.start();
    const a = await queue.enqueue(request('g1'));
    const b = await queue.enqueue(request('g1'));
    const c = await queue.enqueue(request('g1'));

    const outcome = await queue.cancel(b.job.id);
    expect(outcome).toMatchObject({ status: 'cancelled', job: { id: b.job.id, state: 'cancelled' } });
    expect(cancelled.map((e) => e.job.id)).toEqual([b.job.id]);
    expect(await queue.position(b.job.id)).toBeNull();
    expect(await queue.position(c.job.id)).toBe(1);

    harness.finish(a.job.id);
    await harness.waitForStart(c.job.id);
    expect(harness.started).toEqual([a.job.id, c.job.id]);
    expect(await queue.cancel(b.job.id)).toMatchObject({ status: 'already-finished' });
    expect(await queue.cancel(9999)).toEqual({ status: 'not-found' });
  });

  it('cancelling a running job signals its runner, ends it as cancelled and frees the worker', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    const cancelled = record(queue, 'cancelled');
    await queue.start();
    const a = await queue.enqueue(request('g1'));
    const b = await queue.enqueue(request('g1'));
    const context = await harness.waitForStart(a.job.id);

    const outcome = await queue.cancel(a.job.id);
    expect(outcome).toMatchObject({ status: 'stopping', job: { cancelRequested: true } });
    expect(context.signal.aborted).toBe(true);
    expect(context.signal.reason).toBeInstanceOf(JobAbortedError);
    expect((context.signal.reason as JobAbortedError).kind).toBe('cancelled');

    await harness.waitForStart(b.job.id);
    expect(storage.jobs.get(a.job.id)).toMatchObject({ state: 'cancelled', error: null });
    expect(cancelled.map((e) => e.job.id)).toEqual([a.job.id]);
  });

  it('a cancel wins even if the runner ignores the signal and finishes', async () => {
    const harness = new RunnerHarness({ honourAbort: false });
    const queue = makeQueue(harness.runner);
    await queue.start();
    const a = await queue.enqueue(request('g1'));
    await queue.cancel(a.job.id);
    expect(storage.jobs.get(a.job.id)?.state).toBe('running');
    harness.finish(a.job.id, { late: true });
    await waitUntil(() => storage.jobs.get(a.job.id)?.state === 'cancelled');
    expect(storage.jobs.get(a.job.id)?.result).toBeNull();
  });

  it('a runner that throws fails only its job', async () => {
    const runner: JobRunner = async (context) => {
      if (context.params.explode === true) throw new Error('tensor shapes do not match');
      return { ok: true };
    };
    const queue = makeQueue(runner);
    const failed = record(queue, 'failed');
    const done = record(queue, 'done');
    await queue.start();
    const bad = await queue.enqueue(request('g1', 'u1', { params: { explode: true } }));
    const good = await queue.enqueue(request('g1'));
    await waitUntil(() => done.length === 1);
    expect(storage.jobs.get(bad.job.id)).toMatchObject({ state: 'failed', error: 'tensor shapes do not match' });
    expect(failed.map((e) => e.job.error)).toEqual(['tensor shapes do not match']);
    expect(done[0]?.job).toMatchObject({ id: good.job.id, state: 'done', result: { ok: true } });
  });

  it('a runner that throws synchronously is a failed job, not a crash', async () => {
    const queue = makeQueue(() => {
      throw new TypeError('not a function');
    });
    await queue.start();
    const job = await queue.enqueue(request('g1'));
    await waitUntil(() => storage.jobs.get(job.job.id)?.state === 'failed');
    expect(storage.jobs.get(job.job.id)?.error).toBe('not a function');
  });

  it('broadcasts every progress report and persists progress and loss history', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner, { progressPersistIntervalMs: 20 });
    const progress = record(queue, 'progress');
    const started = record(queue, 'started');
    await queue.start();
    const { job } = await queue.enqueue(request('g1'));
    const context = await harness.waitForStart(job.id);
    expect(started.map((e) => e.job.id)).toEqual([job.id]);

    for (let epoch = 1; epoch <= 5; epoch++) {
      context.reportProgress({ epoch, epochs: 5, loss: 1 / epoch }, [{ epoch, loss: 1 / epoch, accuracy: epoch / 5 }]);
    }
    expect(progress.map((e) => e.progress.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(progress[4]).toMatchObject({ job: { id: job.id }, lossPoints: [{ epoch: 5, loss: 0.2, accuracy: 1 }] });

    // Persisted once the interval has passed, while the job is still running.
    await waitUntil(() => storage.jobs.get(job.id)?.lossHistory.length === 5, 2000, 'progress to be persisted');
    expect(storage.jobs.get(job.id)?.progress).toEqual({ epoch: 5, epochs: 5, loss: 0.2 });

    context.reportProgress({ epoch: 6 }, [{ epoch: 6, loss: 0.1 }]);
    harness.finish(job.id);
    await waitUntil(() => storage.jobs.get(job.id)?.state === 'done');
    // The last report is flushed before the job ends, whatever the interval.
    expect(storage.jobs.get(job.id)?.lossHistory.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives each job a checkpoint directory that exists while it runs and is removed when it ends', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    await queue.start();
    const { job } = await queue.enqueue(request('g1'));
    const context = await harness.waitForStart(job.id);
    expect(context.checkpointDir).toBe(path.join(temp.dir, 'checkpoints', `job-${job.id}`));
    expect(fs.existsSync(context.checkpointDir)).toBe(true);
    expect(context.attempt).toBe(1);
    expect(storage.jobs.get(job.id)?.checkpointDir).toBe(context.checkpointDir);
    fs.writeFileSync(path.join(context.checkpointDir, 'weights.bin'), 'x');
    harness.finish(job.id);
    await waitUntil(() => storage.jobs.get(job.id)?.state === 'done');
    expect(fs.existsSync(context.checkpointDir)).toBe(false);
  });

  it('a listener that throws does not disturb the queue', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    queue.on('started', () => {
      throw new Error('listener bug');
    });
    const unsubscribe = queue.on('done', () => {
      throw new Error('listener bug');
    });
    unsubscribe();
    await queue.start();
    const { job } = await queue.enqueue(request('g1'));
    harness.finish(job.id);
    await waitUntil(() => storage.jobs.get(job.id)?.state === 'done');
    expect(warnings).toEqual(['job queue "started" listener threw']);
  });

  it('after a crash, the interrupted job resumes first from its checkpoint and the waiting jobs keep their order', async () => {
    // First process: the job writes a checkpoint, then the process "dies" (the database is closed
    // under it, no stop()).
    const first = new RunnerHarness({
      onStart: (context) => fs.writeFileSync(path.join(context.checkpointDir, 'epoch.txt'), '40'),
    });
    const queue1 = makeQueue(first.runner);
    await queue1.start();
    const interrupted = await queue1.enqueue(request('A'));
    const waiting = [await queue1.enqueue(request('B')), await queue1.enqueue(request('A')), await queue1.enqueue(request('C'))];
    await first.waitForStart(interrupted.job.id);
    // The order promised to members before the crash: B, then C (A has just had a turn), then A.
    const places = new Map<number, number | null>();
    for (const entry of waiting) places.set(entry.job.id, await queue1.position(entry.job.id));
    const promised = waiting.map((entry) => entry.job.id).sort((x, y) => (places.get(x) ?? 0) - (places.get(y) ?? 0));
    expect(promised).toEqual([waiting[0]!.job.id, waiting[2]!.job.id, waiting[1]!.job.id]);
    storage.close();
    // The orphaned runner ends later; the dead process cannot record it, and must not crash.
    first.finish(interrupted.job.id, { fromFirstProcess: true });
    await waitUntil(() => warnings.includes('could not record the end of a job; it will be recovered at the next start'));

    // Second process.
    storage = openStorage(temp.dir);
    const resumedFrom = new Map<number, string>();
    const second = new RunnerHarness({
      onStart: (context) => {
        const file = path.join(context.checkpointDir, 'epoch.txt');
        resumedFrom.set(context.job.id, fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : 'scratch');
      },
    });
    const queue2 = makeQueue(second.runner);
    const requeued = record(queue2, 'requeued');
    await queue2.start();
    expect(requeued.map((e) => e.job.id)).toEqual([interrupted.job.id]);

    const context = await second.waitForStart(interrupted.job.id);
    expect(context.attempt).toBe(2);
    expect(resumedFrom.get(interrupted.job.id)).toBe('40');
    second.finish(interrupted.job.id, { resumed: true });
    for (const id of promised) {
      await second.waitForStart(id);
      second.finish(id);
    }
    expect(second.started).toEqual([interrupted.job.id, ...promised]);
    await waitUntil(() => promised.every((id) => storage.jobs.get(id)?.state === 'done'));
    expect(storage.jobs.get(interrupted.job.id)).toMatchObject({ state: 'done', result: { resumed: true }, attempts: 2 });
    expect(resumedFrom.get(waiting[0]!.job.id)).toBe('scratch');
    expect(fs.existsSync(context.checkpointDir)).toBe(false);
  });

  it('a graceful stop puts running jobs back in front to resume at the next start', async () => {
    const harness = new RunnerHarness();
    const queue1 = makeQueue(harness.runner);
    const requeued = record(queue1, 'requeued');
    await queue1.start();
    const running = await queue1.enqueue(request('A'));
    const waiting = await queue1.enqueue(request('B'));
    const context = await harness.waitForStart(running.job.id);
    context.reportProgress({ epoch: 3 }, [{ epoch: 3, loss: 0.5 }]);

    await queue1.stop();
    expect((context.signal.reason as JobAbortedError).kind).toBe('shutdown');
    expect(requeued.map((e) => e.job.id)).toEqual([running.job.id]);
    expect(storage.jobs.get(running.job.id)).toMatchObject({ state: 'queued', recovered: true, progress: { epoch: 3 } });
    expect(fs.existsSync(context.checkpointDir)).toBe(true);

    const again = new RunnerHarness();
    const queue2 = makeQueue(again.runner);
    await queue2.start();
    await again.waitForStart(running.job.id);
    again.finish(running.job.id);
    await again.waitForStart(waiting.job.id);
    expect(again.started).toEqual([running.job.id, waiting.job.id]);
  });

  it('a stop that times out leaves the job to be recovered at the next start', async () => {
    const harness = new RunnerHarness({ honourAbort: false });
    const queue1 = makeQueue(harness.runner);
    await queue1.start();
    const { job } = await queue1.enqueue(request('A'));
    await harness.waitForStart(job.id);
    await queue1.stop({ timeoutMs: 20 });
    expect(storage.jobs.get(job.id)?.state).toBe('running');
    expect(warnings).toContain('runners did not stop in time; their jobs resume at the next start');
    storage.close();
    harness.finish(job.id);

    storage = openStorage(temp.dir);
    const again = new RunnerHarness();
    const queue2 = makeQueue(again.runner);
    await queue2.start();
    expect((await again.waitForStart(job.id)).attempt).toBe(2);
  });

  it('a job whose cancel was requested before a crash is not resumed', async () => {
    const harness = new RunnerHarness({ honourAbort: false });
    const queue1 = makeQueue(harness.runner);
    await queue1.start();
    const { job } = await queue1.enqueue(request('A'));
    await harness.waitForStart(job.id);
    await queue1.cancel(job.id);
    storage.close();

    storage = openStorage(temp.dir);
    const again = new RunnerHarness();
    const queue2 = makeQueue(again.runner);
    const cancelled = record(queue2, 'cancelled');
    await queue2.start();
    expect(cancelled.map((e) => e.job.id)).toEqual([job.id]);
    expect(storage.jobs.get(job.id)?.state).toBe('cancelled');
    expect(again.started).toEqual([]);
  });

  it('jobs enqueued before start() wait, and list by server newest first', async () => {
    const harness = new RunnerHarness();
    const queue = makeQueue(harness.runner);
    const a = await queue.enqueue(request('g1'));
    const b = await queue.enqueue(request('g1'));
    await queue.enqueue(request('g2'));
    expect(harness.started).toEqual([]);
    expect((await queue.listByGuild('g1')).map((j) => j.id)).toEqual([b.job.id, a.job.id]);
    expect(await queue.get(a.job.id)).toMatchObject({ state: 'queued' });
    await queue.start();
    await harness.waitForStart(a.job.id);
    expect((await queue.listByGuild('g1', { states: ['running'] })).map((j) => j.id)).toEqual([a.job.id]);
  });

  it('validates its options', () => {
    const harness = new RunnerHarness();
    expect(() => new SqliteJobQueue({ storage, runner: harness.runner, workers: 0, maxJobsPerMember: 1 })).toThrow(/workers/);
    expect(() => new SqliteJobQueue({ storage, runner: harness.runner, workers: 1, maxJobsPerMember: 0 })).toThrow(/maxJobsPerMember/);
  });
});
