import fs from 'node:fs/promises';
import path from 'node:path';
import { findCheckpoint, type LearnResult } from '../learning/engine.ts';
import type { ModelName } from '../../models/registry.ts';
import type { JobRunContext, JobRunner, QueueLogger } from '../queue/index.ts';
import type { Storage } from '../storage/index.ts';
import { melodyOfRecord } from './songbook.ts';
import { learnInWorker, type ThreadOptions } from './thread.ts';
import {
  progressToJson,
  readSummary,
  readTrainParams,
  resultToJson,
  summaryToJson,
  type ModelSummary,
  type TrainProgress,
} from './types.ts';

// The JobRunner the queue calls for a /train job: trains the job's model(s) one after another,
// each in its own worker thread, and keeps what survives a restart in the job's checkpoint
// directory:
//
//   <checkpointDir>/<model>/               learnMelody's checkpoints (every `checkpointEvery` epochs)
//   <checkpointDir>/<model>.staging/       the final model while it is being saved
//   <checkpointDir>/<model>.summary.json   written once a model is done: a resumed job skips it
//
// A finished model moves to <DATA_DIR>/models/<guild>/<melody id>/<model>/ (the melody's id, not
// its name: names may use any script, and a renamed or re-added melody must not find an old model)
// and is recorded with storage.models.save, replacing an earlier training of the same model.
// On cancel or shutdown the worker stops after its current batch and the runner rejects with the
// signal's reason, so the queue ends the job as cancelled, or requeues it to resume from the last
// checkpoint.

export interface TrainingRunnerOptions {
  readonly storage: Storage;
  readonly logger?: QueueLogger;
  /** Epochs between checkpoints. Default 50. */
  readonly checkpointEvery?: number;
  /** Epochs between full-song checks (how soon until_learned notices). Default 10. */
  readonly checkEvery?: number;
  /** Passed to the worker thread (worker URL for tests, abort grace). */
  readonly thread?: Omit<ThreadOptions, 'signal'>;
}

export function modelsRootOf(dataDir: string): string {
  return path.join(dataDir, 'models');
}

export function modelDirectory(modelsRoot: string, guildId: string, melodyId: number, model: ModelName): string {
  return path.join(modelsRoot, safeSegment(guildId), String(melodyId), model);
}

/** Where all of a melody's trained models live (removed with the melody). */
export function melodyModelsDirectory(dataDir: string, guildId: string, melodyId: number): string {
  return path.join(modelsRootOf(dataDir), safeSegment(guildId), String(melodyId));
}

export function createTrainingRunner(options: TrainingRunnerOptions): JobRunner {
  const { storage, logger } = options;
  const checkpointEvery = options.checkpointEvery ?? 50;
  const checkEvery = options.checkEvery ?? 10;
  const modelsRoot = modelsRootOf(storage.dataDir);

  return async (context: JobRunContext) => {
    const { job, signal, checkpointDir } = context;
    const params = readTrainParams(context.params);
    if (job.melodyId === null) throw new Error(`The melody "${job.melodyName}" was deleted, so there is nothing to train.`);
    const record = storage.melodies.getById(job.melodyId);
    if (!record) throw new Error(`The melody "${job.melodyName}" was deleted, so there is nothing to train.`);
    const melody = melodyOfRecord(record);

    const finished: ModelSummary[] = [];
    for (const [modelIndex, model] of params.models.entries()) {
      throwIfAborted(signal);
      const summaryFile = path.join(checkpointDir, `${model}.summary.json`);
      const previous = await readSummaryFile(summaryFile);
      if (previous) {
        finished.push(previous);
        continue;
      }

      const checkpoints = path.join(checkpointDir, model);
      const resumeFrom = await findCheckpoint(checkpoints).catch((error: unknown) => {
        logger?.warn('unreadable checkpoint; training this model from the start', { job: job.id, model, err: error });
        return null;
      });
      if (resumeFrom !== null) logger?.info('resuming from a checkpoint', { job: job.id, model, checkpoint: resumeFrom });
      const staging = path.join(checkpointDir, `${model}.staging`);
      await fs.rm(staging, { recursive: true, force: true });

      let startEpoch: number | null = null;
      const { result, tensors } = await learnInWorker(
        melody.events,
        {
          model,
          epochs: params.epochs,
          window: params.window,
          seed: params.seed,
          untilLearned: params.untilLearned,
          engine: params.engine,
          checkEvery,
          checkpoint: { dir: checkpoints, every: checkpointEvery },
          ...(resumeFrom === null ? {} : { resumeFrom }),
          saveTo: staging,
        },
        {
          ...options.thread,
          signal,
          onEpoch: (report) => {
            startEpoch ??= report.epoch - 1;
            const progress: TrainProgress = {
              model,
              modelIndex,
              modelCount: params.models.length,
              epoch: report.epoch,
              epochs: report.epochs,
              startEpoch,
              loss: report.loss,
              accuracy: report.accuracy,
              elapsedMs: report.elapsedMs,
              finished,
            };
            context.reportProgress(progressToJson(progress), [{ epoch: report.epoch, loss: report.loss, accuracy: report.accuracy, series: model }]);
          },
        },
      );
      throwIfAborted(signal);
      if (tensors.after !== tensors.before) {
        logger?.warn('tf.js tensors left over after training', { job: job.id, model, before: tensors.before, after: tensors.after });
      }

      // The melody may have been deleted while it trained: then there is nowhere to keep the model.
      if (!storage.melodies.getById(record.id)) {
        await fs.rm(staging, { recursive: true, force: true });
        throw new Error(`The melody "${record.name}" was deleted while it trained; the model was not kept.`);
      }
      const target = modelDirectory(modelsRoot, job.guildId, record.id, model);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rm(target, { recursive: true, force: true });
      await fs.rename(staging, target);
      const summary = summarize(result);
      storage.models.save({
        guildId: job.guildId,
        melodyId: record.id,
        modelName: model,
        filesDir: target,
        metadata: { ...summaryToJson(summary, { history: false }), jobId: job.id, trainedBy: job.memberId, epochsAsked: params.epochs },
      });
      await fs.writeFile(summaryFile, JSON.stringify(summaryToJson(summary)));
      finished.push(summary);
    }

    return resultToJson({ melody: record.name, models: finished, seconds: finished.reduce((sum, m) => sum + m.seconds, 0) });
  };
}

export function summarize(result: LearnResult): ModelSummary {
  return {
    model: result.model,
    engine: result.engine,
    backend: result.backend,
    window: result.window,
    epochs: result.epochs,
    learnedAtEpoch: result.learnedAtEpoch,
    stopReason: result.stopReason,
    finalLoss: result.finalLoss,
    trainAccuracy: result.trainAccuracy,
    oneStepAccuracy: result.oneStep.accuracy,
    fullSong: {
      accuracy: result.fullSong.accuracy,
      exact: result.fullSong.exact,
      tokens: [...result.fullSong.tokens],
      wrong: result.fullSong.wrong.map((w) => ({ index: w.index, expected: w.expected, got: w.got })),
    },
    seconds: result.seconds,
    parameters: result.parameters,
    history: { loss: [...result.history.loss], accuracy: [...result.history.accuracy] },
  };
}

async function readSummaryFile(file: string): Promise<ModelSummary | null> {
  try {
    return readSummary(JSON.parse(await fs.readFile(file, 'utf8')));
  } catch {
    return null;
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason ?? new Error('The job was stopped');
}

function safeSegment(text: string): string {
  return /^[\w-]+$/.test(text) ? text : encodeURIComponent(text);
}
