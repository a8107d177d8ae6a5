import type { JsonObject, JsonValue } from '../storage/index.ts';
import { MODEL_NAMES, isModelName, type ModelName } from '../../models/registry.ts';
import { engineFromEnv, isEngineName, type EngineName } from '../learning/engine-choice.ts';

// The JSON a training job carries through the queue and the database: what was asked (params),
// how far it got (progress, updated every epoch), and what it produced (result). The queue stores
// them as opaque JSON; these types and readers are the one agreement between /train, the runner
// and the messages. Readers are defensive: a row written by an older build must not crash a reply.

export const ALL_MODELS = 'all';
export type ModelChoice = ModelName | typeof ALL_MODELS;

export interface TrainParams {
  /** What the member asked for ('all' = the tutorial's four models, trained one after another). */
  readonly model: ModelChoice;
  /** The models to train, in order. */
  readonly models: readonly ModelName[];
  readonly epochs: number;
  readonly window: number;
  readonly untilLearned: boolean;
  readonly seed: number;
  /** The training engine: the member's choice, else the bot's NABI_ENGINE. */
  readonly engine: EngineName;
}

/** The snapshot reported after every epoch. */
export interface TrainProgress {
  readonly model: ModelName;
  /** 0-based index of `model` in params.models. */
  readonly modelIndex: number;
  readonly modelCount: number;
  readonly epoch: number;
  readonly epochs: number;
  /** Epochs already trained before this run (resumed from a checkpoint). */
  readonly startEpoch: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Since this model's run started. */
  readonly elapsedMs: number;
  /** Models of this job that have finished, in order. */
  readonly finished: readonly ModelSummary[];
}

/** One trained model, as the summary shows it. */
export interface ModelSummary {
  readonly model: ModelName;
  /** The engine that trained it; absent in rows written by older builds. */
  readonly engine?: EngineName;
  readonly backend: string;
  readonly window: number;
  readonly epochs: number;
  readonly learnedAtEpoch: number | null;
  readonly stopReason: string;
  readonly finalLoss: number | null;
  readonly trainAccuracy: number;
  readonly oneStepAccuracy: number;
  readonly fullSong: {
    readonly accuracy: number;
    readonly exact: boolean;
    /** The first `window` notes given, then the model's full-song prediction. */
    readonly tokens: readonly string[];
    readonly wrong: readonly { readonly index: number; readonly expected: string; readonly got: string }[];
  };
  readonly seconds: number;
  readonly parameters: number;
  /**
   * Loss and accuracy of every epoch (index 0 = epoch 1), across restarts: the loss chart is drawn
   * from it. In the job's result and the model's summary file; left out of progress snapshots and
   * of trained-model metadata, which do not need it. Absent in rows written by older builds.
   */
  readonly history?: LossAccuracyHistory;
}

export interface LossAccuracyHistory {
  readonly loss: readonly number[];
  readonly accuracy: readonly number[];
}

export interface TrainResultData {
  readonly melody: string;
  readonly models: readonly ModelSummary[];
  /** Wall time of the whole job across restarts is not known; this is the sum of the models' runs. */
  readonly seconds: number;
}

export function modelsFor(choice: ModelChoice): readonly ModelName[] {
  return choice === ALL_MODELS ? MODEL_NAMES : [choice];
}

export function isModelChoice(value: string): value is ModelChoice {
  return value === ALL_MODELS || isModelName(value);
}

// ------------------------------------------------------------------------------------------------
// To and from JSON

export function trainParamsToJson(params: TrainParams): JsonObject {
  return { ...params, models: [...params.models] };
}

export function readTrainParams(json: JsonObject): TrainParams {
  const model = typeof json.model === 'string' && isModelChoice(json.model) ? json.model : null;
  if (model === null) throw new Error(`job params name no known model (${JSON.stringify(json.model)})`);
  const models = Array.isArray(json.models) ? json.models.filter((m): m is ModelName => typeof m === 'string' && isModelName(m)) : modelsFor(model);
  return {
    model,
    models: models.length > 0 ? models : modelsFor(model),
    epochs: integer(json.epochs, 2000),
    window: integer(json.window, 4),
    untilLearned: typeof json.untilLearned === 'boolean' ? json.untilLearned : true,
    seed: integer(json.seed, 5),
    // rows from before engines were per job trained on the process's NABI_ENGINE
    engine: typeof json.engine === 'string' && isEngineName(json.engine) ? json.engine : engineFromEnvOrFast(),
  };
}

function engineFromEnvOrFast(): EngineName {
  try {
    return engineFromEnv();
  } catch {
    return 'fast';
  }
}

export function progressToJson(progress: TrainProgress): JsonObject {
  // Written every second while a job runs: finished models' histories stay in the result only.
  return { ...progress, finished: progress.finished.map((summary) => summaryToJson(summary, { history: false })) };
}

export function readTrainProgress(json: JsonObject | null): TrainProgress | null {
  if (json === null || typeof json.model !== 'string' || !isModelName(json.model)) return null;
  return {
    model: json.model,
    modelIndex: integer(json.modelIndex, 0),
    modelCount: integer(json.modelCount, 1),
    epoch: integer(json.epoch, 0),
    epochs: integer(json.epochs, 0),
    startEpoch: integer(json.startEpoch, 0),
    loss: number(json.loss, Number.NaN),
    accuracy: number(json.accuracy, 0),
    elapsedMs: number(json.elapsedMs, 0),
    finished: readSummaries(json.finished),
  };
}

/** JSON of a summary; `history: false` leaves the loss history out. Non-finite losses become null. */
export function summaryToJson(summary: ModelSummary, options: { readonly history?: boolean } = {}): JsonObject {
  const { history, ...rest } = summary;
  return {
    ...rest,
    fullSong: {
      ...summary.fullSong,
      tokens: [...summary.fullSong.tokens],
      wrong: summary.fullSong.wrong.map((w) => ({ ...w })),
    },
    ...(history && options.history !== false ? { history: { loss: history.loss.map(finiteOrNull), accuracy: history.accuracy.map(finiteOrNull) } } : {}),
  };
}

export function resultToJson(result: TrainResultData): JsonObject {
  return { melody: result.melody, models: result.models.map((summary) => summaryToJson(summary)), seconds: result.seconds };
}

export function readTrainResult(json: JsonObject | null): TrainResultData | null {
  if (json === null) return null;
  return {
    melody: typeof json.melody === 'string' ? json.melody : '',
    models: readSummaries(json.models),
    seconds: number(json.seconds, 0),
  };
}

export function readSummaries(value: JsonValue | undefined): ModelSummary[] {
  if (!Array.isArray(value)) return [];
  const out: ModelSummary[] = [];
  for (const item of value as readonly JsonValue[]) {
    const summary = readSummary(item);
    if (summary) out.push(summary);
  }
  return out;
}

export function readSummary(value: JsonValue | undefined): ModelSummary | null {
  if (!isObject(value) || typeof value.model !== 'string' || !isModelName(value.model)) return null;
  const song = isObject(value.fullSong) ? value.fullSong : {};
  const wrong = Array.isArray(song.wrong) ? (song.wrong as readonly JsonValue[]).filter(isObject) : [];
  return {
    model: value.model,
    ...(typeof value.engine === 'string' && isEngineName(value.engine) ? { engine: value.engine } : {}),
    backend: typeof value.backend === 'string' ? value.backend : '?',
    window: integer(value.window, 4),
    epochs: integer(value.epochs, 0),
    learnedAtEpoch: typeof value.learnedAtEpoch === 'number' ? value.learnedAtEpoch : null,
    stopReason: typeof value.stopReason === 'string' ? value.stopReason : 'epochs',
    finalLoss: typeof value.finalLoss === 'number' ? value.finalLoss : null,
    trainAccuracy: number(value.trainAccuracy, 0),
    oneStepAccuracy: number(value.oneStepAccuracy, 0),
    fullSong: {
      accuracy: number(song.accuracy, 0),
      exact: song.exact === true,
      tokens: Array.isArray(song.tokens) ? (song.tokens as readonly JsonValue[]).filter((t): t is string => typeof t === 'string') : [],
      wrong: wrong.map((w) => ({
        index: integer(w.index, 0),
        expected: typeof w.expected === 'string' ? w.expected : '?',
        got: typeof w.got === 'string' ? w.got : '?',
      })),
    },
    seconds: number(value.seconds, 0),
    parameters: integer(value.parameters, 0),
    ...readHistory(value.history),
  };
}

function readHistory(value: JsonValue | undefined): { history?: LossAccuracyHistory } {
  if (!isObject(value) || !Array.isArray(value.loss)) return {};
  const values = (list: JsonValue | undefined): number[] =>
    Array.isArray(list) ? (list as readonly JsonValue[]).map((v) => (typeof v === 'number' ? v : Number.NaN)) : [];
  return { history: { loss: values(value.loss), accuracy: values(value.accuracy) } };
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(value: JsonValue | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

function number(value: JsonValue | undefined, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}
