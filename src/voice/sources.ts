import { UserError } from '../bot/errors.ts';
import type { Melody, MelodyEvent } from '../music/melody.ts';
import { parseMelodyText } from '../music/parse.ts';
import type { Storage } from '../storage/index.ts';
import { findMelody } from '../training/songbook.ts';
import { completeInWorker, WorkerTaskError } from '../training/thread.ts';
import { readSummary, readTrainResult } from '../training/types.ts';

// What /play plays when given no melody, and what the ▶ buttons under training summaries and
// /complete replies play: a completion a model sang — read back from storage (the tokens of its
// full-song prediction), or sung again by the saved model in a worker thread. The completion keeps
// the original melody's tempo and metre when the songbook still has it.

export interface Completion {
  readonly title: string;
  readonly melody: Melody;
}

function melodyOfTokens(tokens: readonly string[], what: string, original?: Melody): Melody {
  let parsed: Melody;
  try {
    parsed = parseMelodyText(tokens.join(' '));
  } catch (error) {
    throw new UserError(`The stored notes of ${what} could not be read back; train it again.`, { cause: error });
  }
  return original ? { ...original, events: parsed.events } : parsed;
}

function originalMelody(storage: Storage, guildId: string, name: string): Melody | undefined {
  try {
    const entry = findMelody(storage, guildId, name);
    // A built-in's row keeps only its notes; the built-in itself has its tempo and metre.
    return entry ? (entry.builtin?.melody ?? entry.melody) : undefined;
  } catch {
    return undefined;
  }
}

const COMPLETION_TIMEOUT_MS = 60_000;
const MEMBER_ERRORS = new Set(['PredictionError', 'VocabularyError', 'DatasetError', 'RangeError']);

export interface ModelCompletionTarget {
  readonly modelId: number;
  /** A note index (0-based) in the training melody, or start notes as tokens. */
  readonly start: number | readonly string[];
  readonly length: number | null;
  readonly temperature: number;
  readonly seed: number;
}

/** A /complete reply's ▶: the saved model sings the same completion again (same start, temperature and seed). */
export async function modelCompletion(storage: Storage, guildId: string, target: ModelCompletionTarget): Promise<Completion> {
  const model = storage.models.listByGuild(guildId).find((m) => m.id === target.modelId);
  if (!model) throw new UserError('That trained model is no longer there; it may have been deleted or trained again.');
  const melodyName = storage.melodies.getById(model.melodyId)?.name ?? 'melody';
  let start: number | readonly MelodyEvent[];
  if (typeof target.start === 'number') start = target.start;
  else {
    try {
      start = parseMelodyText(target.start.join(' ')).events;
    } catch (error) {
      throw new UserError('The start notes of this completion could not be read back; run `/complete` again.', { cause: error });
    }
  }
  let tokens: readonly string[];
  try {
    const outcome = await completeInWorker(
      model.filesDir,
      { start, temperature: target.temperature, seed: target.seed, ...(target.length === null ? {} : { length: target.length }) },
      { timeoutMs: COMPLETION_TIMEOUT_MS },
    );
    tokens = outcome.result.tokens;
  } catch (error) {
    if (error instanceof WorkerTaskError && MEMBER_ERRORS.has(error.originalName)) throw new UserError(`Could not complete the melody: ${error.message}`);
    throw error;
  }
  const title = `${melodyName} (${model.modelName} completion)`;
  return { title, melody: melodyOfTokens(tokens, title, originalMelody(storage, guildId, melodyName)) };
}

/** The server's newest trained model's full-song completion, or a UserError saying how to get one. */
export function latestCompletion(storage: Storage, guildId: string): Completion {
  const models = storage.models.listByGuild(guildId).sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  for (const model of models) {
    const summary = readSummary(model.metadata);
    if (!summary || summary.fullSong.tokens.length === 0) continue;
    const melodyName = storage.melodies.getById(model.melodyId)?.name ?? 'melody';
    const title = `${melodyName} (${model.modelName} completion)`;
    return { title, melody: melodyOfTokens(summary.fullSong.tokens, title, originalMelody(storage, guildId, melodyName)) };
  }
  throw new UserError('There is no completion in this server yet. Name a melody (`/play what:nabiya`), or train one first (`/train melody:nabiya`).');
}

/** A training job's completion by one of its models (the ▶ under a training summary). */
export function jobCompletion(storage: Storage, guildId: string, jobId: number, modelName: string): Completion {
  const job = storage.jobs.get(jobId);
  const result = job && job.guildId === guildId ? readTrainResult(job.result) : null;
  const summary = result?.models.find((m) => m.model === modelName);
  if (!result || !summary || summary.fullSong.tokens.length === 0) throw new UserError('That completion is no longer available; the training job may have been deleted.');
  const title = `${result.melody} (${modelName} completion)`;
  return { title, melody: melodyOfTokens(summary.fullSong.tokens, title, originalMelody(storage, guildId, result.melody)) };
}
