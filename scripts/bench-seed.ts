// `npm run bench:seed` — the tutorial's experiment as a table: each model trained on 나비야 for
// 2000 epochs (or --epochs), per seed: final train accuracy, whether the whole song comes back
// exactly from its first four notes, the epoch it first did, ms per epoch and the backend.
// For long runs it also measures stability after the model first sings the song: how many later
// epochs fell below 100% train accuracy and the highest loss after that point (Adam's late spikes).
// Prints Markdown and writes bench-results/seed.{json,md}; --history adds every epoch's loss and
// accuracy to the JSON.
//
//   npm run bench:seed -- --models mlp --seeds 1,2,3
//   npm run bench:seed -- --models stateful,stateful-2f --seeds 1,2,3 --until-learned

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINE_NAMES, engineFromEnv, learnMelody, isModelName, MODEL_NAMES } from '../src/learning/engine.ts';
import type { EngineName, ModelName } from '../src/learning/engine.ts';
import { getSong } from '../src/music/songbook.ts';

const TUTORIAL: Readonly<Record<ModelName, string>> = {
  mlp: '92% · not exact',
  lstm: '92% · not exact',
  stateful: '100% · exact',
  'stateful-2f': '100% · exact',
};

interface Row {
  model: ModelName;
  engine: EngineName;
  seed: number;
  epochs: number;
  untilLearned: boolean;
  trainAccuracy: number;
  oneStepAccuracy: number;
  fullSongAccuracy: number;
  exact: boolean;
  learnedAtEpoch: number | null;
  finalLoss: number | null;
  msPerEpochMedian: number;
  seconds: number;
  backend: string;
  stability: Stability;
  history?: { loss: readonly number[]; accuracy: readonly number[] };
}

/** What happened after the first epoch whose training accuracy reached 100%. */
interface Stability {
  firstPerfectEpoch: number | null;
  epochsBelowPerfectAfter: number;
  maxLossAfter: number | null;
  minLoss: number;
}

function stabilityOf(history: { loss: readonly number[]; accuracy: readonly number[] }): Stability {
  const first = history.accuracy.findIndex((a) => a >= 1);
  let below = 0;
  let maxLoss: number | null = null;
  if (first >= 0) {
    for (let i = first + 1; i < history.accuracy.length; i++) {
      if ((history.accuracy[i] as number) < 1) below++;
      maxLoss = Math.max(maxLoss ?? 0, history.loss[i] as number);
    }
  }
  return {
    firstPerfectEpoch: first >= 0 ? first + 1 : null,
    epochsBelowPerfectAfter: below,
    maxLossAfter: maxLoss,
    minLoss: Math.min(...history.loss),
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function list(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
}

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    seeds: { type: 'string' },
    epochs: { type: 'string' },
    'until-learned': { type: 'boolean' },
    'check-every': { type: 'string' },
    out: { type: 'string' },
    engine: { type: 'string' },
    history: { type: 'boolean' },
  },
});

const models = list(values.models, MODEL_NAMES.join(','));
for (const m of models) if (!isModelName(m)) throw new Error(`--models: unknown model "${m}" (allowed: ${MODEL_NAMES.join(', ')})`);
const seeds = list(values.seeds, '5').map(Number);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('--seeds takes whole numbers, e.g. 1,2,3');
const epochs = Number(values.epochs ?? 2000);
const untilLearned = values['until-learned'] ?? false;
const checkEvery = Number(values['check-every'] ?? 10);
const outDir = values.out ?? 'bench-results';
const melody = getSong('nabiya').melody;
const engine = (values.engine ?? engineFromEnv()) as EngineName;
if (!ENGINE_NAMES.includes(engine)) throw new Error(`--engine must be one of ${ENGINE_NAMES.join(', ')}`);

const rows: Row[] = [];
for (const model of models as ModelName[]) {
  for (const seed of seeds) {
    const epochMs: number[] = [];
    let lastPrint = 0;
    const result = await learnMelody(melody, {
      model,
      engine,
      seed,
      epochs,
      untilLearned,
      checkEvery,
      onEpoch: (r) => {
        // Epochs that also ran the full-song check are slower; time training alone.
        if (r.learned === undefined) epochMs.push(r.epochMs);
        const now = Date.now();
        if (now - lastPrint > 15_000) {
          lastPrint = now;
          process.stderr.write(`  ${model} seed ${seed}: epoch ${r.epoch}/${r.epochs} loss ${r.loss.toExponential(3)} acc ${r.accuracy.toFixed(2)}\n`);
        }
      },
    });
    const row: Row = {
      model,
      engine,
      seed,
      epochs: result.epochs,
      untilLearned,
      trainAccuracy: result.trainAccuracy,
      oneStepAccuracy: result.oneStep.accuracy,
      fullSongAccuracy: result.fullSong.accuracy,
      exact: result.fullSong.exact,
      learnedAtEpoch: result.learnedAtEpoch,
      finalLoss: result.finalLoss,
      msPerEpochMedian: median(epochMs),
      seconds: result.seconds,
      backend: result.backend,
      stability: stabilityOf(result.history),
      ...(values.history ? { history: result.history } : {}),
    };
    rows.push(row);
    process.stderr.write(`${JSON.stringify({ ...row, history: undefined })}\n`);
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const header =
  '| model | engine | seed | epochs run | train acc | one-step | full song | exact | learned at | final loss | min loss | first 100% epoch | epochs < 100% after | max loss after | ms/epoch (median) | wall s | backend | tutorial |\n' +
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';
const lines = rows.map(
  (r) =>
    `| ${r.model} | ${r.engine} | ${r.seed} | ${r.epochs} | ${pct(r.trainAccuracy)} | ${pct(r.oneStepAccuracy)} | ${pct(r.fullSongAccuracy)} | ${r.exact ? 'yes' : 'no'} | ${r.learnedAtEpoch ?? '–'} | ${r.finalLoss?.toExponential(2) ?? '–'} | ${r.stability.minLoss.toExponential(1)} | ${r.stability.firstPerfectEpoch ?? '–'} | ${r.stability.epochsBelowPerfectAfter} | ${r.stability.maxLossAfter?.toExponential(1) ?? '–'} | ${r.msPerEpochMedian.toFixed(1)} | ${r.seconds.toFixed(1)} | ${r.backend} | ${TUTORIAL[r.model]} |`,
);
const context = `나비야, window 4, ${untilLearned ? `until learned (checked every ${checkEvery} epochs), at most ` : ''}${epochs} epochs · ${os.cpus()[0]?.model ?? 'cpu'} · Node ${process.versions.node} · ${new Date().toISOString()}`;
const markdown = `${context}\n\n${header}\n${lines.join('\n')}\n`;
process.stdout.write(`\n${markdown}`);

mkdirSync(outDir, { recursive: true });
const stem = `seed-${engine}-${models.join('+')}-${untilLearned ? 'until-learned' : `${epochs}ep`}`;
writeFileSync(path.join(outDir, `${stem}.json`), `${JSON.stringify({ context, rows }, null, 2)}\n`);
writeFileSync(path.join(outDir, `${stem}.md`), markdown);
process.stderr.write(`written ${path.join(outDir, `${stem}.json`)} and .md\n`);
