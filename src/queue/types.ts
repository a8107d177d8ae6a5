import type { JobRecord, JsonObject, LossPoint, NewJob } from '../storage/index.ts';

// The queue as the rest of the bot sees it. Everything is async and event-based so that a
// BullMQ/Redis adapter can implement the same interface when training moves to other machines.

export type Job = JobRecord;
export type { JobState, LossPoint } from '../storage/index.ts';

/**
 * What a job needs to be queued: who asked, where, for which melody, with which parameters, and the
 * token of the interaction that submitted it (so its reply can be edited while the token is valid).
 * The same shape the store keeps, so an adapter (BullMQ) can carry it as its job data.
 */
export type EnqueueRequest = NewJob;

export interface EnqueuedJob {
  readonly job: Job;
  /** 0 when a worker took it at once, otherwise its 1-based place among the waiting jobs. */
  readonly position: number;
}

export type CancelOutcome =
  | { readonly status: 'cancelled'; readonly job: Job }
  /** It was running: the runner has been signalled and the job ends as cancelled when it stops. */
  | { readonly status: 'stopping'; readonly job: Job }
  | { readonly status: 'already-finished'; readonly job: Job }
  | { readonly status: 'not-found' };

export interface JobQueueEvents {
  readonly enqueued: { readonly job: Job; readonly position: number };
  readonly started: { readonly job: Job };
  /** `job` is the record as it was when the job started; the new values are alongside. */
  readonly progress: { readonly job: Job; readonly progress: JsonObject; readonly lossPoints: readonly LossPoint[] };
  readonly done: { readonly job: Job };
  readonly failed: { readonly job: Job };
  readonly cancelled: { readonly job: Job };
  /** Put back in front of the queue to resume from its checkpoint (shutdown or restart). */
  readonly requeued: { readonly job: Job };
}

export type JobQueueEventName = keyof JobQueueEvents;
export type JobQueueListener<E extends JobQueueEventName> = (payload: JobQueueEvents[E]) => void;

export interface JobQueue {
  /** Recovers jobs interrupted by a restart, then starts taking jobs. */
  start(): Promise<void>;
  /** Stops taking jobs; running ones are signalled and put back to resume at the next start. */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Throws MemberJobLimitError when the member is at the cap. */
  enqueue(request: EnqueueRequest): Promise<EnqueuedJob>;
  cancel(jobId: number): Promise<CancelOutcome>;
  get(jobId: number): Promise<Job | null>;
  /** A server's jobs, newest first. */
  listByGuild(guildId: string, options?: { readonly states?: readonly Job['state'][]; readonly limit?: number }): Promise<Job[]>;
  /** 1-based place in line of a waiting job as things stand; null when it is not waiting. */
  position(jobId: number): Promise<number | null>;
  /** Subscribes; returns the unsubscribe function. */
  on<E extends JobQueueEventName>(event: E, listener: JobQueueListener<E>): () => void;
}

/** Why a runner's signal was aborted: `signal.reason` is a JobAbortedError. */
export type AbortCause = 'cancelled' | 'shutdown';

export class JobAbortedError extends Error {
  readonly kind: AbortCause;

  constructor(kind: AbortCause) {
    super(kind === 'cancelled' ? 'The job was cancelled' : 'The bot is shutting down; the job will resume at the next start');
    this.name = 'JobAbortedError';
    this.kind = kind;
  }
}

export interface JobRunContext {
  /** The job as claimed (state running). */
  readonly job: Job;
  readonly params: JsonObject;
  /** Aborted on cancel or shutdown; stop soon, saving a checkpoint if there is one to save. */
  readonly signal: AbortSignal;
  /** Exists when the runner starts and survives restarts; deleted once the job has ended. */
  readonly checkpointDir: string;
  /** 1 on the first run; 2 or more when resuming after a restart or shutdown. */
  readonly attempt: number;
  /** Latest progress snapshot and new loss points; cheap to call every epoch. */
  reportProgress(progress: JsonObject, lossPoints?: readonly LossPoint[]): void;
}

/** The work itself, injected: resolves with the job's result, rejects with why it failed. */
export type JobRunner = (context: JobRunContext) => Promise<JsonObject>;

/** The logging the queue needs; src/bot/logger.ts's Logger fits. */
export interface QueueLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
