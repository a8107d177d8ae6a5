import type BetterSqlite3 from 'better-sqlite3';

// Schema changes are numbered migrations kept in code, so the schema ships with the version that
// needs it. Each pending migration runs in its own transaction together with the schema_version
// row that records it: a failed migration leaves the database exactly at the previous version.
// Never edit a migration that has shipped; append a new one.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'songbook, trained models, jobs, settings',
    sql: `
      CREATE TABLE melodies (
        id          INTEGER PRIMARY KEY,
        guild_id    TEXT    NOT NULL,
        -- NOCASE: "Nabiya" and "nabiya" are the same song to a person typing a name.
        name        TEXT    NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
        owner_id    TEXT    NOT NULL,
        notes       TEXT    NOT NULL,
        source_kind TEXT    NOT NULL CHECK (source_kind IN ('text', 'abc', 'midi')),
        created_at  INTEGER NOT NULL,
        UNIQUE (guild_id, name)
      );

      CREATE TABLE trained_models (
        id         INTEGER PRIMARY KEY,
        guild_id   TEXT    NOT NULL,
        melody_id  INTEGER NOT NULL REFERENCES melodies (id) ON DELETE CASCADE,
        model_name TEXT    NOT NULL,
        files_dir  TEXT    NOT NULL,
        metadata   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
        created_at INTEGER NOT NULL,
        -- Training a model again replaces the previous one for that melody.
        UNIQUE (melody_id, model_name)
      );
      CREATE INDEX trained_models_guild ON trained_models (guild_id);

      CREATE TABLE jobs (
        -- AUTOINCREMENT: ids are shown to members (/cancel job) and must never be reused.
        id                     INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id               TEXT    NOT NULL,
        channel_id             TEXT    NOT NULL,
        member_id              TEXT    NOT NULL,
        -- SET NULL: deleting a melody must not erase the history of jobs that trained it.
        melody_id              INTEGER REFERENCES melodies (id) ON DELETE SET NULL,
        melody_name            TEXT    NOT NULL,
        params                 TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
        state                  TEXT    NOT NULL DEFAULT 'queued'
                                       CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        -- Enqueue order; lower runs first within a server.
        position               INTEGER NOT NULL,
        -- 1 when the job was running at a restart: it goes before every other queued job.
        recovered              INTEGER NOT NULL DEFAULT 0 CHECK (recovered IN (0, 1)),
        -- Global start counter; the latest per server drives round-robin fairness.
        started_seq            INTEGER,
        attempts               INTEGER NOT NULL DEFAULT 0,
        cancel_requested       INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
        progress               TEXT    CHECK (progress IS NULL OR json_valid(progress)),
        loss_history           TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(loss_history)),
        result                 TEXT    CHECK (result IS NULL OR json_valid(result)),
        error                  TEXT,
        interaction_token      TEXT,
        interaction_expires_at INTEGER,
        progress_message_id    TEXT,
        checkpoint_dir         TEXT,
        created_at             INTEGER NOT NULL,
        updated_at             INTEGER NOT NULL,
        started_at             INTEGER,
        finished_at            INTEGER
      );
      CREATE INDEX jobs_state_position ON jobs (state, position);
      CREATE INDEX jobs_guild_state ON jobs (guild_id, state);
      CREATE INDEX jobs_member_state ON jobs (guild_id, member_id, state);
      CREATE INDEX jobs_guild_started ON jobs (guild_id, started_seq);
      CREATE INDEX jobs_started_seq ON jobs (started_seq);
      CREATE INDEX jobs_position ON jobs (position);

      CREATE TABLE settings (
        guild_id TEXT NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (guild_id, key)
      ) WITHOUT ROWID;
    `,
  },
];

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `The database is at schema version ${found} but this build only knows up to ${known}; ` +
        'it was written by a newer Nabi. Run the newer version or restore a backup.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function currentSchemaVersion(db: BetterSqlite3.Database): number {
  ensureVersionTable(db);
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

/** Applies pending migrations in order; returns the versions applied. */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS, now: () => number = Date.now): number[] {
  assertOrdered(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  const current = currentSchemaVersion(db);
  if (current > known) throw new SchemaTooNewError(current, known);

  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now());
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}

function ensureVersionTable(db: BetterSqlite3.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_version (
      version    INTEGER PRIMARY KEY,
      name       TEXT    NOT NULL,
      applied_at INTEGER NOT NULL
    )
  `);
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migration #${index} has version ${migration.version}; versions must be 1, 2, 3… in order`);
    }
  });
}
