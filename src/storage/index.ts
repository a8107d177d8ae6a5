import type BetterSqlite3 from 'better-sqlite3';
import { openDatabase, type OpenDatabaseOptions } from './database.ts';
import { JobRepository } from './jobs.ts';
import { MelodyRepository } from './melodies.ts';
import { currentSchemaVersion } from './migrations.ts';
import { SettingsRepository } from './settings.ts';
import { TrainedModelRepository } from './trained-models.ts';

// The storage facade: one connection, one typed repository per table. All SQL lives in this folder;
// everything else talks to these repositories.

export interface Storage {
  readonly dataDir: string;
  readonly melodies: MelodyRepository;
  readonly models: TrainedModelRepository;
  readonly jobs: JobRepository;
  readonly settings: SettingsRepository;
  /** Runs `fn` in one IMMEDIATE transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  schemaVersion(): number;
  readonly isOpen: boolean;
  close(): void;
}

export function openStorage(dataDir: string, options: OpenDatabaseOptions = {}): Storage {
  const now = options.now ?? Date.now;
  const db: BetterSqlite3.Database = openDatabase(dataDir, options);
  return {
    dataDir,
    melodies: new MelodyRepository(db, now),
    models: new TrainedModelRepository(db, now),
    jobs: new JobRepository(db, now),
    settings: new SettingsRepository(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    schemaVersion: () => currentSchemaVersion(db),
    get isOpen() {
      return db.open;
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

export { DATABASE_FILE, type OpenDatabaseOptions } from './database.ts';
export { DuplicateMelodyError } from './errors.ts';
export type { JsonObject, JsonPrimitive, JsonValue } from './json.ts';
export {
  ACTIVE_JOB_STATES,
  JOB_STATES,
  JobRepository,
  type FinishedJobState,
  type JobRecord,
  type JobState,
  type LossPoint,
  type NewJob,
  type RecoveryOutcome,
} from './jobs.ts';
export { MELODY_SOURCE_KINDS, MelodyRepository, type MelodyRecord, type MelodySourceKind, type NewMelody } from './melodies.ts';
export { MIGRATIONS, SchemaTooNewError, migrate, type Migration } from './migrations.ts';
export { SettingsRepository } from './settings.ts';
export { TrainedModelRepository, type NewTrainedModel, type TrainedModelRecord } from './trained-models.ts';
