// Training speed per engine × model on 나비야 (the tutorial's workload: window 4, 50 samples).
//
//   node scripts/bench-train.ts [--models mlp,lstm,stateful,stateful-2f] [--repeat 3]
//                               [--tfjs-epochs 3] [--fast-epochs 40] [--no-js] [--json]
//
// Engines: tfjs (src/learning/train.ts on the backend initBackend picks: NABI_TF_BACKEND or auto),
// fast (src/fast/trainer.ts on the wasm SIMD kernels) and fast-js (same, TypeScript kernels).
// Each engine × model is trained `repeat` times for a short run; the figure is the median epoch
// time (wall clock, from onEpoch) over all epochs but each run's first (JIT / warm-up), plus the
// CPU time per epoch of the process. Also: fast ÷ tf.js ratio from this same run, achieved
// GFLOP/s (against 2.3 MFLOP per LSTM optimiser step — forward 0.54, backward 0.95, Adam 0.82 — and
// the MLP's own count), and the projected 2000-epoch time. Timings on a loaded machine are
// pessimistic: compare engines within one run.

import { MODEL_NAMES } from '../models/registry.ts';
import type { ModelName } from '../models/registry.ts';
import { disposeModel } from '../models/common.ts';
import { initBackend } from '../src/learning/backend.ts';
import { train } from '../src/learning/train.ts';
import type { EpochReport, TrainOptions, TrainResult } from '../src/learning/train.ts';
import { trainFast } from '../src/fast/trainer.ts';
import { KERNELS_ENV, wasmModule, wasmUnavailableReason } from '../src/fast/wasm.ts';
import { melodyOf } from '../test/learning/fixtures.ts';

const NABIYA = [
  'g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'd8', 'e8', 'f8', 'g8', 'g8', 'g4',
  'g8', 'e8', 'e8', 'e8', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4',
  'd8', 'd8', 'd8', 'd8', 'd8', 'e8', 'f4', 'e8', 'e8', 'e8', 'e8', 'e8', 'f8', 'g4',
  'g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'e8', 'g8', 'g8', 'e8', 'e8', 'e4',
];

type Engine = 'tfjs' | 'fast' | 'fast-js';

/** Floating-point operations per optimiser step (multiply-add = 2). */
function flopsPerStep(model: ModelName): number {
  if (model !== 'mlp') return 2.3e6; // LSTM 128 over 4 steps + Dense 12 + Adam over 67,596 weights
  const B = 10;
  const forward = 2 * B * (4 * 128 + 128 * 128 + 128 * 12);
  const params = 4 * 128 + 128 + 128 * 128 + 128 + 128 * 12 + 12;
  return forward * 3 + 12 * params; // backward ≈ 2 × forward
}

const STEPS_PER_EPOCH: Record<ModelName, number> = { mlp: 5, lstm: 50, stateful: 50, 'stateful-2f': 50 };

interface Row {
  engine: Engine;
  model: ModelName;
  epochs: number;
  medianEpochMs: number;
  cpuEpochMs: number;
  gflops: number;
  projected2000s: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function measure(engine: Engine, model: ModelName, epochs: number, repeat: number): Promise<Row> {
  const times: number[] = [];
  let cpu = 0;
  let counted = 0;
  for (let r = 0; r < repeat; r++) {
    const epochTimes: number[] = [];
    const options: TrainOptions = { model, epochs, seed: 5 + r, onEpoch: (e: EpochReport) => void epochTimes.push(e.epochMs) };
    if (engine === 'fast-js') process.env[KERNELS_ENV] = 'js';
    else delete process.env[KERNELS_ENV];
    const before = process.cpuUsage();
    const result: TrainResult = engine === 'tfjs' ? await train(melodyOf(NABIYA), options) : await trainFast(melodyOf(NABIYA), options);
    const used = process.cpuUsage(before);
    disposeModel(result.model);
    times.push(...epochTimes.slice(1));
    cpu += (used.user + used.system) / 1000;
    counted += epochs;
  }
  delete process.env[KERNELS_ENV];
  const medianEpochMs = median(times);
  return {
    engine,
    model,
    epochs,
    medianEpochMs,
    cpuEpochMs: cpu / counted,
    gflops: (flopsPerStep(model) * STEPS_PER_EPOCH[model]) / (medianEpochMs / 1000) / 1e9,
    projected2000s: (medianEpochMs * 2000) / 1000,
  };
}

async function main(): Promise<void> {
  const models = (arg('models')?.split(',') ?? [...MODEL_NAMES]) as ModelName[];
  const repeat = Number(arg('repeat') ?? 3);
  const tfjsEpochs = Number(arg('tfjs-epochs') ?? 3);
  const fastEpochs = Number(arg('fast-epochs') ?? 40);
  const withJs = !process.argv.includes('--no-js');
  const backend = await initBackend();
  const wasmOk = wasmModule() !== null;
  const engines: Engine[] = ['tfjs', 'fast', ...(withJs ? (['fast-js'] as const) : [])];
  if (!wasmOk) console.error(`fast: wasm kernels unavailable (${wasmUnavailableReason()}); "fast" runs the TypeScript kernels`);

  const rows: Row[] = [];
  for (const model of models) {
    for (const engine of engines) {
      // MLP epochs are short: give every engine more of them.
      const base = engine === 'tfjs' ? tfjsEpochs : fastEpochs;
      const epochs = model === 'mlp' ? base * 10 : engine === 'fast-js' ? Math.max(3, Math.ceil(base / 4)) : base;
      const row = await measure(engine, model, epochs, repeat);
      rows.push(row);
      if (!process.argv.includes('--json')) {
        console.error(`${engine.padEnd(7)} ${model.padEnd(11)} ${row.medianEpochMs.toFixed(2).padStart(9)} ms/epoch  (cpu ${row.cpuEpochMs.toFixed(2)})`);
      }
    }
  }

  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ backend: backend.name, simd: backend.simd ?? null, wasmKernels: wasmOk, rows }, null, 1));
    return;
  }
  console.log(`\ntf.js backend: ${backend.name}${backend.simd === undefined ? '' : ` (simd ${backend.simd})`}; fast kernels: ${wasmOk ? 'wasm simd' : 'TypeScript'}`);
  console.log('engine   model        ms/epoch(median)  cpu ms/epoch  GFLOP/s  2000 epochs  ×faster than tfjs');
  for (const row of rows) {
    const tfjs = rows.find((r) => r.model === row.model && r.engine === 'tfjs');
    const ratio = tfjs ? tfjs.medianEpochMs / row.medianEpochMs : NaN;
    console.log(
      `${row.engine.padEnd(8)} ${row.model.padEnd(12)} ${row.medianEpochMs.toFixed(2).padStart(16)}  ${row.cpuEpochMs.toFixed(2).padStart(12)}  ${row.gflops.toFixed(2).padStart(7)}  ${`${row.projected2000s.toFixed(1)} s`.padStart(11)}  ${row.engine === 'tfjs' ? '' : ratio.toFixed(1).padStart(8)}`,
    );
  }
}

await main();
