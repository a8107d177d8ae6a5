import type BetterSqlite3 from 'better-sqlite3';
import { parseJsonObject, toJsonText, type JsonObject } from './json.ts';

// Training jobs, durable: everything a member submitted survives a restart. The queue
// (src/queue) decides what runs when; this repository only reads and writes rows, and the
// multi-step changes (claim, recovery) are meant to run inside Storage.transaction().

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type FinishedJobState = Extract<JobState, 'done' | 'failed' | 'cancelled'>;
export const ACTIVE_JOB_STATES: readonly JobState[] = ['queued', 'running'];

/** One point of a loss curve; `series` names the model when one job trains several. */
export interface LossPoint {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy?: number;
  readonly series?: string;
}

export interface JobRecord {
  readonly id: number;
  readonly guildId: string;
  readonly channelId: string;
  readonly memberId: string;
  readonly melodyId: number | null;
  readonly melodyName: string;
  readonly params: JsonObject;
  readonly state: JobState;
  readonly position: number;
  readonly recovered: boolean;
  readonly startedSeq: number | null;
  readonly attempts: number;
  readonly cancelRequested: boolean;
  readonly progress: JsonObject | null;
  readonly lossHistory: readonly LossPoint[];
  readonly result: JsonObject | null;
  readonly error: string | null;
  readonly interactionToken: string | null;
  readonly interactionExpiresAt: number | null;
  readonly progressMessageId: string | null;
  readonly checkpointDir: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface NewJob {
  readonly guildId: string;
  readonly channelId: string;
  readonly memberId: string;
  readonly melodyId: number | null;
  readonly melodyName: string;
  readonly params: JsonObject;
  /** Token of the interaction that submitted the job, so its reply can be edited while it is valid. */
  readonly interactionToken?: string | null;
  readonly interactionExpiresAt?: number | null;
}

export interface RecoveryOutcome {
  /** Jobs put back in front of the queue to resume from their checkpoint. */
  readonly requeued: readonly JobRecord[];
  /** Jobs whose cancel had been requested before the restart. */
  readonly cancelled: readonly JobRecord[];
  /** Jobs that had already been started `maxAttempts` times: likely the cause of the restarts. */
  readonly failed: readonly JobRecord[];
}

interface JobRow {
  id: number;
  guild_id: string;
  channel_id: string;
  member_id: string;
  melody_id: number | null;
  melody_name: string;
  params: string;
  state: JobState;
  position: number;
  recovered: number;
  started_seq: number | null;
  attempts: number;
  cancel_requested: number;
  progress: string | null;
  loss_history: string;
  result: string | null;
  error: string | null;
  interaction_token: string | null;
  interaction_expires_at: number | null;
  progress_message_id: string | null;
  checkpoint_dir: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

const toRecord = (row: JobRow): JobRecord => ({
  id: row.id,
  guildId: row.guild_id,
  channelId: row.channel_id,
  memberId: row.member_id,
  melodyId: row.melody_id,
  melodyName: row.melody_name,
  params: parseJsonObject(row.params, 'jobs.params') ?? {},
  state: row.state,
  position: row.position,
  recovered: row.recovered === 1,
  startedSeq: row.started_seq,
  attempts: row.attempts,
  cancelRequested: row.cancel_requested === 1,
  progress: parseJsonObject(row.progress, 'jobs.progress'),
  lossHistory: JSON.parse(row.loss_history) as LossPoint[],
  result: parseJsonObject(row.result, 'jobs.result'),
  error: row.error,
  interactionToken: row.interaction_token,
  interactionExpiresAt: row.interaction_expires_at,
  progressMessageId: row.progress_message_id,
  checkpointDir: row.checkpoint_dir,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

const MAX_ERROR_LENGTH = 2000;

export class JobRepository {
  readonly #db: BetterSqlite3.Database;
  readonly #now: () => number;

  constructor(db: BetterSqlite3.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Adds a queued job at the back of the queue. */
  insert(job: NewJob): JobRecord {
    const now = this.#now();
    const row = this.#db
      .prepare(
        `INSERT INTO jobs (guild_id, channel_id, member_id, melody_id, melody_name, params, state, position,
                           interaction_token, interaction_expires_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', (SELECT COALESCE(MAX(position), 0) + 1 FROM jobs), ?, ?, ?, ?)
         RETURNING *`,
      )
      .get(
        job.guildId,
        job.channelId,
        job.memberId,
        job.melodyId,
        job.melodyName,
        toJsonText(job.params),
        job.interactionToken ?? null,
        job.interactionExpiresAt ?? null,
        now,
        now,
      ) as JobRow;
    return toRecord(row);
  }

  get(id: number): JobRecord | null {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** A server's jobs, newest first, optionally only in the given states. */
  listByGuild(guildId: string, options: { readonly states?: readonly JobState[]; readonly limit?: number } = {}): JobRecord[] {
    const states = options.states ?? JOB_STATES;
    const rows = this.#db
      .prepare(
        `SELECT * FROM jobs WHERE guild_id = ? AND state IN (SELECT value FROM json_each(?))
         ORDER BY position DESC LIMIT ?`,
      )
      .all(guildId, JSON.stringify(states), options.limit ?? 100) as JobRow[];
    return rows.map(toRecord);
  }

  listByState(state: JobState): JobRecord[] {
    const rows = this.#db.prepare('SELECT * FROM jobs WHERE state = ? ORDER BY position').all(state) as JobRow[];
    return rows.map(toRecord);
  }

  /** Jobs the member has queued or running in that server: what the per-member cap counts. */
  countActiveForMember(guildId: string, memberId: string): number {
    const row = this.#db
      .prepare(`SELECT COUNT(*) AS n FROM jobs WHERE guild_id = ? AND member_id = ? AND state IN ('queued', 'running')`)
      .get(guildId, memberId) as { n: number };
    return row.n;
  }

  /** For each server with queued jobs, the start counter of its most recently started job. */
  lastStartedSeqByGuild(): Map<string, number> {
    const rows = this.#db
      .prepare(
        `SELECT guild_id, MAX(started_seq) AS seq FROM jobs
         WHERE started_seq IS NOT NULL AND guild_id IN (SELECT guild_id FROM jobs WHERE state = 'queued')
         GROUP BY guild_id`,
      )
      .all() as { guild_id: string; seq: number }[];
    return new Map(rows.map((row) => [row.guild_id, row.seq]));
  }

  /** Marks a queued job running and stamps the next start counter. Run inside a transaction. */
  claim(id: number): JobRecord {
    const now = this.#now();
    const row = this.#db
      .prepare(
        `UPDATE jobs SET state = 'running', recovered = 0, attempts = attempts + 1,
           started_seq = (SELECT COALESCE(MAX(started_seq), 0) + 1 FROM jobs),
           started_at = ?, updated_at = ?
         WHERE id = ? AND state = 'queued' RETURNING *`,
      )
      .get(now, now, id) as JobRow | undefined;
    if (!row) throw new Error(`Job ${id} is not queued and cannot be claimed`);
    return toRecord(row);
  }

  /** Ends a queued or running job. Returns null when it had already ended. */
  finish(id: number, state: FinishedJobState, outcome: { readonly result?: JsonObject; readonly error?: string } = {}): JobRecord | null {
    const now = this.#now();
    const error = outcome.error === undefined ? null : outcome.error.slice(0, MAX_ERROR_LENGTH);
    const row = this.#db
      .prepare(
        `UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?, updated_at = ?
         WHERE id = ? AND state IN ('queued', 'running') RETURNING *`,
      )
      .get(state, outcome.result === undefined ? null : toJsonText(outcome.result), error, now, now, id) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Stores the latest progress snapshot and appends loss points to the history. */
  saveProgress(id: number, progress: JsonObject | null, lossPoints: readonly LossPoint[]): void {
    this.#db
      .transaction(() => {
        const current = this.#db.prepare('SELECT progress, loss_history FROM jobs WHERE id = ?').get(id) as
          | { progress: string | null; loss_history: string }
          | undefined;
        if (!current) return;
        const history = lossPoints.length === 0 ? current.loss_history : JSON.stringify([...(JSON.parse(current.loss_history) as LossPoint[]), ...lossPoints]);
        const progressText = progress === null ? current.progress : toJsonText(progress);
        this.#db.prepare('UPDATE jobs SET progress = ?, loss_history = ?, updated_at = ? WHERE id = ?').run(progressText, history, this.#now(), id);
      })
      .immediate();
  }

  /** Puts a running job back in front of the queue (graceful shutdown): it resumes from its checkpoint. */
  requeue(id: number): JobRecord | null {
    const row = this.#db
      .prepare(`UPDATE jobs SET state = 'queued', recovered = 1, updated_at = ? WHERE id = ? AND state = 'running' RETURNING *`)
      .get(this.#now(), id) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * After a restart, deals with the jobs the previous process left running: cancels those whose
   * cancel was requested, fails those started `maxAttempts` times, and requeues the rest in front.
   */
  recoverInterrupted(maxAttempts: number): RecoveryOutcome {
    return this.#db
      .transaction((): RecoveryOutcome => {
        const interrupted = this.listByState('running');
        const requeued: JobRecord[] = [];
        const cancelled: JobRecord[] = [];
        const failed: JobRecord[] = [];
        for (const job of interrupted) {
          if (job.cancelRequested) {
            const done = this.finish(job.id, 'cancelled');
            if (done) cancelled.push(done);
          } else if (job.attempts >= maxAttempts) {
            const done = this.finish(job.id, 'failed', {
              error: `The bot restarted while this job was running, ${job.attempts} times in a row; it was stopped so it cannot block the queue.`,
            });
            if (done) failed.push(done);
          } else {
            const back = this.requeue(job.id);
            if (back) requeued.push(back);
          }
        }
        return { requeued, cancelled, failed };
      })
      .immediate();
  }

  /** Flags a running job's cancellation so that a restart does not resume it. */
  requestCancel(id: number): boolean {
    return (
      this.#db.prepare(`UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state IN ('queued', 'running')`).run(this.#now(), id)
        .changes > 0
    );
  }

  setCheckpointDir(id: number, dir: string): void {
    this.#db.prepare('UPDATE jobs SET checkpoint_dir = ?, updated_at = ? WHERE id = ?').run(dir, this.#now(), id);
  }

  setProgressMessage(id: number, messageId: string | null): void {
    this.#db.prepare('UPDATE jobs SET progress_message_id = ?, updated_at = ? WHERE id = ?').run(messageId, this.#now(), id);
  }

  /** The interaction whose token can still edit the member's reply, and when that token expires. */
  setInteraction(id: number, token: string | null, expiresAt: number | null): void {
    this.#db
      .prepare('UPDATE jobs SET interaction_token = ?, interaction_expires_at = ?, updated_at = ? WHERE id = ?')
      .run(token, expiresAt, this.#now(), id);
  }
}
