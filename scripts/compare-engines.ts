// `npm run compare:engines -- [--model stateful] [--seed 1] [--from 700] [--epochs 60]`
//
// Trains a model on 나비야 with the fast engine up to epoch --from, checkpoints it (weights and
// Adam's state), then trains --epochs more from that checkpoint on both engines — tf.js, the
// reference, and the fast engine — and prints the two loss curves side by side with the relative
// difference of the final weights. It answers "is this the engine or the model?": when both
// engines do the same thing from the same state (a late loss spike, say), it is the model.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isModelName, learnMelody, MODEL_NAMES } from '../src/learning/engine.ts';
import type { EngineName, ModelName } from '../src/learning/engine.ts';
import { getSong } from '../src/music/songbook.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'stateful' },
    seed: { type: 'string', default: '1' },
    from: { type: 'string', default: '700' },
    epochs: { type: 'string', default: '60' },
  },
});
const model = values.model ?? 'stateful';
if (!isModelName(model)) throw new Error(`--model must be one of ${MODEL_NAMES.join(', ')}`);
const seed = Number(values.seed);
const from = Number(values.from);
const more = Number(values.epochs);
for (const [name, v] of [['--seed', seed], ['--from', from], ['--epochs', more]] as const) {
  if (!Number.isInteger(v) || v < (name === '--seed' ? 0 : 1) || v > 100_000) throw new Error(`${name} takes a whole number (got ${String(v)})`);
}

const melody = getSong('nabiya').melody;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-compare-'));
try {
  const checkpoint = path.join(dir, 'checkpoint');
  process.stderr.write(`fast engine: ${model}, seed ${seed}, epochs 1–${from}…\n`);
  const base = await learnMelody(melody, { model: model as ModelName, seed, epochs: from, engine: 'fast', checkpoint: { dir: checkpoint, every: from } });
  const curves: Partial<Record<EngineName, number[]>> = {};
  const weights: Partial<Record<EngineName, Float32Array>> = {};
  for (const engine of ['tfjs', 'fast'] as const) {
    process.stderr.write(`${engine}: epochs ${from + 1}–${from + more} from the checkpoint…\n`);
    const saveTo = path.join(dir, engine);
    const run = await learnMelody(melody, { model: model as ModelName, seed, epochs: from + more, engine, resumeFrom: checkpoint, saveTo });
    curves[engine] = run.history.loss.slice(from);
    const bin = fs.readFileSync(path.join(saveTo, 'weights.bin'));
    weights[engine] = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  }
  const a = curves.tfjs ?? [];
  const b = curves.fast ?? [];
  process.stdout.write(`\n${model}, seed ${seed}: loss at epoch ${from} ${base.history.loss.at(-1)?.toExponential(2)}; then per epoch\n\n| epoch | tf.js | fast | relative difference |\n|---|---|---|---|\n`);
  a.forEach((x, i) => {
    const y = b[i] as number;
    process.stdout.write(`| ${from + i + 1} | ${x.toExponential(3)} | ${y.toExponential(3)} | ${(Math.abs(x - y) / Math.abs(x)).toExponential(1)} |\n`);
  });
  const wa = weights.tfjs as Float32Array;
  const wb = weights.fast as Float32Array;
  let num = 0;
  let den = 0;
  for (let i = 0; i < wa.length; i++) {
    num += ((wa[i] as number) - (wb[i] as number)) ** 2;
    den += (wa[i] as number) ** 2;
  }
  process.stdout.write(`\nfinal weights (${wa.length}): relative L2 difference ${Math.sqrt(num / den).toExponential(2)}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
