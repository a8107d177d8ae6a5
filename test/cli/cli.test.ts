import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/main.ts';

/** Captures what the CLI writes; not a TTY, so no colours and no carriage returns. */
function capture(): { io: Io; out: () => string; err: () => string } {
  const chunks = { out: [] as string[], err: [] as string[] };
  const stream = (into: string[]): NodeJS.WriteStream =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        into.push(chunk.toString());
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  return {
    io: { stdout: stream(chunks.out), stderr: stream(chunks.err) },
    out: () => chunks.out.join(''),
    err: () => chunks.err.join(''),
  };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nabi-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// 학교종 (School Bell), first phrase: short enough for a test, long enough to need learning.
const SCHOOL_BELL = 'g4 g4 a4 a4 g4 g4 e2 g4 g4 e4 e4 d2';

describe('nabi learn --json', () => {
  it('prints one JSON object with the fields scripts rely on, and saves a model complete can load', async () => {
    const save = path.join(tmp, 'bell-mlp');
    const c = capture();
    const code = await main(['learn', SCHOOL_BELL, '--model', 'mlp', '--epochs', '15', '--seed', '2', '--save', save, '--json'], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0] as string);
    expect(result.model).toBe('mlp');
    expect(result.engine).toBe(process.env.NABI_ENGINE?.trim().toLowerCase() || 'fast');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(result.backend);
    expect(result.epochs).toBe(15);
    expect(result.learnedAtEpoch === null || Number.isInteger(result.learnedAtEpoch)).toBe(true);
    expect(result.loss).toBeGreaterThan(0);
    expect(result.trainAccuracy).toBeGreaterThanOrEqual(0);
    expect(result.trainAccuracy).toBeLessThanOrEqual(1);
    expect(result.history.loss).toHaveLength(15);
    expect(result.loss).toBe(result.history.loss[14]);
    // Both predictions start with the true first window and cover the whole song.
    const song = SCHOOL_BELL.split(' ');
    for (const part of [result.oneStep, result.fullSong]) {
      expect(part.notes).toHaveLength(song.length);
      expect(part.notes.slice(0, 4)).toEqual(song.slice(0, 4));
      const wrongCount = part.notes.slice(4).filter((n: string, i: number) => n !== song[i + 4]).length;
      expect(part.wrong).toHaveLength(wrongCount);
      expect(part.accuracy).toBeCloseTo(1 - wrongCount / (song.length - 4), 10);
    }
    expect(typeof result.fullSong.exact).toBe('boolean');
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.savedTo).toBe(save);

    const c2 = capture();
    expect(await main(['complete', save, '--length', '5', '--json'], c2.io)).toBe(0);
    const completion = JSON.parse(c2.out());
    expect(completion.model).toBe('mlp');
    expect(completion.notes).toHaveLength(4 + 5);
    expect(completion.notes.slice(0, 4)).toEqual(song.slice(0, 4));
    // Greedy completion from the same start sings what the full-song prediction sang.
    expect(completion.notes).toEqual(result.fullSong.notes.slice(0, 9));
  });

  it('trains with the engine asked for', async () => {
    const c = capture();
    expect(await main(['learn', SCHOOL_BELL, '--model', 'stateful', '--epochs', '3', '--engine', 'tfjs', '--json'], c.io)).toBe(0);
    const result = JSON.parse(c.out());
    expect(result.engine).toBe('tfjs');
    expect(result.history.loss).toHaveLength(3);
  });

  it('reads a melody from a file', async () => {
    const file = path.join(tmp, 'bell.txt');
    writeFileSync(file, SCHOOL_BELL);
    const c = capture();
    expect(await main(['learn', file, '--model', 'mlp', '--epochs', '2', '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out()).oneStep.notes.slice(0, 4)).toEqual(['g4', 'g4', 'a4', 'a4']);
  });
});

describe('nabi: bad input gets a clear message and exit code 1, never a stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['learn', 'g8 e8 h8 f8 d8'], /token 3 `h8`: no such pitch `h`/],
    [['learn', 'g8 e8 c3 f8 d8'], /token 3 `c3`.*duration must be 1, 2, 4, 8 or 16/],
    [['learn', 'nabiya', '--model', 'gru'], /--model must be one of mlp, lstm, stateful, stateful-2f/],
    [['learn', 'nabiya', '--epochs', 'many'], /--epochs must be a whole number/],
    [['learn', 'nabiya', '--engine', 'gpu'], /--engine must be one of tfjs, fast/],
    [['learn', 'g8 e8 e4'], /window|notes/i],
    [['complete', path.join(os.tmpdir(), 'no-such-nabi-model')], /no-such-nabi-model/],
    [['sing'], /unknown command "sing"/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async () => {
      const c = capture();
      expect(await main(args, c.io)).toBe(1);
      expect(c.err()).toMatch(message);
      expect(c.err()).not.toMatch(/\n\s+at /);
      expect(c.out()).toBe('');
    });
  }
});

describe('the nabi bin', () => {
  it('runs under node with type stripping and lists the songbook', async () => {
    const bin = path.resolve(import.meta.dirname, '../../bin/nabi.ts');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'songs'], { timeout: 30_000 });
    expect(stdout).toMatch(/^nabiya\s+나비야/m);
    expect(stdout).toMatch(/54 notes/);
  });
});
