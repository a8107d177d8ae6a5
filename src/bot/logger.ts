import type { LogLevel } from '../config.ts';

// One line per event: time, level, message, key=value fields, then an error's stack indented
// below. Every line passes through the redactor before it is written, so the bot token (and any
// interaction or webhook token that ends up in a URL inside an error) never reaches the output.

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): Logger;
}

export type LogSink = (line: string, level: Exclude<LogLevel, 'silent'>) => void;

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Exact strings to hide wherever they appear (the bot token). */
  readonly secrets?: readonly string[];
  /** Default: debug/info to stdout, warn/error to stderr. */
  readonly sink?: LogSink;
  readonly now?: () => Date;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const REDACTED = '[redacted]';
// Shapes of Discord credentials, hidden even when they are not the configured token.
const TOKEN_PATTERN = /[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}/g;
const URL_TOKEN_PATTERN = /(\/(?:webhooks|interactions)\/\d+\/)[^/\s?#"'`]+/g;
// Interaction tokens are base64 of "interaction:…", so they all start with this prefix.
const INTERACTION_TOKEN_PATTERN = /aW50ZXJhY3Rpb246[A-Za-z0-9_\-+/=]+/g;

/** Returns a function that hides `secrets` and token-shaped text in a string. */
export function createRedactor(secrets: readonly string[] = []): (text: string) => string {
  // Short strings would redact ordinary words; real tokens are far longer.
  const exact = secrets.filter((secret) => secret.length >= 8).sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const secret of exact) result = result.split(secret).join(REDACTED);
    return result
      .replace(TOKEN_PATTERN, REDACTED)
      .replace(URL_TOKEN_PATTERN, `$1${REDACTED}`)
      .replace(INTERACTION_TOKEN_PATTERN, REDACTED);
  };
}

const defaultSink: LogSink = (line, level) => {
  if (level === 'warn' || level === 'error') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
};

export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor(options.secrets);
  const sink = options.sink ?? defaultSink;
  const now = options.now ?? (() => new Date());
  const threshold = RANK[options.level];

  const make = (bindings: LogFields): Logger => {
    const write = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
      if (RANK[level] < threshold) return;
      try {
        sink(redact(formatLine(now(), level, message, { ...bindings, ...fields })), level);
      } catch {
        // Logging must never be the thing that takes the bot down.
      }
    };
    return {
      debug: (message, fields) => write('debug', message, fields),
      info: (message, fields) => write('info', message, fields),
      warn: (message, fields) => write('warn', message, fields),
      error: (message, fields) => write('error', message, fields),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

function formatLine(time: Date, level: string, message: string, fields: LogFields): string {
  const parts = [time.toISOString(), level.toUpperCase().padEnd(5), message];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) {
      parts.push(`${key}=${quote(`${value.name}: ${value.message}`)}`);
      if (value.stack) stacks.push(indent(value.stack));
      if (value.cause !== undefined) stacks.push(indent(`caused by: ${value.cause instanceof Error ? (value.cause.stack ?? value.cause.message) : String(value.cause)}`));
    } else {
      parts.push(`${key}=${quote(formatValue(value))}`);
    }
  }
  return [parts.join(' '), ...stacks].join('\n');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function quote(text: string): string {
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
