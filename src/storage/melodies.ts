import type BetterSqlite3 from 'better-sqlite3';
import { DuplicateMelodyError } from './errors.ts';

// The songbook: melodies per server. Names are unique per server, ignoring case. Notes are stored
// as canonical token text (src/music/token.ts), whatever the member typed or uploaded.

export const MELODY_SOURCE_KINDS = ['text', 'abc', 'midi'] as const;
export type MelodySourceKind = (typeof MELODY_SOURCE_KINDS)[number];

export interface MelodyRecord {
  readonly id: number;
  readonly guildId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly notes: string;
  readonly sourceKind: MelodySourceKind;
  readonly createdAt: number;
}

export interface NewMelody {
  readonly guildId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly notes: string;
  readonly sourceKind: MelodySourceKind;
}

interface MelodyRow {
  id: number;
  guild_id: string;
  name: string;
  owner_id: string;
  notes: string;
  source_kind: MelodySourceKind;
  created_at: number;
}

const toRecord = (row: MelodyRow): MelodyRecord => ({
  id: row.id,
  guildId: row.guild_id,
  name: row.name,
  ownerId: row.owner_id,
  notes: row.notes,
  sourceKind: row.source_kind,
  createdAt: row.created_at,
});

export class MelodyRepository {
  readonly #db: BetterSqlite3.Database;
  readonly #now: () => number;

  constructor(db: BetterSqlite3.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Throws DuplicateMelodyError when the server already has a melody of that name. */
  create(melody: NewMelody): MelodyRecord {
    try {
      const row = this.#db
        .prepare(
          `INSERT INTO melodies (guild_id, name, owner_id, notes, source_kind, created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(melody.guildId, melody.name, melody.ownerId, melody.notes, melody.sourceKind, this.#now()) as MelodyRow;
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateMelodyError(melody.guildId, melody.name);
      throw error;
    }
  }

  get(guildId: string, name: string): MelodyRecord | null {
    const row = this.#db.prepare('SELECT * FROM melodies WHERE guild_id = ? AND name = ?').get(guildId, name) as MelodyRow | undefined;
    return row ? toRecord(row) : null;
  }

  getById(id: number): MelodyRecord | null {
    const row = this.#db.prepare('SELECT * FROM melodies WHERE id = ?').get(id) as MelodyRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** A page of the server's songbook in name order. */
  list(guildId: string, page: { readonly limit?: number; readonly offset?: number } = {}): MelodyRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM melodies WHERE guild_id = ? ORDER BY name, id LIMIT ? OFFSET ?')
      .all(guildId, page.limit ?? 100, page.offset ?? 0) as MelodyRow[];
    return rows.map(toRecord);
  }

  count(guildId: string): number {
    const row = this.#db.prepare('SELECT COUNT(*) AS n FROM melodies WHERE guild_id = ?').get(guildId) as { n: number };
    return row.n;
  }

  /** Names containing `fragment` (case-insensitive), names starting with it first: for autocomplete. */
  searchNames(guildId: string, fragment: string, limit = 25): string[] {
    const pattern = `%${escapeLike(fragment)}%`;
    const prefix = `${escapeLike(fragment)}%`;
    const rows = this.#db
      .prepare(
        `SELECT name FROM melodies
         WHERE guild_id = ? AND name LIKE ? ESCAPE '\\'
         ORDER BY name NOT LIKE ? ESCAPE '\\', name
         LIMIT ?`,
      )
      .all(guildId, pattern, prefix, limit) as { name: string }[];
    return rows.map((row) => row.name);
  }

  /** Deletes the melody and (by cascade) its trained models' rows; returns false if there was none. */
  delete(guildId: string, name: string): boolean {
    return this.#db.prepare('DELETE FROM melodies WHERE guild_id = ? AND name = ?').run(guildId, name).changes > 0;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
