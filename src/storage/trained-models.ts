import type BetterSqlite3 from 'better-sqlite3';
import { parseJsonObject, toJsonText, type JsonObject } from './json.ts';

// Trained models: one row per (melody, model architecture). The weights live as files in
// `filesDir`; the row says where, and what the training produced (metadata JSON).

export interface TrainedModelRecord {
  readonly id: number;
  readonly guildId: string;
  readonly melodyId: number;
  readonly modelName: string;
  readonly filesDir: string;
  readonly metadata: JsonObject;
  readonly createdAt: number;
}

export interface NewTrainedModel {
  readonly guildId: string;
  readonly melodyId: number;
  readonly modelName: string;
  readonly filesDir: string;
  readonly metadata?: JsonObject;
}

interface TrainedModelRow {
  id: number;
  guild_id: string;
  melody_id: number;
  model_name: string;
  files_dir: string;
  metadata: string;
  created_at: number;
}

const toRecord = (row: TrainedModelRow): TrainedModelRecord => ({
  id: row.id,
  guildId: row.guild_id,
  melodyId: row.melody_id,
  modelName: row.model_name,
  filesDir: row.files_dir,
  metadata: parseJsonObject(row.metadata, 'trained_models.metadata') ?? {},
  createdAt: row.created_at,
});

export class TrainedModelRepository {
  readonly #db: BetterSqlite3.Database;
  readonly #now: () => number;

  constructor(db: BetterSqlite3.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Saves a training's model, replacing an earlier one of the same architecture for that melody. */
  save(model: NewTrainedModel): TrainedModelRecord {
    const row = this.#db
      .prepare(
        `INSERT INTO trained_models (guild_id, melody_id, model_name, files_dir, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (melody_id, model_name) DO UPDATE SET
           guild_id = excluded.guild_id, files_dir = excluded.files_dir,
           metadata = excluded.metadata, created_at = excluded.created_at
         RETURNING *`,
      )
      .get(model.guildId, model.melodyId, model.modelName, model.filesDir, toJsonText(model.metadata ?? {}), this.#now()) as TrainedModelRow;
    return toRecord(row);
  }

  get(melodyId: number, modelName: string): TrainedModelRecord | null {
    const row = this.#db.prepare('SELECT * FROM trained_models WHERE melody_id = ? AND model_name = ?').get(melodyId, modelName) as
      | TrainedModelRow
      | undefined;
    return row ? toRecord(row) : null;
  }

  listByMelody(melodyId: number): TrainedModelRecord[] {
    const rows = this.#db.prepare('SELECT * FROM trained_models WHERE melody_id = ? ORDER BY model_name').all(melodyId) as TrainedModelRow[];
    return rows.map(toRecord);
  }

  listByGuild(guildId: string): TrainedModelRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM trained_models WHERE guild_id = ? ORDER BY melody_id, model_name')
      .all(guildId) as TrainedModelRow[];
    return rows.map(toRecord);
  }

  delete(id: number): boolean {
    return this.#db.prepare('DELETE FROM trained_models WHERE id = ?').run(id).changes > 0;
  }
}
