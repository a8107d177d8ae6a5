// `nabi` — learn a melody and complete it from a terminal, offline. The same engine the bot's
// workers run; this is also the demo and the benchmark's building block.

import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { completionPlan, completionSoundPlan, lossPlan, renderPictures, renderSounds, type PicturePlan, type SoundPlan } from '../bot/attachments.ts';
import { AUDIO_FORMATS, isAudioFormat, type AudioFormat } from '../audio/index.ts';
import { clip } from '../bot/text.ts';
import { completeMelody, ENGINE_NAMES, learnMelody, MODEL_NAMES, isModelName, readModelInfo } from '../learning/engine.ts';
import type { CompletionResult, EngineName, LearnResult, ModelName } from '../learning/engine.ts';
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
      --engine fast|tfjs  training engine (default fast; tfjs is the reference)
      --until-learned   stop once the whole song is sung back exactly from its first window
      --check-every N   epochs between those checks (default 10)
      --checkpoint-every N  write a checkpoint every N epochs (into --save's folder)
      --resume DIR      continue from a checkpoint or saved model
      --save DIR        save the trained model (tf.js format + nabi.json)
      --out DIR         write pictures and sound: loss.png (loss and accuracy per epoch), fullsong.png
                        (the song sung from its first notes under the original, wrong notes in
                        red), onestep.png (each note guessed from the true notes before it),
                        fullsong.ogg and fullsong.mid (the song sung from its first notes)
      --audio ogg|wav|mp3  format of the audio --out writes (default ogg); MIDI always
      --json            print one JSON object instead of text (with the pictures' and audio paths)
  nabi complete <saved model dir> [options]
      --start N|"notes" where to start: a position in the training melody, or your own notes
      --length N        notes to predict (default: to the end of the song)
      --temperature T   0 = always the likeliest note (default); higher samples more freely
      --seed N          seed of the sampling (default 0)
      --out DIR         write completion.png (the completion under the original, wrong notes in red),
                        completion.ogg and completion.mid
      --audio ogg|wav|mp3  format of the audio --out writes (default ogg)
      --json
  nabi songs                        the built-in songbook

A song is a songbook name (${SONG_NAMES.join(', ')}), a notes string in the token syntax
("g8 e8 e4 f8 d8 d4") or ABC, or a .mid/.midi/.abc/.txt file.`;

function engineOption(value: string | undefined): EngineName | undefined {
  if (value === undefined) return undefined;
  if (!(ENGINE_NAMES as readonly string[]).includes(value)) {
    throw new UsageError(`--engine must be one of ${ENGINE_NAMES.join(', ')} (got "${value}")`);
  }
  return value as EngineName;
}

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

/**
 * Renders `plans` into `dir` (created if needed); returns the paths written. A picture that cannot
 * be drawn is reported on stderr and counted in `failed`; the report still prints.
 */
export async function writePictures(dir: string, plans: readonly (PicturePlan | null)[], io: Io): Promise<{ written: string[]; failed: number }> {
  await prepareOut(dir);
  const wanted = plans.filter((plan): plan is PicturePlan => plan !== null).length;
  const pictures = await renderPictures(plans, {
    warn: (message, fields) => io.stderr.write(`nabi: ${message} (${String(fields?.picture ?? '')}: ${fields?.err instanceof Error ? fields.err.message : String(fields?.err)})\n`),
  });
  const written: string[] = [];
  for (const picture of pictures) {
    const file = path.join(dir, picture.name);
    await fs.writeFile(file, picture.png);
    written.push(file);
  }
  return { written, failed: wanted - pictures.length };
}

/**
 * Renders each sound plan into `dir` as `<file>.<format>` and `<file>.mid`; returns the paths
 * written. A sound that cannot be rendered is reported on stderr and counted in `failed`.
 */
export async function writeSounds(dir: string, plans: readonly (SoundPlan | null)[], io: Io): Promise<{ written: string[]; failed: number }> {
  const wanted = plans.filter((plan) => plan !== null).length * 2;
  const sounds = await renderSounds(
    plans,
    { warn: (message, fields) => io.stderr.write(`nabi: ${message} (${String(fields?.sound ?? '')}: ${fields?.err instanceof Error ? fields.err.message : String(fields?.err)})\n`) },
    Number.POSITIVE_INFINITY,
  );
  for (const note of sounds.notes) io.stderr.write(`nabi: ${note.replace(/^🔇 /, '')}\n`);
  const written: string[] = [];
  for (const sound of sounds.files) {
    const file = path.join(dir, sound.name);
    await fs.writeFile(file, sound.bytes);
    written.push(file);
  }
  return { written, failed: wanted - sounds.files.length };
}

/** --audio: the audio format written beside the pictures (needs --out). */
function audioOption(value: string | undefined, out: string | undefined): AudioFormat {
  if (value === undefined) return 'ogg';
  if (!isAudioFormat(value)) throw new UsageError(`--audio must be one of ${AUDIO_FORMATS.join(', ')} (got "${value}")`);
  if (out === undefined) throw new UsageError('--audio needs --out DIR (the audio files are written there)');
  return value;
}

function soundsFailed(failed: number): Error {
  return new Error(`${failed} sound file${failed === 1 ? '' : 's'} could not be written (see above)`);
}

/** Creates the --out folder; checked before training so a bad folder does not waste a run. */
async function prepareOut(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fs.constants.W_OK);
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
    throw new UsageError(`--out ${dir}: cannot write pictures there (${code})`);
  }
}

function picturesFailed(failed: number): Error {
  return new Error(`${failed} picture${failed === 1 ? '' : 's'} could not be drawn (see above)`);
}

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/** The JSON the CLI prints for `learn --json`: the fields plus what a script may want. */
export function learnJson(result: LearnResult): Record<string, unknown> {
  return {
    model: result.model,
    engine: result.engine,
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
      engine: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      resume: { type: 'string' },
      save: { type: 'string' },
      out: { type: 'string' },
      audio: { type: 'string' },
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
  const audioFormat = audioOption(values.audio, values.out);
  if (values.out !== undefined) await prepareOut(values.out);
  const json = values.json ?? false;
  const bar = json ? null : new ProgressBar(io.stderr, io.stderr.isTTY ? 100 : 10_000);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    let startEpoch: number | undefined;
    const result = await learnMelody(melody, {
      model: model as ModelName,
      engine: engineOption(values.engine),
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
        ? (r) => {
            // a resumed run reports its first epoch as startEpoch + 1; the pace counts this run's epochs only
            startEpoch ??= r.epoch - 1;
            bar.update({ epoch: r.epoch, totalEpochs: r.epochs, loss: r.loss, accuracy: r.accuracy, elapsedMs: r.elapsedMs, startEpoch });
          }
        : undefined,
    });
    bar?.done();
    const title = melody.title ?? source;
    // Typed notes make a poor heading: pictures of an untitled melody say what it was read from.
    const heading = melody.title ?? (demo || Object.hasOwn(SONGBOOK, source) ? source : existsSync(source) ? path.basename(source) : 'melody');
    const pictures = values.out ? await writePictures(values.out, learnPictures(melody, clip(heading, 60), result), io) : null;
    const { events: _events, ...meta } = melody;
    const sounds = values.out
      ? await writeSounds(values.out, [completionSoundPlan({ name: clip(heading, 60), model: result.model, tokens: result.fullSong.tokens, meta, format: audioFormat, file: 'fullsong' })], io)
      : null;
    if (json) {
      io.stdout.write(`${JSON.stringify({ ...learnJson(result), ...(pictures ? { pictures: pictures.written } : {}), ...(sounds ? { audio: sounds.written } : {}) })}\n`);
    } else {
      io.stdout.write(`${learnReport({ ...result, title }, io.stdout.isTTY ? ANSI : PLAIN)}\n`);
      if (pictures) io.stdout.write(pictureLines(pictures.written));
      if (sounds) io.stdout.write(pictureLines(sounds.written));
    }
    if (pictures && pictures.failed > 0) throw picturesFailed(pictures.failed);
    if (sounds && sounds.failed > 0) throw soundsFailed(sounds.failed);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** loss.png, fullsong.png and onestep.png of a learn run. */
export function learnPictures(melody: Melody, title: string, result: LearnResult): PicturePlan[] {
  const base = { name: title, model: result.model, original: melody, window: result.window } as const;
  const plans: (PicturePlan | null)[] = [
    lossPlan({ name: title, title, choice: result.model, models: [{ model: result.model, history: result.history, learnedAtEpoch: result.learnedAtEpoch }], file: 'loss.png' }),
    completionPlan({ ...base, tokens: result.fullSong.tokens, wrong: result.fullSong.wrong, file: 'fullsong.png' }),
    completionPlan({
      ...base,
      tokens: result.oneStep.tokens,
      wrong: result.oneStep.wrong,
      subtitle: `one step: each note guessed from the ${result.window} true notes before it · ${describeWrong(result.oneStep.wrong.length)}`,
      predictedLabel: `${result.model}, one step`,
      file: 'onestep.png',
    }),
  ];
  return plans.filter((plan): plan is PicturePlan => plan !== null);
}

function describeWrong(count: number): string {
  return count === 0 ? 'every note right' : `${count} wrong ${count === 1 ? 'note' : 'notes'} in red`;
}

function pictureLines(paths: readonly string[]): string {
  return paths.map((file) => `wrote ${file}\n`).join('');
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
      out: { type: 'string' },
      audio: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new UsageError('complete needs the directory of a saved model (nabi learn … --save DIR)');
  const audioFormat = audioOption(values.audio, values.out);
  if (values.out !== undefined) await prepareOut(values.out);
  const startText = values.start?.trim();
  const start =
    startText === undefined ? undefined : /^\d+$/.test(startText) ? Number(startText) : parseMelodyText(startText).events;
  const result = await completeMelody(dir, {
    start,
    length: intOption(values.length, 'length'),
    temperature: numberOption(values.temperature, 'temperature'),
    seed: intOption(values.seed, 'seed'),
  });
  let pictures: { written: string[]; failed: number } | null = null;
  let sounds: { written: string[]; failed: number } | null = null;
  if (values.out) {
    const learned = (await readModelInfo(dir)).melody;
    const title = clip(learned.title ?? path.basename(path.resolve(dir)), 60);
    const plan = completionPlan({
      name: title,
      title: `${title} — ${result.model}`,
      model: result.model,
      original: result.fullSong ? learned : null,
      tokens: result.tokens,
      wrong: result.fullSong?.wrong ?? [],
      window: result.window,
      start: result.start ?? 0,
      file: 'completion.png',
    });
    pictures = await writePictures(values.out, [plan], io);
    const { events: _events, ...meta } = learned;
    sounds = await writeSounds(values.out, [completionSoundPlan({ name: title, model: result.model, tokens: result.tokens, meta, format: audioFormat, file: 'completion' })], io);
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...completeJson(result), ...(pictures ? { pictures: pictures.written } : {}), ...(sounds ? { audio: sounds.written } : {}) })}\n`);
  } else {
    io.stdout.write(`${completeReport(result, io.stdout.isTTY ? ANSI : PLAIN)}\n`);
    if (pictures) io.stdout.write(pictureLines(pictures.written));
    if (sounds) io.stdout.write(pictureLines(sounds.written));
  }
  if (pictures && pictures.failed > 0) throw picturesFailed(pictures.failed);
  if (sounds && sounds.failed > 0) throw soundsFailed(sounds.failed);
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
