import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SONGBOOK } from '../../src/music/songbook.ts';
import { formatTokens } from '../../src/music/tokens.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { BUILTIN_OWNER } from '../../src/training/songbook.ts';
import { resultToJson, summaryToJson, type ModelSummary } from '../../src/training/types.ts';
import { jobCompletion, latestCompletion } from '../../src/voice/sources.ts';

// What /play plays without a melody (the latest completion) and what a training summary's ▶ plays.

const GUILD = '222222222222222222';

function summary(model: ModelSummary['model'], tokens: readonly string[]): ModelSummary {
  return {
    model,
    backend: 'cpu',
    window: 4,
    epochs: 10,
    learnedAtEpoch: null,
    stopReason: 'epochs',
    finalLoss: 0.5,
    trainAccuracy: 0.5,
    oneStepAccuracy: 0.5,
    fullSong: { accuracy: 0.5, exact: false, tokens, wrong: [] },
    seconds: 1,
    parameters: 100,
  };
}

describe('completion sources', () => {
  let dir: string;
  let storage: Storage;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-voice-sources-'));
    storage = openStorage(dir);
  });
  afterEach(() => {
    storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says how to get a completion when the server has none', () => {
    expect(() => latestCompletion(storage, GUILD)).toThrow(/no completion in this server yet/);
  });

  it('plays the newest trained model\'s full-song completion, at the original melody\'s tempo', () => {
    const nabiya = SONGBOOK.nabiya!.melody;
    const record = storage.melodies.create({ guildId: GUILD, name: 'nabiya', ownerId: BUILTIN_OWNER, notes: formatTokens(nabiya), sourceKind: 'text' });
    storage.models.save({ guildId: GUILD, melodyId: record.id, modelName: 'mlp', filesDir: dir, metadata: summaryToJson(summary('mlp', ['g8', 'e8', 'e4'])) });
    storage.models.save({ guildId: GUILD, melodyId: record.id, modelName: 'lstm', filesDir: dir, metadata: summaryToJson(summary('lstm', ['g8', 'e8', 'e4', 'f8', 'd8'])) });
    const completion = latestCompletion(storage, GUILD);
    expect(completion.title).toBe('nabiya (lstm completion)');
    expect(completion.melody.events).toHaveLength(5);
    expect(completion.melody.tempo).toBe(nabiya.tempo);
  });

  it('reads a training job\'s completion by model, only in its own server', () => {
    const job = storage.jobs.insert({ guildId: GUILD, channelId: '1', memberId: '2', melodyId: null, melodyName: 'nabiya', params: {} });
    storage.jobs.finish(job.id, 'done', { result: resultToJson({ melody: 'nabiya', models: [summary('stateful', ['g8', 'e8', 'e4', 'f8'])], seconds: 1 }) });
    expect(jobCompletion(storage, GUILD, job.id, 'stateful').melody.events).toHaveLength(4);
    expect(() => jobCompletion(storage, GUILD, job.id, 'mlp')).toThrow(/no longer available/);
    expect(() => jobCompletion(storage, '333333333333333333', job.id, 'stateful')).toThrow(/no longer available/);
  });
});
