import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { lossPlan } from '../../src/bot/attachments.ts';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/main.ts';
import { countPixels, pngSize } from '../pictures/png.ts';

// nabi learn/complete --out DIR: the pictures are written, decode as PNGs with something drawn,
// the --json output lists them, the loss chart is drawn from the run's own history, and red marks
// appear exactly when notes were wrong.

function capture(): { io: Io; out: () => string; err: () => string } {
  const chunks = { out: [] as string[], err: [] as string[] };
  const stream = (into: string[]): NodeJS.WriteStream =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        into.push(chunk.toString());
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  return { io: { stdout: stream(chunks.out), stderr: stream(chunks.err) }, out: () => chunks.out.join(''), err: () => chunks.err.join('') };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nabi-cli-out-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A PNG of the expected width with ink on it (not blank), and its red pixel count. */
function decode(file: string): { width: number; height: number; red: number; bytes: Buffer } {
  const bytes = readFileSync(file);
  const size = pngSize(bytes);
  const pixels = countPixels(bytes);
  expect(size.width).toBe(1200);
  expect(size.height).toBeGreaterThan(200);
  expect(pixels.ink / (pixels.width * pixels.height)).toBeGreaterThan(0.01);
  return { ...size, red: pixels.red, bytes };
}

describe('nabi --out', () => {
  const model = path.join(tmp, 'model');
  const out = path.join(tmp, 'pictures');

  it('learn --out writes loss.png, fullsong.png and onestep.png, listed in --json', async () => {
    const c = capture();
    const code = await main(['learn', 'nabiya', '--model', 'mlp', '--epochs', '12', '--seed', '3', '--save', model, '--out', out, '--json'], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(c.out());
    expect(result.pictures).toEqual(['loss.png', 'fullsong.png', 'onestep.png'].map((f) => path.join(out, f)));

    const loss = decode(path.join(out, 'loss.png'));
    expect(loss.height).toBe(675);
    // The chart is this run's history: drawing it again from the printed history gives the same bytes.
    const again = lossPlan({
      name: '나비야 (Butterfly)',
      title: '나비야 (Butterfly)',
      choice: 'mlp',
      models: [{ model: 'mlp', history: result.history, learnedAtEpoch: result.learnedAtEpoch }],
    })!.render();
    expect(Buffer.from(again.png).equals(loss.bytes)).toBe(true);
    expect(again.svg).toContain(`data-values="${result.history.loss.join(' ')}"`);
    // …and a different history would not.
    const other = lossPlan({ name: 'x', title: '나비야 (Butterfly)', choice: 'mlp', models: [{ model: 'mlp', history: { loss: result.history.loss.map((v: number) => v * 2), accuracy: result.history.accuracy }, learnedAtEpoch: null }] })!.render();
    expect(Buffer.from(other.png).equals(loss.bytes)).toBe(false);

    // 12 epochs of mlp do not learn 나비야: wrong notes, drawn in red.
    expect(result.fullSong.wrong.length).toBeGreaterThan(0);
    expect(decode(path.join(out, 'fullsong.png')).red).toBeGreaterThan(100);
    expect(result.oneStep.wrong.length).toBeGreaterThan(0);
    expect(decode(path.join(out, 'onestep.png')).red).toBeGreaterThan(100);
  });

  it('complete --out writes completion.png: red exactly when notes are wrong; from one\'s own start notes the song is drawn alone', async () => {
    const c = capture();
    const completion = path.join(tmp, 'completion');
    expect(await main(['complete', model, '--out', completion, '--json'], c.io)).toBe(0);
    const result = JSON.parse(c.out());
    expect(result.pictures).toEqual([path.join(completion, 'completion.png')]);
    const picture = decode(path.join(completion, 'completion.png'));
    expect(picture.red > 0).toBe(result.fullSong.wrong.length > 0);

    // Own start notes: nothing to compare with, so no red even though a note may differ.
    const text = capture();
    expect(await main(['complete', model, '--start', 'g8 e8 e4 f8', '--length', '1', '--out', path.join(tmp, 'own')], text.io)).toBe(0);
    expect(text.out()).toContain(`wrote ${path.join(tmp, 'own', 'completion.png')}`);
    expect(decode(path.join(tmp, 'own', 'completion.png')).red).toBe(0);
  });

  it('a folder that cannot be written is refused before any training', async () => {
    const file = path.join(tmp, 'not-a-folder');
    writeFileSync(file, 'x');
    const c = capture();
    const started = Date.now();
    expect(await main(['learn', 'nabiya', '--model', 'mlp', '--epochs', '2000', '--out', file], c.io)).toBe(1);
    expect(c.err()).toMatch(/--out .*not-a-folder: cannot write pictures there/);
    expect(c.out()).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
