// Saving and loading trained models and checkpoints, without tfjs-node.
//
// A saved model is a directory:
//   model.json   tf.js layers format (topology, training config, weights manifest) — loadable by
//                tf.loadLayersModel / tfjs-node's file:// handler as well
//   weights.bin  the weights the manifest describes (plus Adam's state for checkpoints, in the
//                manifest's "optimizer" group)
//   nabi.json    what Nabi needs around it: model name, window, seed, vocabulary, the training
//                melody, epochs, learnedAtEpoch, loss/accuracy history, backend, createdAt.
// A checkpoint root holds `checkpoint.json` naming its latest `epoch-NNNNNN/` saved-model directory;
// the pointer is replaced atomically after the new directory is complete, so a crash mid-save
// leaves the previous checkpoint usable.

import * as tf from '@tensorflow/tfjs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { disposeModel, resetStates } from '../../models/common.ts';
import { getModelSpec, isModelName } from '../../models/registry.ts';
import type { ModelName } from '../../models/registry.ts';
import type { ModelSpec } from '../../models/types.ts';
import type { MelodyEvent } from '../music/melody.ts';
import { checkWindow } from './dataset.ts';
import { vocabularyFromJSON } from './vocabulary.ts';
import type { Vocabulary } from './vocabulary.ts';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const INFO_FILE = 'nabi.json';
export const CHECKPOINT_FILE = 'checkpoint.json';

export interface TrainingHistory {
  /** Loss per epoch; index 0 is epoch 1. */
  readonly loss: readonly number[];
  readonly accuracy: readonly number[];
}

export interface SavedMelody {
  readonly title?: string;
  readonly events: readonly MelodyEvent[];
}

/** Contents of nabi.json. */
export interface SavedModelInfo {
  readonly format: 'nabi-model';
  readonly version: 1;
  readonly model: ModelName;
  readonly window: number;
  readonly seed: number;
  readonly vocabulary: Vocabulary;
  readonly melody: SavedMelody;
  /** Epochs trained in total. */
  readonly epochs: number;
  readonly learnedAtEpoch: number | null;
  readonly history: TrainingHistory;
  readonly backend: string;
  readonly createdAt: string;
  /** Whether weights.bin also holds Adam's state (checkpoints: yes). */
  readonly includesOptimizer: boolean;
}

export type ModelInfoInput = Omit<SavedModelInfo, 'format' | 'version' | 'createdAt' | 'includesOptimizer'> & {
  readonly createdAt?: string;
};

/** A model loaded from disk, with everything needed to predict or keep training. */
export interface LoadedModel {
  readonly model: tf.LayersModel;
  readonly spec: ModelSpec;
  readonly vocabulary: Vocabulary;
  readonly window: number;
  readonly info: SavedModelInfo;
  readonly dir: string;
}

export class PersistenceError extends Error {
  override name = 'PersistenceError';
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function trainingConfig(model: tf.LayersModel): tf.io.TrainingConfig {
  const optimizer = model.optimizer as tf.Optimizer;
  return {
    loss: 'categorical_crossentropy',
    metrics: ['accuracy'],
    optimizer_config: { class_name: optimizer.getClassName(), config: optimizer.getConfig() },
  };
}

/** The model's artifacts as tf.js produces them for saving (topology, weight specs and data). */
async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!captured) throw new PersistenceError('tf.js produced no model artifacts');
  return captured;
}

/**
 * Saves `model` into `dir` (created if needed; existing files replaced). With `includeOptimizer`
 * Adam's moments and iteration count are saved too, so training can resume exactly.
 */
export async function saveModel(
  dir: string,
  model: tf.LayersModel,
  input: ModelInfoInput,
  options: { includeOptimizer?: boolean } = {},
): Promise<SavedModelInfo> {
  const includeOptimizer = options.includeOptimizer ?? false;
  const artifacts = await captureArtifacts(model);
  const specs = [...(artifacts.weightSpecs ?? [])];
  const buffers: ArrayBuffer[] = [tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0))];

  if (includeOptimizer) {
    const optimizer = model.optimizer as tf.Optimizer | undefined;
    if (!optimizer) throw new PersistenceError('cannot save optimizer state: the model is not compiled');
    const weights = await optimizer.getWeights();
    try {
      const encoded = await tf.io.encodeWeights(weights, 'optimizer');
      specs.push(...encoded.specs);
      buffers.push(encoded.data);
    } finally {
      // getWeights() creates a fresh scalar for the iteration count; the rest are live variables.
      tf.dispose(weights.filter((w) => w.name === 'iter').map((w) => w.tensor));
    }
  }

  const modelJSON: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    trainingConfig: trainingConfig(model),
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  const info: SavedModelInfo = {
    format: 'nabi-model',
    version: 1,
    ...input,
    createdAt: input.createdAt ?? new Date().toISOString(),
    includesOptimizer: includeOptimizer,
  };

  await mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, WEIGHTS_FILE), new Uint8Array(tf.io.CompositeArrayBuffer.join(buffers)));
  await writeAtomic(path.join(dir, MODEL_FILE), JSON.stringify(modelJSON));
  await writeAtomic(path.join(dir, INFO_FILE), `${JSON.stringify(info, null, 1)}\n`);
  return info;
}

function parseInfo(json: unknown, file: string): SavedModelInfo {
  const fail = (why: string): never => {
    throw new PersistenceError(`${file} is not a Nabi model description: ${why}`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const v = json as Record<string, unknown>;
  if (v['format'] !== 'nabi-model' || v['version'] !== 1) fail(`unknown format ${String(v['format'])} v${String(v['version'])}`);
  const model = v['model'];
  if (typeof model !== 'string' || !isModelName(model)) return fail(`unknown model ${String(model)}`);
  const window = v['window'];
  if (typeof window !== 'number') return fail('window missing');
  checkWindow(window);
  if (typeof v['seed'] !== 'number') fail('seed missing');
  const vocabulary = vocabularyFromJSON(v['vocabulary']);
  const melody = v['melody'] as Record<string, unknown> | undefined;
  if (!melody || !Array.isArray(melody['events'])) fail('training melody missing');
  const history = v['history'] as Record<string, unknown> | undefined;
  if (!history || !Array.isArray(history['loss']) || !Array.isArray(history['accuracy'])) fail('history missing');
  if (!Number.isInteger(v['epochs'])) fail('epochs missing');
  return { ...(v as unknown as SavedModelInfo), vocabulary };
}

/** Reads and checks nabi.json of a saved model directory. */
export async function readModelInfo(dir: string): Promise<SavedModelInfo> {
  const file = path.join(dir, INFO_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new PersistenceError(`no saved model in ${dir} (${INFO_FILE} is missing)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PersistenceError(`${file} is not valid JSON`);
  }
  return parseInfo(json, file);
}

/**
 * Loads a saved model directory. The model is rebuilt from its architecture (so a stateful model
 * gets its fixed batch shape of 1 back), compiled, given the saved weights — and Adam's state when
 * it was saved — and its recurrent state is reset. Rebuilding instead of tf.loadLayersModel keeps
 * loading synchronous inside tf.tidy-able steps (tf.js leaks build temporaries otherwise) and
 * checks every weight's name and shape against the architecture.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const info = await readModelInfo(dir);
  const spec = getModelSpec(info.model);
  let modelJSON: tf.io.ModelJSON;
  let weightData: ArrayBuffer;
  try {
    modelJSON = JSON.parse(await readFile(path.join(dir, MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
    const bytes = await readFile(path.join(dir, WEIGHTS_FILE));
    weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  } catch (error) {
    throw new PersistenceError(`cannot read the model files in ${dir}: ${(error as Error).message}`);
  }
  const specs = tf.io.getWeightSpecs(modelJSON.weightsManifest ?? []);
  const expectedBytes = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (specs.some((s) => s.dtype !== 'float32' && s.dtype !== 'int32') || expectedBytes !== weightData.byteLength) {
    throw new PersistenceError(`${dir}: ${WEIGHTS_FILE} has ${weightData.byteLength} bytes, model.json describes ${expectedBytes}`);
  }

  const model = spec.build({ window: info.window, classes: info.vocabulary.classes, seed: info.seed });
  const decoded = tf.io.decodeWeights(weightData, specs);
  try {
    const modelWeights: tf.NamedTensorMap = {};
    const optimizerWeights: Parameters<tf.Optimizer['setWeights']>[0] = [];
    for (const s of specs) {
      const tensor = decoded[s.name] as tf.Tensor;
      if (s.group === 'optimizer') optimizerWeights.push({ name: s.name, tensor });
      else modelWeights[s.name] = tensor;
    }
    try {
      model.loadWeights(modelWeights, true);
    } catch (error) {
      throw new PersistenceError(`${dir}: the weights do not fit a ${info.model} model with window ${info.window} and ${info.vocabulary.classes} classes (${(error as Error).message})`);
    }
    if (optimizerWeights.length > 0) await (model.optimizer as tf.Optimizer).setWeights(optimizerWeights);
    resetStates(model);
  } catch (error) {
    disposeModel(model);
    throw error;
  } finally {
    tf.dispose(Object.values(decoded));
  }
  return { model, spec, vocabulary: info.vocabulary, window: info.window, info, dir };
}

function checkpointName(epochs: number): string {
  return `epoch-${String(epochs).padStart(6, '0')}`;
}

/**
 * Saves a checkpoint (weights + Adam state + nabi.json with epochs and history) under `root`,
 * then points checkpoint.json at it and removes older checkpoints. Returns the checkpoint's directory.
 */
export async function saveCheckpoint(root: string, model: tf.LayersModel, input: ModelInfoInput): Promise<string> {
  const name = checkpointName(input.epochs);
  const dir = path.join(root, name);
  await rm(dir, { recursive: true, force: true });
  await saveModel(dir, model, input, { includeOptimizer: true });
  const pointer = { format: 'nabi-checkpoint', version: 1, latest: name, epochs: input.epochs, savedAt: new Date().toISOString() };
  await writeAtomic(path.join(root, CHECKPOINT_FILE), `${JSON.stringify(pointer, null, 1)}\n`);
  for (const entry of await readdir(root)) {
    if (entry.startsWith('epoch-') && entry !== name) await rm(path.join(root, entry), { recursive: true, force: true });
  }
  return dir;
}

/**
 * The saved-model directory to resume from: `dir` itself when it holds nabi.json, else the
 * checkpoint that `dir/checkpoint.json` points to; null when there is neither.
 */
export async function findCheckpoint(dir: string): Promise<string | null> {
  if (await exists(path.join(dir, INFO_FILE))) return dir;
  const pointerFile = path.join(dir, CHECKPOINT_FILE);
  if (!(await exists(pointerFile))) return null;
  let latest: unknown;
  try {
    latest = (JSON.parse(await readFile(pointerFile, 'utf8')) as Record<string, unknown>)['latest'];
  } catch {
    throw new PersistenceError(`${pointerFile} is not valid JSON`);
  }
  if (typeof latest !== 'string' || !/^epoch-\d+$/.test(latest)) throw new PersistenceError(`${pointerFile} names no checkpoint`);
  const target = path.join(dir, latest);
  if (!(await exists(path.join(target, INFO_FILE)))) throw new PersistenceError(`${pointerFile} points to ${latest}, which is missing`);
  return target;
}
