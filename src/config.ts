import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ENGINE_NAMES, isEngineName, type EngineName } from './learning/engine-choice.ts';

// Configuration comes only from the environment and is validated once, at start, so a bad deploy
// fails loudly before it logs in rather than half-working later. Every problem is reported at once,
// each naming the variable and what is allowed. The bot token is wrapped in `Secret`, whose every
// string form is "[redacted]", so no log line, error or inspect() of the config can leak it.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_DISCORD_API_BASE = 'https://discord.com/api';

/** Every variable loadConfig reads; .env.example documents each (a test keeps them in step). */
export const CONFIG_VARIABLES = [
  'DISCORD_TOKEN',
  'DISCORD_APP_ID',
  'GUILD_ID',
  'DATA_DIR',
  'TRAIN_WORKERS',
  'NABI_ENGINE',
  'MAX_JOBS_PER_MEMBER',
  'MAX_EPOCHS',
  'MAX_MELODY_EVENTS',
  'MAX_MELODIES_PER_GUILD',
  'DISCORD_API_BASE',
  'LOG_LEVEL',
  'VOICE_IDLE_SECONDS',
] as const;

const REDACTED = '[redacted]';

/** A string that refuses to be printed: only `reveal()` returns the value. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export interface Limits {
  /** Training jobs one member may have queued or running in one server at a time. */
  readonly maxJobsPerMember: number;
  /** Upper bound for `/train epochs`. */
  readonly maxEpochs: number;
  /** Notes and rests one melody may hold. */
  readonly maxMelodyEvents: number;
  /** Melodies one server's songbook may hold. */
  readonly maxMelodiesPerGuild: number;
}

export interface Config {
  readonly discordToken: Secret;
  readonly discordAppId: string;
  /** When set, commands are registered to this server only (instant updates while developing). */
  readonly guildId: string | null;
  /** Absolute path of the data directory (database, models, checkpoints). */
  readonly dataDir: string;
  readonly trainWorkers: number;
  /** The engine /train uses unless a member picks one (NABI_ENGINE; default fast). */
  readonly trainingEngine: EngineName;
  readonly limits: Limits;
  /** REST base URL without the version segment, e.g. https://discord.com/api. */
  readonly discordApiBase: string;
  readonly logLevel: LogLevel;
  /** How long the bot stays in a voice channel with nothing to play before it leaves. */
  readonly voiceIdleSeconds: number;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** Directory a relative DATA_DIR is resolved against; default process.cwd(). */
  readonly cwd?: string;
  /** Cores available; default os.availableParallelism(). */
  readonly cpuCount?: number;
}

const SNOWFLAKE = /^\d{17,20}$/;
// A bot token is three base64url segments separated by dots; this catches the usual paste
// mistakes (client secret, "Bot " prefix, quotes, trailing newline) without printing the value.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function defaultTrainWorkers(cpuCount: number): number {
  return Math.min(64, Math.max(1, Math.floor(cpuCount) - 1));
}

/** Reads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  // Empty values count as unset: `.env` templates commonly leave optional variables blank.
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const token = read('DISCORD_TOKEN');
  if (token === undefined) {
    problems.push('DISCORD_TOKEN is missing: set it to the bot token (Developer Portal → your app → Bot → Reset Token).');
  } else if (!TOKEN_SHAPE.test(token)) {
    problems.push(
      'DISCORD_TOKEN does not look like a bot token: expected three dot-separated parts of letters, digits, "-" and "_", without a "Bot " prefix or quotes (value not shown).',
    );
  }

  const appId = read('DISCORD_APP_ID');
  if (appId === undefined) {
    problems.push('DISCORD_APP_ID is missing: set it to the application id (Developer Portal → General Information), 17–20 digits.');
  } else if (!SNOWFLAKE.test(appId)) {
    problems.push(`DISCORD_APP_ID is ${echo(appId)}: expected a Discord id of 17–20 digits.`);
  }

  const guildId = read('GUILD_ID') ?? null;
  if (guildId !== null && !SNOWFLAKE.test(guildId)) {
    problems.push(`GUILD_ID is ${echo(guildId)}: expected a server id of 17–20 digits, or leave it empty to register commands globally.`);
  }

  const dataDir = path.resolve(options.cwd ?? process.cwd(), read('DATA_DIR') ?? './data');

  const cpuCount = options.cpuCount ?? os.availableParallelism();
  const trainWorkers = readInteger(read, problems, 'TRAIN_WORKERS', defaultTrainWorkers(cpuCount), 1, 64);
  const engineValue = read('NABI_ENGINE');
  let trainingEngine: EngineName = 'fast';
  if (engineValue !== undefined) {
    const lower = engineValue.toLowerCase();
    if (isEngineName(lower)) trainingEngine = lower;
    else problems.push(`NABI_ENGINE is ${echo(engineValue)}: expected ${ENGINE_NAMES.join(' or ')} (fast is Nabi's engine and the default; tfjs is the reference).`);
  }
  const limits: Limits = {
    maxJobsPerMember: readInteger(read, problems, 'MAX_JOBS_PER_MEMBER', 2, 1, 100),
    maxEpochs: readInteger(read, problems, 'MAX_EPOCHS', 3000, 1, 100_000),
    maxMelodyEvents: readInteger(read, problems, 'MAX_MELODY_EVENTS', 512, 8, 10_000),
    maxMelodiesPerGuild: readInteger(read, problems, 'MAX_MELODIES_PER_GUILD', 200, 1, 100_000),
  };

  let discordApiBase = DEFAULT_DISCORD_API_BASE;
  const apiBase = read('DISCORD_API_BASE');
  if (apiBase !== undefined) {
    const parsed = URL.canParse(apiBase) ? new URL(apiBase) : null;
    if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.search !== '' || parsed.hash !== '') {
      problems.push(`DISCORD_API_BASE is ${echo(apiBase)}: expected an http(s) URL without query, such as ${DEFAULT_DISCORD_API_BASE}.`);
    } else if (/\/v\d+\/?$/.test(parsed.pathname)) {
      problems.push(`DISCORD_API_BASE is ${echo(apiBase)}: leave out the version segment (the client adds /v10), e.g. ${DEFAULT_DISCORD_API_BASE}.`);
    } else {
      discordApiBase = apiBase.replace(/\/+$/, '');
    }
  }

  let logLevel: LogLevel = 'info';
  const level = read('LOG_LEVEL');
  if (level !== undefined) {
    const lower = level.toLowerCase();
    if (isLogLevel(lower)) logLevel = lower;
    else problems.push(`LOG_LEVEL is ${echo(level)}: expected one of ${LOG_LEVELS.join(', ')}.`);
  }

  const voiceIdleSeconds = readInteger(read, problems, 'VOICE_IDLE_SECONDS', 60, 0, 86_400);

  if (problems.length > 0 || token === undefined || appId === undefined) throw new ConfigError(problems);

  return Object.freeze({
    discordToken: new Secret(token),
    discordAppId: appId,
    guildId,
    dataDir,
    trainWorkers,
    trainingEngine,
    limits: Object.freeze(limits),
    discordApiBase,
    logLevel,
    voiceIdleSeconds,
  });
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

function readInteger(
  read: (name: string) => string | undefined,
  problems: string[],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = read(name);
  if (raw === undefined) return fallback;
  const value = /^[+]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} is ${echo(raw)}: expected a whole number from ${min} to ${max}.`);
    return fallback;
  }
  return value;
}

/**
 * A value as shown in an error: bounded so a pasted blob does not flood the log, and withheld when
 * it looks like a token (pasted into the wrong variable, it is still a secret).
 */
function echo(value: string): string {
  if (/[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{5,}\./.test(value)) return 'a value that looks like a bot token (not shown)';
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
