import { describe, expect, it } from 'vitest';
import { createLogger, createRedactor, type LogSink } from '../../src/bot/logger.ts';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const fixedNow = () => new Date('2025-05-05T12:00:00.000Z');

function capture(level: 'debug' | 'info' | 'warn' | 'error' | 'silent' = 'debug', secrets: string[] = [TOKEN]) {
  const lines: { line: string; level: string }[] = [];
  const sink: LogSink = (line, lineLevel) => lines.push({ line, level: lineLevel });
  return { lines, logger: createLogger({ level, secrets, sink, now: fixedNow }) };
}

describe('logger', () => {
  it('writes time, level, message and key=value fields, quoting when needed', () => {
    const { lines, logger } = capture();
    logger.info('bot ready', { user: 'Nabi#0', guilds: 3, note: 'two words', extra: { a: 1 }, skipped: undefined, none: null });
    expect(lines).toEqual([
      { line: '2025-05-05T12:00:00.000Z INFO  bot ready user=Nabi#0 guilds=3 note="two words" extra="{\\"a\\":1}" none=null', level: 'info' },
    ]);
  });

  it('drops lines below its level', () => {
    const { lines, logger } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
    const silent = capture('silent');
    silent.logger.error('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('prints an error with its stack and cause below the line', () => {
    const { lines, logger } = capture();
    logger.error('failed', { err: new Error('outer', { cause: new Error('inner') }) });
    const [first, ...rest] = lines[0]?.line.split('\n') ?? [];
    expect(first).toBe('2025-05-05T12:00:00.000Z ERROR failed err="Error: outer"');
    expect(rest[0]).toBe('    Error: outer');
    expect(rest.some((line) => line.includes('caused by: Error: inner'))).toBe(true);
  });

  it('adds child bindings to every line', () => {
    const { lines, logger } = capture();
    logger.child({ part: 'queue' }).child({ job: 7 }).warn('slow');
    expect(lines[0]?.line).toBe('2025-05-05T12:00:00.000Z WARN  slow part=queue job=7');
  });

  it('redacts the token wherever it appears: message, fields, error message and stack', () => {
    const { lines, logger } = capture();
    logger.info(`token is ${TOKEN}`, { token: TOKEN, nested: { deep: [TOKEN] } });
    logger.error('boom', { err: new Error(`bad token ${TOKEN}`) });
    const text = lines.map((l) => l.line).join('\n');
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('token is [redacted]');
    expect(text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('redacts token-shaped strings, webhook and interaction tokens even when not configured', () => {
    const redact = createRedactor([]);
    expect(redact(`other bot ${TOKEN}!`)).toBe('other bot [redacted]!');
    expect(redact('PATCH https://discord.com/api/v10/webhooks/1234/secret-token-here/messages/@original')).toBe(
      'PATCH https://discord.com/api/v10/webhooks/1234/[redacted]/messages/@original',
    );
    expect(redact('POST /interactions/99/tok_en/callback')).toBe('POST /interactions/99/[redacted]/callback');
    expect(redact('token aW50ZXJhY3Rpb246MTIzOmFiYw== here')).toBe('token [redacted] here');
    expect(redact('an ordinary line about g8 e8 e4')).toBe('an ordinary line about g8 e8 e4');
  });

  it('ignores secrets too short to be real (they would redact ordinary words)', () => {
    expect(createRedactor(['ab'])('abc')).toBe('abc');
  });

  it('never throws, even when the sink does', () => {
    const logger = createLogger({
      level: 'debug',
      sink: () => {
        throw new Error('disk full');
      },
    });
    expect(() => logger.error('x')).not.toThrow();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const { lines, logger: ok } = capture();
    expect(() => ok.info('circular', { circular })).not.toThrow();
    expect(lines[0]?.line).toContain('circular="[object Object]"');
  });
});
