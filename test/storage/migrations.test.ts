import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, MIGRATIONS, SchemaTooNewError, migrate, openStorage, type Migration } from '../../src/storage/index.ts';
import { makeTempDir } from './temp-dir.ts';

describe('database and migrations', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it('creates the data directory, applies every migration and records it', () => {
    const dataDir = path.join(temp.dir, 'nested', 'data');
    const storage = openStorage(dataDir);
    expect(storage.schemaVersion()).toBe(MIGRATIONS.length);
    storage.close();

    const db = new Database(path.join(dataDir, DATABASE_FILE));
    const rows = db.prepare('SELECT version, name FROM schema_version ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    db.close();
  });

  it('opens in WAL mode with foreign keys on and a busy timeout', () => {
    const storage = openStorage(temp.dir, { busyTimeoutMs: 1234 });
    // A second connection sees the persistent WAL mode; the per-connection pragmas are checked
    // through behaviour below (cascades) since they are not persistent.
    const db = new Database(path.join(temp.dir, DATABASE_FILE));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();

    const melody = storage.melodies.create({ guildId: 'g', name: 'a', ownerId: 'u', notes: 'c4', sourceKind: 'text' });
    storage.models.save({ guildId: 'g', melodyId: melody.id, modelName: 'mlp', filesDir: '/x' });
    storage.melodies.delete('g', 'a');
    expect(storage.models.listByGuild('g')).toEqual([]);
    storage.close();
  });

  it('reopening applies nothing twice and keeps the data', () => {
    const first = openStorage(temp.dir);
    first.settings.set('g', 'k', 'v');
    first.close();
    const second = openStorage(temp.dir);
    expect(second.schemaVersion()).toBe(MIGRATIONS.length);
    expect(second.settings.get('g', 'k')).toBe('v');
    second.close();
  });

  it('a failing migration is rolled back entirely and the version stays where it was', () => {
    const db = new Database(':memory:');
    const migrations: Migration[] = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(db, migrations)).toThrow(/nowhere/);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables).toEqual([{ name: 'a' }, { name: 'schema_version' }]);
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_version').get()).toEqual({ v: 1 });
    db.close();
  });

  it('refuses a database written by a newer schema', () => {
    const db = new Database(':memory:');
    migrate(db, [
      { version: 1, name: 'one', sql: 'SELECT 1' },
      { version: 2, name: 'two', sql: 'SELECT 1' },
    ]);
    expect(() => migrate(db, [{ version: 1, name: 'one', sql: 'SELECT 1' }])).toThrow(SchemaTooNewError);
    db.close();
  });

  it('rejects migrations that are not numbered 1, 2, 3…', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [{ version: 2, name: 'gap', sql: 'SELECT 1' }])).toThrow(/versions must be 1, 2, 3/);
    db.close();
  });
});
