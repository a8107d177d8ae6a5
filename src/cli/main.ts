// `nabi` — learn a melody and complete it from a terminal, offline. The same engine the bot's
// workers run; this is also the demo and the benchmark's building block.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { completeMelody, learnMelody, MODEL_NAMES, isModelName } from '../learning/engine.ts';
import type { CompletionResult, LearnResult, ModelName } from '../learning/engine.ts';
import type { Melody } from '../music/melody.ts';
import { parseMelodyText, readMelodyFile } from '../music/parse.ts';
import { SONGBOOK, SONG_NAMES, getSong } from '../music/songbook.ts';
import { ProgressBar } from './progress.ts';
import { ANSI, PLAIN, completeReport, learnReport } from './report.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

const HELP = `nabi — learns melodies and sings them back (after the Keras 나비야 tutorial)

usage:
  nabi demo                         learn 나비야 with the stateful LSTM until it sings it back
  nabi learn <song|notes|file> [options]
      --model mlp|lstm|stateful|stateful-2f   (default stateful)
      --epochs N        epochs to train up to (default 2000)
      --window N        notes per input window (default 4)
      --seed N          random seed (default 5, the tutorial's)
      --until-learned   stop once the whole song is sung back exactly from its first window
      --check-every N   epochs between those checks (default 10)
      --checkpoint-every N  write a checkpoint every N epochs (into --save's folder)
      --resume DIR      continue from a checkpoint or saved model
      --save DIR        save the trained model (tf.js format + nabi.json)
      --json            print one JSON object instead of text
  nabi complete <saved model dir> [options]
      --start N|"notes" where to start: a position in the training melody, or your own notes
      --length N        notes to predict (default: to the end of the song)
      --temperature T   0 = always the likeliest note (default); higher samples more freely
      --seed N          seed of the sampling (default 0)
      --json
  nabi songs                        the built-in songbook

A song is a songbook name (${SONG_NAMES.join(', ')}), a notes string in the token syntax
("g8 e8 e4 f8 d8 d4") or ABC, or a .mid/.midi/.abc/.txt file.`;

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${name} must be a whole number (got "${value}")`);
  return Number(value);
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number (got "${value}")`);
  return n;
}

/** A songbook name, a file, or notes typed on the command line. */
export function resolveMelody(source: string): Melody {
  if (Object.hasOwn(SONGBOOK, source)) return getSong(source).melody;
  if (existsSync(source) && statSync(source).isFile()) {
    return readMelodyFile(path.basename(source), new Uint8Array(readFileSync(source)));
  }
  return parseMelodyText(source);
}

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/** The JSON the CLI prints for `learn --json`: the fields plus what a script may want. */
export function learnJson(result: LearnResult): Record<string, unknown> {
  return {
    model: result.model,
    backend: result.backend,
    window: result.window,
    seed: result.seed,
    epochs: result.epochs,
    learnedAtEpoch: result.learnedAtEpoch,
    stopReason: result.stopReason,
    loss: result.finalLoss,
    trainLoss: result.trainLoss,
    trainAccuracy: result.trainAccuracy,
    oneStep: { accuracy: result.oneStep.accuracy, notes: result.oneStep.tokens, wrong: result.oneStep.wrong },
    fullSong: {
      accuracy: result.fullSong.accuracy,
      exact: result.fullSong.exact,
      notes: result.fullSong.tokens,
      wrong: result.fullSong.wrong,
    },
    seconds: result.seconds,
    parameters: result.parameters,
    savedTo: result.savedTo,
    history: result.history,
  };
}

export function completeJson(result: CompletionResult): Record<string, unknown> {
  return {
    model: result.model,
    backend: result.backend,
    window: result.window,
    start: result.start,
    temperature: result.temperature,
    seed: result.seed,
    notes: result.tokens,
    fullSong: result.fullSong,
    oneStep: { accuracy: result.oneStep.accuracy },
    seconds: result.seconds,
  };
}

async function learnCommand(args: string[], io: Io, demo: boolean): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      epochs: { type: 'string' },
      window: { type: 'string' },
      seed: { type: 'string' },
      'until-learned': { type: 'boolean' },
      'check-every': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      resume: { type: 'string' },
      save: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const source = demo ? 'nabiya' : positionals.join(' ').trim();
  if (!source) throw new UsageError('learn needs a song: a songbook name, notes, or a file (see nabi --help)');
  const model = values.model ?? 'stateful';
  if (!isModelName(model)) throw new UsageError(`--model must be one of ${MODEL_NAMES.join(', ')} (got "${model}")`);
  const melody = resolveMelody(source);
  const checkpointEvery = intOption(values['checkpoint-every'], 'checkpoint-every');
  if (checkpointEvery !== undefined && values.save === undefined) {
    throw new UsageError('--checkpoint-every needs --save DIR (checkpoints are written inside it)');
  }
  const json = values.json ?? false;
  const bar = json ? null : new ProgressBar(io.stderr, io.stderr.isTTY ? 100 : 10_000);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await learnMelody(melody, {
      model: model as ModelName,
      epochs: intOption(values.epochs, 'epochs'),
      window: intOption(values.window, 'window'),
      seed: intOption(values.seed, 'seed'),
      untilLearned: demo ? true : (values['until-learned'] ?? false),
      checkEvery: intOption(values['check-every'], 'check-every'),
      checkpoint: checkpointEvery !== undefined && values.save ? { dir: values.save, every: checkpointEvery } : undefined,
      resumeFrom: values.resume,
      saveTo: values.save,
      signal: controller.signal,
      onEpoch: bar
        ? (r) =>
            bar.update({ epoch: r.epoch, totalEpochs: r.epochs, loss: r.loss, accuracy: r.accuracy, elapsedMs: r.elapsedMs })
        : undefined,
    });
    bar?.done();
    if (json) {
      io.stdout.write(`${JSON.stringify(learnJson(result))}\n`);
    } else {
      const title = melody.title ?? source;
      io.stdout.write(`${learnReport({ ...result, title }, io.stdout.isTTY ? ANSI : PLAIN)}\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function completeCommand(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      start: { type: 'string' },
      length: { type: 'string' },
      temperature: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new UsageError('complete needs the directory of a saved model (nabi learn … --save DIR)');
  const startText = values.start?.trim();
  const start =
    startText === undefined ? undefined : /^\d+$/.test(startText) ? Number(startText) : parseMelodyText(startText).events;
  const result = await completeMelody(dir, {
    start,
    length: intOption(values.length, 'length'),
    temperature: numberOption(values.temperature, 'temperature'),
    seed: intOption(values.seed, 'seed'),
  });
  if (values.json) io.stdout.write(`${JSON.stringify(completeJson(result))}\n`);
  else io.stdout.write(`${completeReport(result, io.stdout.isTTY ? ANSI : PLAIN)}\n`);
}

function songsCommand(io: Io): void {
  for (const name of SONG_NAMES) {
    const song = SONGBOOK[name];
    io.stdout.write(`${name.padEnd(14)} ${song.title} — ${song.melody.events.length} notes\n`);
  }
}

export async function main(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        await learnCommand(rest, io, true);
        return 0;
      case 'learn':
        await learnCommand(rest, io, false);
        return 0;
      case 'complete':
        await completeCommand(rest, io);
        return 0;
      case 'songs':
        songsCommand(io);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}" — try: demo, learn, complete, songs, help`);
    }
  } catch (error) {
    // Every error the engine or the parsers raise on bad input says what is wrong; print only that.
    const err = error instanceof Error ? error : new Error(String(error));
    io.stderr.write(`nabi: ${err.message}\n`);
    if (process.env.NABI_DEBUG) io.stderr.write(`${err.stack ?? ''}\n`);
    return 1;
  }
}
