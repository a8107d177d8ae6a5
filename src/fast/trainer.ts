// Training with the fast engine: the same options, results, callbacks, seeded shuffle, stateful
// resets, cancellation, checkpoints and until-learned checks as src/learning/train.ts, but the
// optimiser steps run on the fused nets of this directory instead of tf.js's fitDataset.
//
// The tf.js model is still built (by the same builder, so a seed gives the same initial weights)
// and owned by the caller at the end: the fast net starts from its weights and writes the trained
// weights — and Adam's state — back into it before every checkpoint and at the end, so saving,
// loading, prediction and evaluation stay tf.js's.
//
// Per epoch, like fitDataset + train.ts: the order is permutation(samples, createRng(deriveSeed(seed,
// 'shuffle', epoch))) for shuffled models (epoch 0-based) or 0 … n−1; batches of spec.batchSize;
// the epoch's loss and accuracy are sample-weighted means over its batches (tf.js's BaseLogger);
// stateful models start every epoch from a zero state.

import { disposeModel, resetStates } from '../../models/common.ts';
import type { ModelSpec } from '../../models/types.ts';
import type { Melody, MelodyEvent } from '../music/melody.ts';
import { makeDataset } from '../learning/dataset.ts';
import type { Dataset } from '../learning/dataset.ts';
import { saveCheckpoint } from '../learning/persistence.ts';
import { createRng, deriveSeed, permutation } from '../learning/random.ts';
import { prepareTraining, trainResult } from '../learning/train.ts';
import type { TrainOptions, TrainResult } from '../learning/train.ts';
import type { Vocabulary } from '../learning/vocabulary.ts';
import { copyOptimizerIn, copyOptimizerOut, copyWeightsOut, netFromModel } from './bridge.ts';
import type { FastNet } from './bridge.ts';
import type { KernelsName } from './kernels.ts';

export { ENGINE_ENV, ENGINE_NAMES, engineFromEnv } from '../learning/engine-choice.ts';
export type { EngineName } from '../learning/engine-choice.ts';

export interface FastTrainOptions extends TrainOptions {
  /** Kernels of the fast net: wasm SIMD, TypeScript, or auto (NABI_FAST_KERNELS, else wasm when available). */
  readonly kernels?: KernelsName | 'auto';
}

export interface FastTrainResult extends TrainResult {
  readonly engine: 'fast';
  /** The fast net, holding the same weights as `model` (e.g. for fast prediction). */
  readonly net: FastNet;
}

/** Yield to the event loop at least this often (ms), so aborts and messages get through. */
const YIELD_EVERY_MS = 25;

/** Model inputs of every window as one Float32Array (window · features values per sample). */
export function encodeInputs(spec: ModelSpec, vocabulary: Vocabulary, dataset: Dataset): Float32Array {
  const perSample = dataset.window * spec.featuresPerStep;
  const x = new Float32Array(dataset.inputs.length * perSample);
  let o = 0;
  for (const w of dataset.inputs) for (const index of w) for (const f of spec.stepFeatures(index, vocabulary)) x[o++] = f;
  return x;
}

/** Greedy full-song prediction with the fast net from the melody's first window (train.ts's singsBack). */
export function fastSingsBack(net: FastNet, spec: ModelSpec, vocabulary: Vocabulary, dataset: Dataset): boolean {
  const { indices, window } = dataset;
  const F = spec.featuresPerStep;
  const x = new Float32Array(window * F);
  const probs = new Float32Array(vocabulary.classes);
  const current = indices.slice(0, window);
  net.resetState();
  try {
    for (let i = window; i < indices.length; i++) {
      let o = 0;
      for (const index of current) for (const f of spec.stepFeatures(index, vocabulary)) x[o++] = f;
      net.predict(x, 0, probs);
      let best = 0;
      for (let k = 1; k < probs.length; k++) if ((probs[k] as number) > (probs[best] as number)) best = k;
      if (best !== indices[i]) return false;
      current.push(best);
      current.shift();
    }
    return true;
  } finally {
    net.resetState();
  }
}

/** Trains one model on one melody with the fast engine. The returned model belongs to the caller. */
export async function trainFast(melodyInput: Melody | readonly MelodyEvent[], options: FastTrainOptions = {}): Promise<FastTrainResult> {
  const startedAt = performance.now();
  const prepared = await prepareTraining(melodyInput, options);
  const { melody, targetEpochs, checkEvery, checkLearned, backend, setup } = prepared;
  const { model, spec, vocabulary, window, seed, startEpoch, history } = setup;
  let learnedAtEpoch = setup.learnedAtEpoch;
  let learnedThisRun = false;
  let lastCheckpoint: string | null = null;
  const initialHistory = history.loss.length;
  const signal = options.signal;

  let dataset: Dataset;
  let net: FastNet;
  try {
    dataset = makeDataset(melody.events, vocabulary, window);
    net = netFromModel(spec, model, window, vocabulary.classes, options.kernels ?? 'auto');
    await copyOptimizerIn(net, model);
    if (startEpoch < targetEpochs && !signal?.aborted) await fit(net, dataset);
    copyWeightsOut(net, model);
    await copyOptimizerOut(net, model);
    resetStates(model);
  } catch (error) {
    disposeModel(model);
    throw error;
  }

  async function fit(net: FastNet, data: Dataset): Promise<void> {
    const x = encodeInputs(spec, vocabulary, data);
    const targets = Int32Array.from(data.targets);
    const samples = data.rows.length;
    const batchSize = net.batchSize;
    const inOrder = Array.from({ length: samples }, (_, i) => i);
    let lastYield = performance.now();
    let firstEpochStartedAt: number | undefined;

    for (let epoch = startEpoch; epoch < targetEpochs; epoch++) {
      if (signal?.aborted) break;
      const epochStartedAt = performance.now();
      firstEpochStartedAt ??= epochStartedAt;
      const order = spec.shuffle ? permutation(samples, createRng(deriveSeed(seed, 'shuffle', epoch))) : inOrder;
      net.resetState();
      let lossSum = 0;
      let correct = 0;
      let completed = true;
      for (let start = 0; start < samples; start += batchSize) {
        // stats[0] is the sum of the batch's sample losses: tf.js logs each batch's mean loss and
        // BaseLogger weights it by the batch size.
        net.trainBatch(x, targets, order, start);
        lossSum += net.stats[0] as number;
        correct += net.stats[1] as number;
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        if (signal?.aborted && start + batchSize < samples) {
          completed = false; // cancelled mid-epoch (after the current batch, as tf.js): not a completed epoch
          break;
        }
      }
      // Keras stateful semantics: every epoch starts from a zero state.
      net.resetState();
      if (!completed) break;
      const number = epoch + 1;
      const loss = lossSum / samples;
      const accuracy = correct / samples;
      history.loss.push(loss);
      history.accuracy.push(accuracy);

      let learned: boolean | undefined;
      if (checkLearned && (number % checkEvery === 0 || number === targetEpochs)) {
        learned = fastSingsBack(net, spec, vocabulary, data);
        if (learned && learnedAtEpoch === null) learnedAtEpoch = number;
        if (learned && options.untilLearned) learnedThisRun = true;
      }
      if (options.checkpoint && number % options.checkpoint.every === 0) {
        copyWeightsOut(net, model);
        await copyOptimizerOut(net, model);
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
      if (options.onEpoch) {
        await options.onEpoch({
          epoch: number,
          epochs: targetEpochs,
          loss,
          accuracy,
          elapsedMs: now - (firstEpochStartedAt ?? startedAt),
          epochMs: now - epochStartedAt,
          ...(learned === undefined ? {} : { learned }),
        });
        lastYield = performance.now();
      }
      if (learnedThisRun) break;
    }
  }

  return { ...trainResult(prepared, initialHistory, signal, { dataset, learnedAtEpoch, learnedThisRun, lastCheckpoint, startedAt }), engine: 'fast', net };
}
