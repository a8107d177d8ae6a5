// Training, the tutorial's way: one fit over the windows with the model's batch size, loss and
// accuracy recorded per epoch by callbacks, and for stateful models shuffle off, state carried from
// sample to sample and reset at every epoch end (the tutorial's model.reset_states()).
//
// tf.js's model.fit shuffles with Math.random, which no seed controls, so the samples are fed
// through model.fitDataset — the same training loop and callbacks — from a generator that yields
// the model's batches in order (stateful) or in a per-epoch permutation drawn from (seed, epoch)
// (stateless, like Keras's shuffle=True). A resumed run therefore sees the same batches as an
// uninterrupted one.
//
// Also here: cancellation through an AbortSignal (training stops after the current batch),
// checkpoints every N epochs (weights + Adam state + history) that a later run resumes from, and
// `untilLearned`: every `checkEvery` epochs the model sings the song from its first window and
// training stops once it reproduces the melody exactly.

import * as tf from '@tensorflow/tfjs';
import { disposeModel, resetStates } from '../../models/common.ts';
import { getModelSpec } from '../../models/registry.ts';
import type { ModelName } from '../../models/registry.ts';
import type { ModelSpec } from '../../models/types.ts';
import type { Melody, MelodyEvent } from '../music/melody.ts';
import { formatEvent } from '../music/token.ts';
import { initBackend } from './backend.ts';
import type { BackendName } from './backend.ts';
import { DEFAULT_WINDOW, makeDataset } from './dataset.ts';
import type { Dataset } from './dataset.ts';
import { findCheckpoint, loadModel, saveCheckpoint } from './persistence.ts';
import type { SavedMelody, TrainingHistory } from './persistence.ts';
import { predictFullSong } from './predict.ts';
import type { Predictor } from './predict.ts';
import { checkSeed, createRng, deriveSeed, permutation } from './random.ts';
import { buildVocabulary, sameVocabulary } from './vocabulary.ts';
import type { Vocabulary } from './vocabulary.ts';

/** The tutorial trains for 2000 epochs. */
export const DEFAULT_EPOCHS = 2000;
export const MAX_EPOCHS = 100_000;
/** The tutorial's np.random.seed(5). */
export const DEFAULT_SEED = 5;
export const DEFAULT_CHECK_EVERY = 10;
export const DEFAULT_MODEL: ModelName = 'stateful';

export interface EpochReport {
  /** 1-based, continuing across resumed runs. */
  readonly epoch: number;
  /** The epoch count this run trains up to. */
  readonly epochs: number;
  readonly loss: number;
  readonly accuracy: number;
  /**
   * Training time of this run so far: since its first epoch began, so that elapsed ÷ epochs done
   * is the pace an ETA needs (building the model or loading tf.js would skew an early estimate).
   */
  readonly elapsedMs: number;
  /** This epoch alone (training, plus the learned check when one ran). */
  readonly epochMs: number;
  /** Result of the full-song check when one ran at this epoch. */
  readonly learned?: boolean;
}

export interface TrainOptions {
  /** Default 'stateful'. Ignored (must match if given) when resuming. */
  readonly model?: ModelName;
  /** Default 4. */
  readonly window?: number;
  /** Epoch count to train up to (a resumed run continues to it). Default 2000. */
  readonly epochs?: number;
  /** Default 5. */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** Called after every epoch; awaited, so it may be async (and slows training if slow). */
  readonly onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Stop as soon as the full-song prediction reproduces the melody. */
  readonly untilLearned?: boolean;
  /** Epochs between full-song checks (default 10); giving it without untilLearned records learnedAtEpoch without stopping. */
  readonly checkEvery?: number;
  /** Save a checkpoint into `dir` every `every` epochs. */
  readonly checkpoint?: { readonly dir: string; readonly every: number };
  /** A checkpoint root (or saved model directory) to continue from. */
  readonly resumeFrom?: string;
  /** Backend choice passed to initBackend (default: NABI_TF_BACKEND or automatic). */
  readonly backend?: BackendName | 'auto';
}

export type StopReason = 'epochs' | 'learned' | 'cancelled';

export interface TrainResult {
  /** The trained model; the caller owns it (disposeModel). */
  readonly model: tf.LayersModel;
  readonly spec: ModelSpec;
  readonly vocabulary: Vocabulary;
  readonly dataset: Dataset;
  readonly window: number;
  readonly seed: number;
  readonly melody: SavedMelody;
  readonly backend: BackendName;
  /** Epochs already trained before this run (0 unless resumed). */
  readonly startEpoch: number;
  /** Epochs trained in total. */
  readonly epochs: number;
  readonly targetEpochs: number;
  readonly history: TrainingHistory;
  readonly learnedAtEpoch: number | null;
  readonly stopReason: StopReason;
  readonly cancelled: boolean;
  readonly elapsedMs: number;
  /** Directory of the newest checkpoint written by this run, if any. */
  readonly lastCheckpoint: string | null;
}

export class TrainingError extends Error {
  override name = 'TrainingError';
}

function checkPositiveInt(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new TrainingError(`${what} must be a whole number from 1 to ${max} (got ${String(value)})`);
  }
  return value;
}

function melodyOf(melody: Melody | readonly MelodyEvent[]): SavedMelody {
  if (Array.isArray(melody)) return { events: melody as readonly MelodyEvent[] };
  const m = melody as Melody;
  return m.title === undefined ? { events: m.events } : { title: m.title, events: m.events };
}

/** Full-song prediction from the first window, greedy: does it reproduce the training melody? */
export function singsBack(predictor: Predictor, dataset: Dataset): boolean {
  const { indices, window } = dataset;
  const predicted = predictFullSong(predictor, indices.slice(0, window), indices.length - window);
  return predicted.every((index, i) => index === indices[window + i]);
}

/** Training-set inputs and one-hot targets as tensors (caller disposes). */
export function trainingTensors(spec: ModelSpec, vocabulary: Vocabulary, dataset: Dataset): { x: tf.Tensor; y: tf.Tensor } {
  const x = spec.encode(dataset.inputs, vocabulary);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([...dataset.targets], 'int32'), vocabulary.classes).toFloat());
  return { x, y };
}

/** Keras's model.evaluate on the training set with the model's batch size → loss and accuracy. */
export function evaluateModel(predictor: Predictor, dataset: Dataset): { loss: number; accuracy: number } {
  const { x, y } = trainingTensors(predictor.spec, predictor.vocabulary, dataset);
  resetStates(predictor.model);
  try {
    const out = predictor.model.evaluate(x, y, { batchSize: predictor.spec.batchSize }) as tf.Scalar[];
    const [loss, accuracy] = out.map((t) => t.dataSync()[0] as number);
    tf.dispose(out);
    return { loss: loss as number, accuracy: accuracy as number };
  } finally {
    resetStates(predictor.model);
    tf.dispose([x, y]);
  }
}

export interface Setup {
  model: tf.LayersModel;
  spec: ModelSpec;
  vocabulary: Vocabulary;
  window: number;
  seed: number;
  startEpoch: number;
  history: { loss: number[]; accuracy: number[] };
  learnedAtEpoch: number | null;
}

async function resume(from: string, melody: SavedMelody, options: TrainOptions): Promise<Setup> {
  const dir = await findCheckpoint(from);
  if (dir === null) throw new TrainingError(`nothing to resume in ${from}: no checkpoint.json or nabi.json there`);
  const loaded = await loadModel(dir);
  const { info } = loaded;
  try {
    const conflicts: string[] = [];
    if (options.model !== undefined && options.model !== info.model) conflicts.push(`model ${info.model}, not ${options.model}`);
    if (options.window !== undefined && options.window !== info.window) conflicts.push(`window ${info.window}, not ${options.window}`);
    if (options.seed !== undefined && options.seed !== info.seed) conflicts.push(`seed ${info.seed}, not ${options.seed}`);
    const sameMelody =
      info.melody.events.length === melody.events.length &&
      info.melody.events.every((e, i) => formatEvent(e) === formatEvent(melody.events[i] as MelodyEvent));
    if (!sameMelody || !sameVocabulary(info.vocabulary, buildVocabulary(melody.events))) conflicts.push('a different melody');
    if (conflicts.length > 0) throw new TrainingError(`the checkpoint in ${dir} was trained with ${conflicts.join(', ')}`);
  } catch (error) {
    disposeModel(loaded.model);
    throw error;
  }
  return {
    model: loaded.model,
    spec: loaded.spec,
    vocabulary: loaded.vocabulary,
    window: info.window,
    seed: info.seed,
    startEpoch: info.epochs,
    history: { loss: [...info.history.loss], accuracy: [...info.history.accuracy] },
    learnedAtEpoch: info.learnedAtEpoch,
  };
}

/** Checked options plus a model to train: resumed from a checkpoint, or freshly built. */
export interface PreparedTraining {
  readonly melody: SavedMelody;
  readonly targetEpochs: number;
  readonly checkEvery: number;
  /** Whether to run the full-song check every `checkEvery` epochs. */
  readonly checkLearned: boolean;
  readonly backend: BackendName;
  readonly setup: Setup;
}

/**
 * What every engine does before its first epoch (train() here, trainFast() in src/fast): validate
 * the options, start the backend, and resume the checkpoint or build the model from the seed.
 */
export async function prepareTraining(melodyInput: Melody | readonly MelodyEvent[], options: TrainOptions): Promise<PreparedTraining> {
  const melody = melodyOf(melodyInput);
  const targetEpochs = checkPositiveInt(options.epochs ?? DEFAULT_EPOCHS, 'epochs', MAX_EPOCHS);
  const checkEvery = checkPositiveInt(options.checkEvery ?? DEFAULT_CHECK_EVERY, 'checkEvery', MAX_EPOCHS);
  const checkLearned = options.untilLearned === true || options.checkEvery !== undefined;
  if (options.checkpoint) checkPositiveInt(options.checkpoint.every, 'checkpoint interval', MAX_EPOCHS);
  const backend = (await initBackend(options.backend ? { backend: options.backend } : {})).name;

  let setup: Setup;
  if (options.resumeFrom !== undefined) {
    setup = await resume(options.resumeFrom, melody, options);
  } else {
    const spec = getModelSpec(options.model ?? DEFAULT_MODEL);
    const window = options.window ?? DEFAULT_WINDOW;
    const seed = checkSeed(options.seed ?? DEFAULT_SEED);
    const vocabulary = buildVocabulary(melody.events);
    makeDataset(melody.events, vocabulary, window); // validates window and length before building
    setup = {
      model: spec.build({ window, classes: vocabulary.classes, seed }),
      spec,
      vocabulary,
      window,
      seed,
      startEpoch: 0,
      history: { loss: [], accuracy: [] },
      learnedAtEpoch: null,
    };
  }
  return { melody, targetEpochs, checkEvery, checkLearned, backend, setup };
}

/** Trains one model on one melody. The returned model belongs to the caller. */
export async function train(melodyInput: Melody | readonly MelodyEvent[], options: TrainOptions = {}): Promise<TrainResult> {
  const startedAt = performance.now();
  const prepared = await prepareTraining(melodyInput, options);
  const { melody, targetEpochs, checkEvery, checkLearned, backend, setup } = prepared;
  const { model, spec, vocabulary, window, seed, startEpoch, history } = setup;
  let learnedAtEpoch = setup.learnedAtEpoch;
  let learnedThisRun = false;
  let lastCheckpoint: string | null = null;
  const predictor: Predictor = { model, spec, vocabulary, window };

  const initialHistory = history.loss.length;
  const signal = options.signal;
  const onAbort = (): void => {
    model.stopTraining = true;
  };
  let dataset: Dataset;
  try {
    dataset = makeDataset(melody.events, vocabulary, window);
    if (startEpoch < targetEpochs && !signal?.aborted) {
      signal?.addEventListener('abort', onAbort, { once: true });
      await fit(dataset);
    }
    resetStates(model);
  } catch (error) {
    disposeModel(model);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  async function fit(data: Dataset): Promise<void> {
    const { x, y } = trainingTensors(spec, vocabulary, data);
    try {
      const samples = data.rows.length;
      const batchSize = spec.batchSize;
      const batchesPerEpoch = Math.ceil(samples / batchSize);
      // The epoch being trained: fitDataset asks for each epoch's first batch after onEpochBegin
      // has set it, and only then does the generator body below run.
      let currentEpoch = startEpoch;
      const batches = tf.data.generator(function* () {
        const order = spec.shuffle
          ? permutation(samples, createRng(deriveSeed(seed, 'shuffle', currentEpoch)))
          : Array.from({ length: samples }, (_, i) => i);
        for (let start = 0; start < samples; start += batchSize) {
          const ids = order.slice(start, start + batchSize);
          yield tf.tidy(() => {
            const idx = tf.tensor1d(ids, 'int32');
            return { xs: tf.gather(x, idx), ys: tf.gather(y, idx) };
          });
        }
      });

      let batchesRun = 0;
      let epochStartedAt = performance.now();
      let firstEpochStartedAt: number | undefined;
      resetStates(model);
      await model.fitDataset(batches, {
        epochs: targetEpochs,
        initialEpoch: startEpoch,
        verbose: 0,
        callbacks: {
          onEpochBegin: async (epoch) => {
            currentEpoch = epoch;
            batchesRun = 0;
            epochStartedAt = performance.now();
            firstEpochStartedAt ??= epochStartedAt;
            if (signal?.aborted) model.stopTraining = true;
          },
          onBatchBegin: async () => {
            batchesRun++;
          },
          onEpochEnd: async (epoch, logs) => {
            // Keras stateful semantics: every epoch starts from a zero state.
            resetStates(model);
            if (batchesRun < batchesPerEpoch) return; // cancelled mid-epoch: not a completed epoch
            const number = epoch + 1;
            const loss = Number(logs?.['loss']);
            const accuracy = Number(logs?.['acc'] ?? logs?.['accuracy']);
            history.loss.push(loss);
            history.accuracy.push(accuracy);

            let learned: boolean | undefined;
            if (checkLearned && (number % checkEvery === 0 || number === targetEpochs)) {
              learned = singsBack(predictor, data);
              if (learned && learnedAtEpoch === null) learnedAtEpoch = number;
              if (learned && options.untilLearned) {
                learnedThisRun = true;
                model.stopTraining = true;
              }
            }
            if (options.checkpoint && number % options.checkpoint.every === 0) {
              lastCheckpoint = await saveCheckpoint(options.checkpoint.dir, model, {
                model: spec.name,
                window,
                seed,
                vocabulary,
                melody,
                epochs: number,
                learnedAtEpoch,
                history,
                backend,
              });
            }
            const now = performance.now();
            await options.onEpoch?.({
              epoch: number,
              epochs: targetEpochs,
              loss,
              accuracy,
              elapsedMs: now - (firstEpochStartedAt ?? startedAt),
              epochMs: now - epochStartedAt,
              ...(learned === undefined ? {} : { learned }),
            });
            if (signal?.aborted) model.stopTraining = true;
          },
        },
      });
    } finally {
      tf.dispose([x, y]);
    }
  }

  return trainResult(prepared, initialHistory, signal, { dataset, learnedAtEpoch, learnedThisRun, lastCheckpoint, startedAt });
}

/** How a training loop ended: what both engines' results are built from (trainResult). */
export interface RunOutcome {
  readonly dataset: Dataset;
  readonly learnedAtEpoch: number | null;
  readonly learnedThisRun: boolean;
  readonly lastCheckpoint: string | null;
  /** performance.now() when training was asked for. */
  readonly startedAt: number;
}

/** The TrainResult of a run: epochs trained (setup's history grew by this run's), why it stopped. */
export function trainResult(prepared: PreparedTraining, initialHistory: number, signal: AbortSignal | undefined, run: RunOutcome): TrainResult {
  const { setup, melody, backend, targetEpochs } = prepared;
  const { model, spec, vocabulary, window, seed, startEpoch, history } = setup;
  const epochs = startEpoch + (history.loss.length - initialHistory);
  const cancelled = !run.learnedThisRun && signal?.aborted === true && epochs < targetEpochs;
  return {
    model,
    spec,
    vocabulary,
    dataset: run.dataset,
    window,
    seed,
    melody,
    backend,
    startEpoch,
    epochs,
    targetEpochs,
    history,
    learnedAtEpoch: run.learnedAtEpoch,
    stopReason: run.learnedThisRun ? 'learned' : cancelled ? 'cancelled' : 'epochs',
    cancelled,
    elapsedMs: performance.now() - run.startedAt,
    lastCheckpoint: run.lastCheckpoint,
  };
}
