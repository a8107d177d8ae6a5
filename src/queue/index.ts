export { MemberJobLimitError } from './errors.ts';
export { fairOrder, type WaitingJob } from './fairness.ts';
export { SqliteJobQueue, type SqliteJobQueueOptions } from './sqlite-queue.ts';
export {
  JobAbortedError,
  type AbortCause,
  type CancelOutcome,
  type EnqueuedJob,
  type EnqueueRequest,
  type Job,
  type JobQueue,
  type JobQueueEventName,
  type JobQueueEvents,
  type JobQueueListener,
  type JobRunContext,
  type JobRunner,
  type JobState,
  type LossPoint,
  type QueueLogger,
} from './types.ts';
