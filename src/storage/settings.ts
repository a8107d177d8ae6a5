import type BetterSqlite3 from 'better-sqlite3';

// Per-server settings as text key/value pairs; callers own the meaning and format of each key.

export class SettingsRepository {
  readonly #db: BetterSqlite3.Database;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  get(guildId: string, key: string): string | null {
    const row = this.#db.prepare('SELECT value FROM settings WHERE guild_id = ? AND key = ?').get(guildId, key) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  set(guildId: string, key: string, value: string): void {
    this.#db
      .prepare('INSERT INTO settings (guild_id, key, value) VALUES (?, ?, ?) ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value')
      .run(guildId, key, value);
  }

  delete(guildId: string, key: string): boolean {
    return this.#db.prepare('DELETE FROM settings WHERE guild_id = ? AND key = ?').run(guildId, key).changes > 0;
  }

  all(guildId: string): Record<string, string> {
    const rows = this.#db.prepare('SELECT key, value FROM settings WHERE guild_id = ? ORDER BY key').all(guildId) as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }
}
