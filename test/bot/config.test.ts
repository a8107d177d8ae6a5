import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, DEFAULT_DISCORD_API_BASE, loadConfig, Secret } from '../../src/config.ts';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const base = { DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: '123456789012345678' };

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env, { cwd: '/srv/nabi', cpuCount: 4 });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults to a minimal environment', () => {
    const config = loadConfig(base, { cwd: '/srv/nabi', cpuCount: 8 });
    expect(config).toMatchObject({
      discordAppId: '123456789012345678',
      guildId: null,
      dataDir: path.resolve('/srv/nabi/data'),
      trainWorkers: 7,
      limits: { maxJobsPerMember: 2, maxEpochs: 3000, maxMelodyEvents: 512, maxMelodiesPerGuild: 200 },
      discordApiBase: DEFAULT_DISCORD_API_BASE,
      logLevel: 'info',
      trainingEngine: 'fast',
    });
    expect(config.discordToken.reveal()).toBe(TOKEN);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('uses at least one training worker, even on one core', () => {
    expect(loadConfig(base, { cpuCount: 1 }).trainWorkers).toBe(1);
    expect(loadConfig(base, { cpuCount: 2 }).trainWorkers).toBe(1);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        ...base,
        GUILD_ID: '987654321098765432',
        DATA_DIR: '/var/lib/nabi',
        TRAIN_WORKERS: '3',
        NABI_ENGINE: 'TFJS',
        MAX_JOBS_PER_MEMBER: '5',
        MAX_EPOCHS: '2000',
        MAX_MELODY_EVENTS: '64',
        MAX_MELODIES_PER_GUILD: '10',
        DISCORD_API_BASE: 'http://127.0.0.1:5555/api/',
        LOG_LEVEL: 'DEBUG',
      },
      { cwd: '/srv/nabi', cpuCount: 8 },
    );
    expect(config).toMatchObject({
      guildId: '987654321098765432',
      dataDir: '/var/lib/nabi',
      trainWorkers: 3,
      trainingEngine: 'tfjs',
      limits: { maxJobsPerMember: 5, maxEpochs: 2000, maxMelodyEvents: 64, maxMelodiesPerGuild: 10 },
      discordApiBase: 'http://127.0.0.1:5555/api',
      logLevel: 'debug',
    });
  });

  it('treats empty values as unset, as .env templates leave them', () => {
    const config = loadConfig({ ...base, GUILD_ID: '', TRAIN_WORKERS: '  ', DISCORD_API_BASE: '', LOG_LEVEL: '' }, { cpuCount: 4 });
    expect(config).toMatchObject({ guildId: null, trainWorkers: 3, discordApiBase: DEFAULT_DISCORD_API_BASE, logLevel: 'info' });
  });

  it('names every missing required variable and where to find it', () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DISCORD_TOKEN is missing: .*Bot → Reset Token/);
    expect(problems[1]).toMatch(/^DISCORD_APP_ID is missing: .*17–20 digits/);
  });

  it('names each bad value with what is allowed', () => {
    const problems = problemsOf({
      ...base,
      DISCORD_APP_ID: 'my-bot',
      GUILD_ID: '12',
      TRAIN_WORKERS: '0',
      NABI_ENGINE: 'gpu',
      MAX_JOBS_PER_MEMBER: 'two',
      MAX_EPOCHS: '1.5',
      MAX_MELODY_EVENTS: '-3',
      MAX_MELODIES_PER_GUILD: '1e3',
      DISCORD_API_BASE: 'ftp://example.com',
      LOG_LEVEL: 'verbose',
    });
    expect(problems).toEqual([
      'DISCORD_APP_ID is "my-bot": expected a Discord id of 17–20 digits.',
      'GUILD_ID is "12": expected a server id of 17–20 digits, or leave it empty to register commands globally.',
      'TRAIN_WORKERS is "0": expected a whole number from 1 to 64.',
      'NABI_ENGINE is "gpu": expected tfjs or fast (fast is Nabi\'s engine and the default; tfjs is the reference).',
      'MAX_JOBS_PER_MEMBER is "two": expected a whole number from 1 to 100.',
      'MAX_EPOCHS is "1.5": expected a whole number from 1 to 100000.',
      'MAX_MELODY_EVENTS is "-3": expected a whole number from 8 to 10000.',
      'MAX_MELODIES_PER_GUILD is "1e3": expected a whole number from 1 to 100000.',
      'DISCORD_API_BASE is "ftp://example.com": expected an http(s) URL without query, such as https://discord.com/api.',
      'LOG_LEVEL is "verbose": expected one of debug, info, warn, error, silent.',
    ]);
  });

  it('asks for the API base without the version segment', () => {
    expect(problemsOf({ ...base, DISCORD_API_BASE: 'https://discord.com/api/v10' })).toEqual([
      'DISCORD_API_BASE is "https://discord.com/api/v10": leave out the version segment (the client adds /v10), e.g. https://discord.com/api.',
    ]);
  });

  it('bounds echoed values so a pasted blob does not flood the log', () => {
    const [problem] = problemsOf({ ...base, LOG_LEVEL: 'x'.repeat(500) });
    expect(problem?.length).toBeLessThan(120);
  });

  it('rejects a malformed token without ever showing it', () => {
    for (const token of [`Bot ${TOKEN}`, `"${TOKEN}"`, 'client-secret-without-dots', `${TOKEN} trailing`]) {
      const problems = problemsOf({ ...base, DISCORD_TOKEN: token });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^DISCORD_TOKEN does not look like a bot token: .*\(value not shown\)\.$/);
      expect(problems[0]).not.toContain('client-secret');
      expect(problems[0]).not.toContain(TOKEN);
    }
  });

  it('never shows the token in errors about other variables', () => {
    let message = '';
    try {
      loadConfig({ ...base, DISCORD_APP_ID: TOKEN });
    } catch (error) {
      message = String(error);
    }
    // The token pasted into the wrong variable is still a secret: not even part of it is echoed.
    expect(message).toContain('DISCORD_APP_ID is a value that looks like a bot token (not shown): expected a Discord id of 17–20 digits.');
    expect(message).not.toContain(TOKEN.slice(0, 12));
  });

  it('never reveals the token through toString, JSON, template strings or inspect', () => {
    const config = loadConfig(base);
    const renderings = [
      String(config.discordToken),
      `${config.discordToken}`,
      JSON.stringify(config),
      inspect(config, { depth: 10, showHidden: true }),
      inspect(config.discordToken),
      String(Object.values(config)),
    ];
    for (const text of renderings) expect(text).not.toContain(TOKEN);
    expect(JSON.parse(JSON.stringify(config)).discordToken).toBe('[redacted]');
    expect(inspect(config.discordToken)).toBe('Secret([redacted])');
    expect(Object.keys(config.discordToken)).toEqual([]);
  });

  it('Secret hides any value', () => {
    const secret = new Secret('hunter2hunter2');
    expect(`${secret}`).toBe('[redacted]');
    expect(secret.reveal()).toBe('hunter2hunter2');
  });

  it('.env.example documents every variable, and its values load once the required ones are filled in', () => {
    const text = fs.readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const entries = text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
    expect(entries.map(([name]) => name)).toEqual([...CONFIG_VARIABLES]);
    for (const name of CONFIG_VARIABLES) expect(text).toMatch(new RegExp(`# .+\\n(# .*\\n)*${name}=`));
    const env = { ...Object.fromEntries(entries), ...base };
    expect(() => loadConfig(env, { cwd: '/srv/nabi' })).not.toThrow();
  });
});
