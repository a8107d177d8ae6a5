import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { migrate } from './migrations.ts';

// One SQLite file under DATA_DIR. WAL lets readers (commands) proceed while a writer (the queue)
// commits; the busy timeout makes a second connection wait for a lock instead of failing at once;
// foreign keys are off by default in SQLite and must be switched on per connection.

export const DATABASE_FILE = 'nabi.sqlite';

export interface OpenDatabaseOptions {
  readonly fileName?: string;
  readonly busyTimeoutMs?: number;
  readonly now?: () => number;
}

export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): BetterSqlite3.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, options.fileName ?? DATABASE_FILE);
  const db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the
    // last transactions, which is the usual trade for not fsyncing every progress update.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, undefined, options.now);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
