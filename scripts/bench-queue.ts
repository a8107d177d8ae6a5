// `npm run bench:queue` — jobs per hour through the real bot: the tutorial's job (/train
// melody:nabiya model:stateful until_learned:true) submitted N times by several members, run by
// TRAIN_WORKERS worker threads, against the fake Discord on 127.0.0.1. Times from the first /train
// to the last job done; reports jobs/hour per engine (the bot's NABI_ENGINE).
//
//   npm run bench:queue -- --engine fast --jobs 8 --workers 2
//   npm run bench:queue -- --engine tfjs --jobs 2 --workers 2

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/bot/logger.ts';
import { startBot } from '../src/bot/main.ts';
import { registerCommands } from '../src/bot/register.ts';
import { loadConfig } from '../src/config.ts';
import { ENGINE_NAMES } from '../src/learning/engine.ts';
import { readTrainResult } from '../src/training/types.ts';
import { FakeDiscord, waitUntil } from '../test/e2e/fake-discord/index.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'fast' },
    jobs: { type: 'string', default: '6' },
    workers: { type: 'string', default: '2' },
    model: { type: 'string', default: 'stateful' },
  },
});
const engine = values.engine ?? 'fast';
if (!(ENGINE_NAMES as readonly string[]).includes(engine)) throw new Error(`--engine must be one of ${ENGINE_NAMES.join(', ')}`);
const jobs = Number(values.jobs);
const workers = Number(values.workers);
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 200) throw new Error('--jobs must be 1–200');
if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new Error('--workers must be 1–16');

// Members may queue 3 jobs each: spread the submissions over enough members.
const members = Array.from({ length: Math.ceil(jobs / 3) }, (_, i) => ({ username: `member${i}` }));
const fake = await FakeDiscord.start({ guilds: [{ members }] });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-bench-queue-'));
const config = loadConfig(fake.env({ DATA_DIR: dataDir, TRAIN_WORKERS: String(workers), MAX_JOBS_PER_MEMBER: '3', NABI_ENGINE: engine }));
await registerCommands(config);
const bot = await startBot(config, { logger: createLogger({ level: 'warn' }) });
try {
  const started = performance.now();
  // CPU time of the whole process, worker threads included: busy cores = CPU time / wall time
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < jobs; i++) {
    const sent = fake.sendInteraction({
      kind: 'command',
      name: 'train',
      member: `member${Math.floor(i / 3)}`,
      options: { melody: 'nabiya', model: values.model ?? 'stateful', until_learned: true },
    });
    await sent.waitForCallback(10_000);
  }
  const finished = await waitUntil(
    () => {
      const all = bot.storage.jobs.listByGuild(fake.guild.id, { limit: 1000 });
      const done = all.filter((j) => j.state === 'done' || j.state === 'failed' || j.state === 'cancelled');
      return done.length >= jobs ? done : undefined;
    },
    { timeoutMs: 6 * 60 * 60 * 1000, intervalMs: 250, what: 'every job to finish' },
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const coresBusy = (cpu.user + cpu.system) / 1e6 / seconds;
  const failed = finished.filter((j) => j.state !== 'done');
  const learnedAt = finished
    .map((j) => readTrainResult(j.result)?.models[0]?.learnedAtEpoch ?? null)
    .filter((e): e is number => e !== null);
  const row = {
    engine,
    model: values.model,
    workers,
    jobs,
    failed: failed.length,
    seconds: Number(seconds.toFixed(1)),
    secondsPerJob: Number((seconds / jobs).toFixed(2)),
    jobsPerHour: Math.round((jobs / seconds) * 3600),
    learnedAt,
    cpus: os.cpus().length,
    coresBusy: Number(coresBusy.toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  process.stdout.write(
    `\n${engine}: ${jobs} × ${values.model} until learned on ${workers} worker(s): ${row.seconds} s → ${row.jobsPerHour} jobs/hour (${row.secondsPerJob} s/job wall), ${row.coresBusy} of ${row.cpus} cores busy on average${failed.length ? ` — ${failed.length} FAILED` : ''}\n`,
  );
} finally {
  await bot.stop();
  await fake.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
