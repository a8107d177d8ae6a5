// The high-level learning API for the CLI, the bot's training worker threads and benchmarks.
// Inputs and outputs are plain data (structured-clone safe); every model and tensor made here is
// disposed before returning.
//
//   const result = await learnMelody(melody, { model: 'stateful', epochs: 2000, saveTo: dir });
//   const song = await completeMelody(dir, { start: 0, temperature: 0 });

import { disposeModel } from '../../models/common.ts';
import type { ModelName } from '../../models/registry.ts';
import type { Melody, MelodyEvent } from '../music/melody.ts';
import { formatEvent } from '../music/token.ts';
import { initBackend } from './backend.ts';
import type { BackendInfo, BackendName } from './backend.ts';
import { compareEvents } from './compare.ts';
import type { WrongNote } from './compare.ts';
import { windowsOf } from './dataset.ts';
import type { Dataset } from './dataset.ts';
import { loadModel, saveModel } from './persistence.ts';
import type { LoadedModel, TrainingHistory } from './persistence.ts';
import { checkLength, predictFullSong, predictOneStep, PredictionError } from './predict.ts';
import type { Predictor } from './predict.ts';
import { evaluateModel, train } from './train.ts';
import { engineFromEnv, trainFast } from '../fast/trainer.ts';
import type { EngineName } from '../fast/trainer.ts';
import type { StopReason, TrainOptions } from './train.ts';
import { decodeIndices, encodeEvents } from './vocabulary.ts';

export type { EpochReport, StopReason } from './train.ts';
export type { WrongNote } from './compare.ts';
export { ENGINE_NAMES, engineFromEnv } from '../fast/trainer.ts';
export type { EngineName } from '../fast/trainer.ts';

export interface LearnOptions extends TrainOptions {
  /** Save the trained model into this directory (not when the run was cancelled). */
  readonly saveTo?: string;
  /**
   * `fast` (default): Nabi's fused LSTM/MLP engine (src/fast), the same mathematics as the tf.js
   * models; `tfjs`: tf.js's own fit, the reference. Default: NABI_ENGINE, else fast.
   */
  readonly engine?: EngineName;
}

export interface OneStepResult {
  /** Share of predicted notes equal to the original. */
  readonly accuracy: number;
  /** The first window's true notes followed by every one-step prediction (the tutorial's seq_out). */
  readonly notes: readonly MelodyEvent[];
  readonly tokens: readonly string[];
  readonly wrong: readonly WrongNote[];
}

export interface FullSongResult extends OneStepResult {
  /** Every predicted note equal to the original. */
  readonly exact: boolean;
}

export interface LearnResult {
  readonly model: ModelName;
  /** Which engine trained it. */
  readonly engine: EngineName;
  readonly backend: BackendName;
  readonly window: number;
  readonly seed: number;
  /** Epochs trained in total (including a resumed checkpoint's). */
  readonly epochs: number;
  readonly startEpoch: number;
  readonly learnedAtEpoch: number | null;
  readonly stopReason: StopReason;
  readonly cancelled: boolean;
  /** Loss of the last epoch (null when no epoch ran). */
  readonly finalLoss: number | null;
  /** model.evaluate on the training set with the model's batch size. */
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly oneStep: OneStepResult;
  readonly fullSong: FullSongResult;
  readonly seconds: number;
  readonly history: TrainingHistory;
  readonly parameters: number;
  readonly vocabularySize: number;
  readonly classes: number;
  readonly savedTo: string | null;
  readonly lastCheckpoint: string | null;
}

function oneStepResult(predictor: Predictor, dataset: Dataset): OneStepResult {
  const { indices, window } = dataset;
  const predicted = predictOneStep(predictor, indices);
  const original = decodeIndices(predictor.vocabulary, indices);
  const notes = [...original.slice(0, window), ...decodeIndices(predictor.vocabulary, predicted)];
  const comparison = compareEvents(original.slice(window), notes.slice(window), window);
  return { accuracy: comparison.accuracy, notes, tokens: notes.map(formatEvent), wrong: comparison.wrong };
}

function fullSongResult(predictor: Predictor, dataset: Dataset): FullSongResult {
  const { indices, window } = dataset;
  const predicted = predictFullSong(predictor, indices.slice(0, window), indices.length - window);
  const original = decodeIndices(predictor.vocabulary, indices);
  const notes = [...original.slice(0, window), ...decodeIndices(predictor.vocabulary, predicted)];
  const comparison = compareEvents(original.slice(window), notes.slice(window), window);
  return {
    accuracy: comparison.accuracy,
    exact: comparison.exact,
    notes,
    tokens: notes.map(formatEvent),
    wrong: comparison.wrong,
  };
}

/** Trains a model on a melody and reports how well it learned it (the tutorial's evaluation). */
export async function learnMelody(melody: Melody | readonly MelodyEvent[], options: LearnOptions = {}): Promise<LearnResult> {
  const started = performance.now();
  const engine = options.engine ?? engineFromEnv();
  const trained = engine === 'fast' ? await trainFast(melody, options) : await train(melody, options);
  const { model, spec, vocabulary, dataset, window } = trained;
  try {
    const predictor: Predictor = { model, spec, vocabulary, window };
    const evaluation = evaluateModel(predictor, dataset);
    const oneStep = oneStepResult(predictor, dataset);
    const fullSong = fullSongResult(predictor, dataset);
    let savedTo: string | null = null;
    if (options.saveTo !== undefined && !trained.cancelled) {
      await saveModel(options.saveTo, model, {
        model: spec.name,
        window,
        seed: trained.seed,
        vocabulary,
        melody: trained.melody,
        epochs: trained.epochs,
        learnedAtEpoch: trained.learnedAtEpoch,
        history: trained.history,
        backend: trained.backend,
      });
      savedTo = options.saveTo;
    }
    return {
      model: spec.name,
      engine,
      backend: trained.backend,
      window,
      seed: trained.seed,
      epochs: trained.epochs,
      startEpoch: trained.startEpoch,
      learnedAtEpoch: trained.learnedAtEpoch,
      stopReason: trained.stopReason,
      cancelled: trained.cancelled,
      finalLoss: trained.history.loss.at(-1) ?? null,
      trainLoss: evaluation.loss,
      trainAccuracy: evaluation.accuracy,
      oneStep,
      fullSong,
      seconds: (performance.now() - started) / 1000,
      history: { loss: [...trained.history.loss], accuracy: [...trained.history.accuracy] },
      parameters: model.countParams(),
      vocabularySize: vocabulary.size,
      classes: vocabulary.classes,
      savedTo,
      lastCheckpoint: trained.lastCheckpoint,
    };
  } finally {
    disposeModel(model);
  }
}

export interface CompleteOptions {
  /**
   * Where the song starts: a position in the training melody (default 0, its first notes), or
   * `window` notes of one's own (which must be in the model's vocabulary).
   */
  readonly start?: number | readonly MelodyEvent[];
  /** Notes to predict; default: to the end of the training melody (or its length for own notes). */
  readonly length?: number;
  /** 0 (default) always takes the likeliest note; higher values sample more freely. */
  readonly temperature?: number;
  /** Seed of the sampling (default 0). */
  readonly seed?: number;
}

export interface CompletionResult {
  readonly model: ModelName;
  readonly backend: BackendName;
  readonly window: number;
  /** Position in the training melody the completion starts from, or null for one's own notes. */
  readonly start: number | null;
  readonly temperature: number;
  readonly seed: number;
  /** The start notes followed by the predicted ones. */
  readonly notes: readonly MelodyEvent[];
  readonly tokens: readonly string[];
  /**
   * Predicted notes against the original melody at the same positions (wrong[].index is a position
   * in the original); null when the start was one's own notes.
   */
  readonly fullSong: { readonly accuracy: number; readonly exact: boolean; readonly compared: number; readonly wrong: readonly WrongNote[] } | null;
  /** The model's one-step prediction over the whole training melody. */
  readonly oneStep: OneStepResult;
  readonly epochs: number;
  readonly learnedAtEpoch: number | null;
  readonly seconds: number;
}

/**
 * Sings a saved model's song from a start (its first notes by default). `saved` is a saved model
 * directory (loaded and disposed here) or an already loaded model (left to its owner).
 */
export async function completeMelody(saved: string | LoadedModel, options: CompleteOptions = {}): Promise<CompletionResult> {
  const started = performance.now();
  const backend = (await initBackend()).name;
  const loaded = typeof saved === 'string' ? await loadModel(saved) : saved;
  try {
    const { model, spec, vocabulary, window, info } = loaded;
    const predictor: Predictor = { model, spec, vocabulary, window };
    const original = info.melody.events;
    const indices = encodeEvents(vocabulary, original);
    const temperature = options.temperature ?? 0;
    const seed = options.seed ?? 0;

    let startIndices: number[];
    let startPosition: number | null;
    if (typeof options.start === 'number' || options.start === undefined) {
      const position = options.start ?? 0;
      if (!Number.isInteger(position) || position < 0 || position > original.length - window) {
        throw new PredictionError(`start must be a note position from 0 to ${original.length - window} (the melody has ${original.length} notes, window ${window})`);
      }
      startPosition = position;
      startIndices = indices.slice(position, position + window);
    } else {
      if (options.start.length !== window) {
        throw new PredictionError(`give exactly ${window} start notes for this model (got ${options.start.length})`);
      }
      startPosition = null;
      startIndices = encodeEvents(vocabulary, options.start);
    }
    const remaining = startPosition === null ? original.length - window : original.length - window - startPosition;
    const length = checkLength(options.length ?? Math.max(1, remaining));

    const predicted = predictFullSong(predictor, startIndices, length, { temperature, seed });
    const notes = decodeIndices(vocabulary, [...startIndices, ...predicted]);
    let fullSong: CompletionResult['fullSong'] = null;
    if (startPosition !== null) {
      const from = startPosition + window;
      const c = compareEvents(original.slice(from, from + length), notes.slice(window), from);
      fullSong = { accuracy: c.accuracy, exact: c.exact, compared: c.total, wrong: c.wrong };
    }
    const oneStep = oneStepResult(predictor, windowsOf(indices, window));
    return {
      model: spec.name,
      backend,
      window,
      start: startPosition,
      temperature,
      seed,
      notes,
      tokens: notes.map(formatEvent),
      fullSong,
      oneStep,
      epochs: info.epochs,
      learnedAtEpoch: info.learnedAtEpoch,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (typeof saved === 'string') disposeModel(loaded.model);
  }
}

/** Starts (once) and describes the tf.js backend; see backend.ts for NABI_TF_BACKEND. */
export function learningBackend(backend?: BackendName | 'auto'): Promise<BackendInfo> {
  return initBackend(backend ? { backend } : {});
}

export { loadModel, readModelInfo, findCheckpoint } from './persistence.ts';
export type { LoadedModel, SavedModelInfo, TrainingHistory } from './persistence.ts';
export { MODEL_NAMES, getModelSpec, isModelName } from '../../models/registry.ts';
export type { ModelName } from '../../models/registry.ts';
export { disposeModel } from '../../models/common.ts';
