import fs from 'node:fs';
import path from 'node:path';
import type { JsonObject, LossPoint, Storage } from '../storage/index.ts';
import { QueueEmitter } from './emitter.ts';
import { MemberJobLimitError } from './errors.ts';
import { fairOrder } from './fairness.ts';
import {
  JobAbortedError,
  type AbortCause,
  type CancelOutcome,
  type EnqueuedJob,
  type EnqueueRequest,
  type Job,
  type JobQueue,
  type JobQueueEventName,
  type JobQueueListener,
  type JobRunner,
  type QueueLogger,
} from './types.ts';

// The embedded queue: jobs are rows in SQLite, so the queue survives restarts without a server.
// Runs up to `workers` jobs at once in this process; the runner decides where the work happens
// (the trainer runs it in a worker thread). Progress is broadcast on every report but written to
// the database at most once per `progressPersistIntervalMs`, because a 2000-epoch run reports
// thousands of times and rewriting the loss history each time would grow quadratically.

export interface SqliteJobQueueOptions {
  readonly storage: Storage;
  readonly runner: JobRunner;
  /** Jobs running at once, at least 1. */
  readonly workers: number;
  /** Jobs one member may have queued or running in one server. */
  readonly maxJobsPerMember: number;
  /** Where per-job checkpoint directories go; default <dataDir>/checkpoints. */
  readonly checkpointRoot?: string;
  /** A job found running after this many restarts is failed instead of resumed again. Default 3. */
  readonly maxAttempts?: number;
  /** Default 1000 ms. */
  readonly progressPersistIntervalMs?: number;
  /** How long stop() waits for runners to wind down. Default 10 s. */
  readonly stopTimeoutMs?: number;
  readonly logger?: QueueLogger;
}

interface RunningJob {
  readonly job: Job;
  readonly controller: AbortController;
  abortCause: AbortCause | null;
  pendingProgress: JsonObject | null;
  pendingLoss: LossPoint[];
  flushTimer: NodeJS.Timeout | null;
  settled: Promise<void>;
}

export class SqliteJobQueue implements JobQueue {
  readonly #storage: Storage;
  readonly #runner: JobRunner;
  readonly #workers: number;
  readonly #maxJobsPerMember: number;
  readonly #checkpointRoot: string;
  readonly #maxAttempts: number;
  readonly #persistIntervalMs: number;
  readonly #stopTimeoutMs: number;
  readonly #logger: QueueLogger | undefined;
  readonly #events: QueueEmitter;
  readonly #running = new Map<number, RunningJob>();
  #started = false;

  constructor(options: SqliteJobQueueOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be a whole number ≥ 1, got ${options.workers}`);
    if (!Number.isInteger(options.maxJobsPerMember) || options.maxJobsPerMember < 1) {
      throw new RangeError(`maxJobsPerMember must be a whole number ≥ 1, got ${options.maxJobsPerMember}`);
    }
    this.#storage = options.storage;
    this.#runner = options.runner;
    this.#workers = options.workers;
    this.#maxJobsPerMember = options.maxJobsPerMember;
    this.#checkpointRoot = options.checkpointRoot ?? path.join(options.storage.dataDir, 'checkpoints');
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#persistIntervalMs = options.progressPersistIntervalMs ?? 1000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.#logger = options.logger;
    this.#events = new QueueEmitter(options.logger);
  }

  on<E extends JobQueueEventName>(event: E, listener: JobQueueListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    const outcome = this.#storage.jobs.recoverInterrupted(this.#maxAttempts);
    for (const job of outcome.requeued) {
      this.#logger?.info('job interrupted by a restart goes back to the front of the queue', { job: job.id, attempts: job.attempts });
      this.#events.emit('requeued', { job });
    }
    for (const job of outcome.cancelled) {
      this.#removeCheckpoint(job);
      this.#events.emit('cancelled', { job });
    }
    for (const job of outcome.failed) {
      this.#logger?.warn('job failed after repeated restarts', { job: job.id, attempts: job.attempts });
      this.#removeCheckpoint(job);
      this.#events.emit('failed', { job });
    }
    this.#started = true;
    this.#pump();
  }

  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    const running = [...this.#running.values()];
    for (const entry of running) this.#abort(entry, 'shutdown');
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? this.#stopTimeoutMs);
    });
    const result = await Promise.race([Promise.allSettled(running.map((entry) => entry.settled)), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      // Left as running in the database: the next start() puts them back in front.
      this.#logger?.warn('runners did not stop in time; their jobs resume at the next start', {
        jobs: [...this.#running.keys()].join(','),
      });
    }
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueuedJob> {
    const job = this.#storage.transaction(() => {
      const active = this.#storage.jobs.countActiveForMember(request.guildId, request.memberId);
      if (active >= this.#maxJobsPerMember) throw new MemberJobLimitError(this.#maxJobsPerMember, active);
      return this.#storage.jobs.insert(request);
    });
    this.#pump();
    const position = this.#running.has(job.id) ? 0 : ((await this.position(job.id)) ?? 0);
    this.#events.emit('enqueued', { job, position });
    return { job: this.#storage.jobs.get(job.id) ?? job, position };
  }

  async cancel(jobId: number): Promise<CancelOutcome> {
    const job = this.#storage.jobs.get(jobId);
    if (!job) return { status: 'not-found' };
    if (job.state === 'queued') {
      const cancelled = this.#storage.jobs.finish(jobId, 'cancelled');
      if (!cancelled) return this.cancel(jobId);
      this.#removeCheckpoint(cancelled);
      this.#events.emit('cancelled', { job: cancelled });
      return { status: 'cancelled', job: cancelled };
    }
    if (job.state === 'running') {
      // Recorded first, so a restart before the runner stops does not resume the job.
      this.#storage.jobs.requestCancel(jobId);
      const entry = this.#running.get(jobId);
      if (entry) this.#abort(entry, 'cancelled');
      return { status: 'stopping', job: this.#storage.jobs.get(jobId) ?? job };
    }
    return { status: 'already-finished', job };
  }

  async get(jobId: number): Promise<Job | null> {
    return this.#storage.jobs.get(jobId);
  }

  async listByGuild(guildId: string, options: { readonly states?: readonly Job['state'][]; readonly limit?: number } = {}): Promise<Job[]> {
    return this.#storage.jobs.listByGuild(guildId, options);
  }

  async position(jobId: number): Promise<number | null> {
    const order = fairOrder(this.#storage.jobs.listByState('queued'), this.#storage.jobs.lastStartedSeqByGuild());
    const index = order.findIndex((job) => job.id === jobId);
    return index < 0 ? null : index + 1;
  }

  /** Starts waiting jobs while workers are free. */
  #pump(): void {
    while (this.#started && this.#storage.isOpen && this.#running.size < this.#workers) {
      let job: Job | null;
      try {
        job = this.#claimNext();
      } catch (error) {
        this.#logger?.error('could not take the next job from the queue', { err: error });
        return;
      }
      if (!job) return;
      this.#launch(job);
    }
  }

  #claimNext(): Job | null {
    return this.#storage.transaction(() => {
      const [next] = fairOrder(this.#storage.jobs.listByState('queued'), this.#storage.jobs.lastStartedSeqByGuild());
      if (!next) return null;
      const claimed = this.#storage.jobs.claim(next.id);
      const checkpointDir = claimed.checkpointDir ?? path.join(this.#checkpointRoot, `job-${claimed.id}`);
      if (claimed.checkpointDir === null) this.#storage.jobs.setCheckpointDir(claimed.id, checkpointDir);
      return { ...claimed, checkpointDir };
    });
  }

  #launch(job: Job): void {
    const checkpointDir = job.checkpointDir ?? path.join(this.#checkpointRoot, `job-${job.id}`);
    const entry: RunningJob = {
      job,
      controller: new AbortController(),
      abortCause: null,
      pendingProgress: null,
      pendingLoss: [],
      flushTimer: null,
      settled: Promise.resolve(),
    };
    this.#running.set(job.id, entry);
    this.#events.emit('started', { job });

    const run = async (): Promise<JsonObject> => {
      fs.mkdirSync(checkpointDir, { recursive: true });
      return this.#runner({
        job,
        params: job.params,
        signal: entry.controller.signal,
        checkpointDir,
        attempt: job.attempts,
        reportProgress: (progress, lossPoints = []) => this.#reportProgress(entry, progress, lossPoints),
      });
    };
    entry.settled = run().then(
      (result) => this.#settle(entry, { ok: true, result: result ?? {} }),
      (error: unknown) => this.#settle(entry, { ok: false, error }),
    );
  }

  #reportProgress(entry: RunningJob, progress: JsonObject, lossPoints: readonly LossPoint[]): void {
    if (!this.#running.has(entry.job.id)) return;
    entry.pendingProgress = progress;
    entry.pendingLoss.push(...lossPoints);
    this.#events.emit('progress', { job: entry.job, progress, lossPoints });
    if (entry.flushTimer === null) {
      entry.flushTimer = setTimeout(() => {
        entry.flushTimer = null;
        this.#flushProgress(entry);
      }, this.#persistIntervalMs);
      entry.flushTimer.unref();
    }
  }

  #flushProgress(entry: RunningJob): void {
    if (entry.flushTimer !== null) {
      clearTimeout(entry.flushTimer);
      entry.flushTimer = null;
    }
    if (entry.pendingProgress === null && entry.pendingLoss.length === 0) return;
    const progress = entry.pendingProgress;
    const loss = entry.pendingLoss;
    entry.pendingProgress = null;
    entry.pendingLoss = [];
    try {
      this.#storage.jobs.saveProgress(entry.job.id, progress, loss);
    } catch (error) {
      this.#logger?.warn('could not save job progress', { job: entry.job.id, err: error });
    }
  }

  #settle(entry: RunningJob, outcome: { ok: true; result: JsonObject } | { ok: false; error: unknown }): void {
    const { job } = entry;
    try {
      this.#flushProgress(entry);
      const cancelRequested = entry.abortCause === 'cancelled' || this.#storage.jobs.get(job.id)?.cancelRequested === true;
      if (cancelRequested) {
        this.#end(job, 'cancelled');
      } else if (outcome.ok) {
        this.#end(job, 'done', { result: outcome.result });
      } else if (entry.abortCause === 'shutdown') {
        const requeued = this.#storage.jobs.requeue(job.id);
        if (requeued) this.#events.emit('requeued', { job: requeued });
      } else {
        this.#end(job, 'failed', { error: describeError(outcome.error) });
      }
    } catch (error) {
      // Typically the storage was closed under a running job (crash, hard stop): the row stays
      // "running" and the next start() recovers it.
      this.#logger?.warn('could not record the end of a job; it will be recovered at the next start', { job: job.id, err: error });
    } finally {
      this.#running.delete(job.id);
      this.#pump();
    }
  }

  #end(job: Job, state: 'done' | 'failed' | 'cancelled', outcome: { result?: JsonObject; error?: string } = {}): void {
    const ended = this.#storage.jobs.finish(job.id, state, outcome);
    if (!ended) return;
    this.#removeCheckpoint(ended);
    this.#events.emit(state, { job: ended });
  }

  #abort(entry: RunningJob, cause: AbortCause): void {
    if (entry.abortCause !== null) return;
    entry.abortCause = cause;
    entry.controller.abort(new JobAbortedError(cause));
  }

  #removeCheckpoint(job: Job): void {
    if (job.checkpointDir === null) return;
    try {
      fs.rmSync(job.checkpointDir, { recursive: true, force: true });
    } catch (error) {
      this.#logger?.warn('could not remove a checkpoint directory', { job: job.id, err: error });
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
