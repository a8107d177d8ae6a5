// `npm run bench:bot` — is the bot responsive while it trains? Starts the real bot against the fake
// Discord (both in this process, on 127.0.0.1) and measures, for each scenario:
//
//   - the main thread's event-loop delay (perf_hooks.monitorEventLoopDelay: p50 / p99 / max), and
//   - the time to acknowledge an interaction: from dispatching /jobs on the fake gateway to the
//     bot's callback arriving at the fake's REST API (p50 / p99 / max over --samples).
//
// Scenarios: idle; a /train job running in a worker thread (the bot as shipped); and, for contrast,
// the same training run on the main thread (what the bot would feel like without workers).
//
//   npm run bench:bot
//   npm run bench:bot -- --seconds 10 --samples 40 --model stateful --no-main-thread

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/bot/logger.ts';
import { startBot, type RunningBot } from '../src/bot/main.ts';
import { registerCommands } from '../src/bot/register.ts';
import { loadConfig } from '../src/config.ts';
import { isModelName, learnMelody, learningBackend } from '../src/learning/engine.ts';
import { getSong } from '../src/music/songbook.ts';
import { readTrainProgress } from '../src/training/types.ts';
import { FakeDiscord, waitUntil } from '../test/e2e/fake-discord/index.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    samples: { type: 'string', default: '30' },
    model: { type: 'string', default: 'stateful' },
    melody: { type: 'string', default: 'nabiya' },
    'no-main-thread': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const samples = Number(values.samples);
const model = values.model ?? 'stateful';
if (!isModelName(model)) throw new Error(`--model must be a model name, got ${model}`);
if (!(seconds > 0) || !(samples > 0)) throw new Error('--seconds and --samples must be positive');

interface Row {
  readonly scenario: string;
  readonly loop: { p50: number; p99: number; max: number };
  readonly ack: { p50: number; p99: number; max: number; n: number };
  readonly epochs: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Event-loop delay over `ms` while `ackProbe` sends interactions one after another. */
async function measure(fake: FakeDiscord, ms: number): Promise<Pick<Row, 'loop' | 'ack'>> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const acks: number[] = [];
  const end = Date.now() + ms;
  const gap = Math.max(20, Math.floor(ms / samples));
  while (Date.now() < end && acks.length < samples) {
    const sentAt = Date.now();
    const sent = fake.sendInteraction({ kind: 'command', name: 'jobs', member: 'alice' });
    try {
      const callback = await sent.waitForCallback(10_000);
      acks.push(callback.at - sentAt);
    } catch {
      acks.push(Number.POSITIVE_INFINITY);
    }
    await sleep(gap);
  }
  if (Date.now() < end) await sleep(end - Date.now());
  histogram.disable();
  const toMs = (ns: number): number => ns / 1e6;
  const sorted = [...acks].sort((a, b) => a - b);
  return {
    loop: { p50: toMs(histogram.percentile(50)), p99: toMs(histogram.percentile(99)), max: toMs(histogram.max) },
    ack: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN, n: sorted.length },
  };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-bench-bot-'));
const fake = await FakeDiscord.start();
let bot: RunningBot | null = null;
const rows: Row[] = [];
try {
  const config = loadConfig(fake.env({ DATA_DIR: dataDir, TRAIN_WORKERS: '1' }));
  await registerCommands(config);
  bot = await startBot(config, { logger: createLogger({ level: 'warn' }) });
  await learningBackend(); // loaded once up front in every scenario, so no scenario pays for it
  await sleep(500);

  rows.push({ scenario: 'idle', ...(await measure(fake, seconds * 1000)), epochs: '–' });

  // A job in a worker thread, as /train runs it.
  const train = fake.sendInteraction({ kind: 'command', name: 'train', member: 'bob', options: { melody: values.melody ?? 'nabiya', model, epochs: 3000, until_learned: false } });
  await train.waitForCallback(10_000);
  const running = bot;
  const jobId = await waitUntil(() => running.storage.jobs.listByGuild(fake.guild.id, { states: ['running'] })[0]?.id, { timeoutMs: 20_000, what: 'the job to start' });
  await waitUntil(() => (readTrainProgress(running.storage.jobs.get(jobId)?.progress ?? null)?.epoch ?? 0) >= 1, { timeoutMs: 60_000, what: 'the first epoch' });
  const before = readTrainProgress(running.storage.jobs.get(jobId)?.progress ?? null)?.epoch ?? 0;
  const worker = await measure(fake, seconds * 1000);
  const after = readTrainProgress(running.storage.jobs.get(jobId)?.progress ?? null)?.epoch ?? 0;
  rows.push({ scenario: `training ${model} in a worker thread`, ...worker, epochs: String(after - before) });
  await bot.queue.cancel(jobId);
  await waitUntil(() => running.storage.jobs.get(jobId)?.state === 'cancelled', { timeoutMs: 30_000, what: 'the cancel' });

  if (!values['no-main-thread']) {
    // The same training on the main thread, for contrast.
    const controller = new AbortController();
    let epochs = 0;
    const training = learnMelody(getSong(values.melody ?? 'nabiya').melody, {
      model,
      epochs: 3000,
      signal: controller.signal,
      onEpoch: (report) => {
        epochs = report.epoch;
      },
    });
    await waitUntil(() => epochs >= 1, { timeoutMs: 60_000, what: 'the first main-thread epoch' });
    const start = epochs;
    const main = await measure(fake, seconds * 1000);
    rows.push({ scenario: `training ${model} on the main thread (contrast)`, ...main, epochs: String(epochs - start) });
    controller.abort();
    await training.catch(() => {});
  }
} finally {
  await bot?.stop();
  await fake.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '∞');
console.log(`\nbench:bot — ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${seconds}s per scenario, /jobs as the probe\n`);
console.log('| scenario | loop delay p50 / p99 / max (ms) | ack p50 / p99 / max (ms) | acks | epochs in window |');
console.log('|---|---|---|---|---|');
for (const row of rows) {
  console.log(`| ${row.scenario} | ${f(row.loop.p50)} / ${f(row.loop.p99)} / ${f(row.loop.max)} | ${f(row.ack.p50)} / ${f(row.ack.p99)} / ${f(row.ack.max)} | ${row.ack.n} | ${row.epochs} |`);
}
