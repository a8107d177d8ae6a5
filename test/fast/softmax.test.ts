// The fast engine's softmax and cross-entropy against tf.js on its wasm backend, bit for bit:
// which samples the cross-entropy's clip silences decides how a long run behaves (softmax.ts).

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { softmaxCrossEntropy, xnnExp, xnnSoftmax } from '../../src/fast/softmax.ts';
import { initBackend } from '../../src/learning/backend.ts';
import { createRng } from '../../src/learning/random.ts';

beforeAll(async () => {
  const info = await initBackend({ backend: 'wasm' });
  expect(info.name).toBe('wasm');
});

/** Rows of logits for C classes: half of them confident (the target ahead by 11–21), half not. */
function logits(C: number, rows: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const z = new Float32Array(rows * C);
  for (let n = 0; n < rows; n++) {
    const target = n % C;
    const margin = n % 2 ? 11 + 10 * rng() : 5 * rng();
    const top = 5 * rng() - 2;
    for (let j = 0; j < C; j++) z[n * C + j] = j === target ? top : top - margin - 6 * rng();
  }
  return z;
}

describe('xnnSoftmax', () => {
  it.each([2, 3, 5, 12, 13, 16, 17, 23, 37])('equals tf.softmax on the wasm backend bit for bit, %i classes', (C) => {
    const rows = 2000;
    const z = logits(C, rows, C);
    const expected = tf.tidy(() => tf.softmax(tf.tensor2d(z, [rows, C])).dataSync().slice()) as Float32Array;
    const p = new Float32Array(rows * C);
    for (let n = 0; n < rows; n++) xnnSoftmax(z, n * C, C, p, n * C);
    let differing = 0;
    for (let i = 0; i < p.length; i++) if (p[i] !== expected[i]) differing++;
    expect(differing).toBe(0);
  });

  it('uses XNNPACK’s exp, which is not Math.exp rounded to float32', () => {
    let differs = 0;
    for (let x = -20; x <= 0; x += 0.01) {
      const e = xnnExp(Math.fround(x));
      expect(Math.abs(e - Math.exp(Math.fround(x)))).toBeLessThanOrEqual(Math.exp(Math.fround(x)) * 3e-7);
      if (e !== Math.fround(Math.exp(Math.fround(x)))) differs++;
    }
    expect(differs).toBeGreaterThan(0);
    expect(xnnExp(0)).toBe(1);
    expect(xnnExp(-100)).toBe(0);
  });
});

describe('softmaxCrossEntropy', () => {
  it('silences exactly the samples tf.js silences: same zero gradients, same gradients otherwise, same loss', () => {
    const C = 12;
    const rows = 4000;
    const z = logits(C, rows, 99);
    const targets = Array.from({ length: rows }, (_, n) => n % C);
    const [lossTf, gradTf] = tf.tidy(() => {
      const y = tf.oneHot(tf.tensor1d(targets, 'int32'), C).toFloat();
      const perSample = (zz: tf.Tensor): tf.Tensor => tf.metrics.categoricalCrossentropy(y, tf.softmax(zz));
      const zt = tf.tensor2d(z, [rows, C]);
      // summed over rows, each row's gradient is its own sample's (batch scale 1)
      const grad = tf.grad((zz: tf.Tensor) => tf.sum(perSample(zz)))(zt);
      return [perSample(zt).dataSync().slice(), grad.dataSync().slice()];
    }) as [Float32Array, Float32Array];
    const p = new Float32Array(C);
    const dz = new Float32Array(C);
    const loss = new Float64Array(1);
    let silenced = 0;
    for (let n = 0; n < rows; n++) {
      softmaxCrossEntropy(z, n * C, C, targets[n] as number, 1, p, 0, dz, 0, loss, 0);
      const expected = gradTf.subarray(n * C, (n + 1) * C);
      const silent = expected.every((v) => v === 0);
      if (silent) silenced++;
      expect(dz.every((v) => v === 0), `row ${n}: gradient zero`).toBe(silent);
      const scale = Math.max(...expected.map(Math.abs));
      for (let j = 0; j < C; j++) expect(Math.abs((dz[j] as number) - (expected[j] as number)), `row ${n}`).toBeLessThanOrEqual(scale * 1e-4);
      // (the last bit of float32's log may differ)
      expect(Math.abs((loss[0] as number) - (lossTf[n] as number))).toBeLessThanOrEqual((lossTf[n] as number) * 2.5e-7);
    }
    // both kinds are well represented, so the comparison says something
    expect(silenced).toBeGreaterThan(500);
    expect(rows - silenced).toBeGreaterThan(500);
  });

  it('silences a confident sample that a double-precision softmax would not', () => {
    // two competitors of e ≈ 5e-8 each, in the same lane of XNNPACK's 4-lane sum (classes 4 and 8):
    // each is lost when added to 1 in float32, so p_0 = 1; in double precision p_0 = 1 − 1e-7,
    // which rounds to 1 − ε in float32, inside the clip, so there would be a gradient
    const C = 12;
    const z = new Float32Array(C).fill(-100);
    z[0] = 0;
    z[4] = -16.8;
    z[8] = -16.8;
    const exact = 1 / (1 + 2 * Math.exp(Math.fround(-16.8)));
    expect(Math.fround(exact)).toBeLessThanOrEqual(Math.fround(1 - 1e-7));
    const p = new Float32Array(C);
    const dz = new Float32Array(C);
    const loss = new Float64Array(1);
    softmaxCrossEntropy(z, 0, C, 0, 1, p, 0, dz, 0, loss, 0);
    expect(p[0]).toBe(1);
    expect(dz.every((v) => v === 0)).toBe(true);
    const lossTf = tf.tidy(() =>
      tf.metrics.categoricalCrossentropy(tf.oneHot(tf.tensor1d([0], 'int32'), C).toFloat(), tf.softmax(tf.tensor2d(z, [1, C]))).dataSync()[0],
    );
    expect(Math.abs((loss[0] as number) - (lossTf as number))).toBeLessThanOrEqual((lossTf as number) * 2.5e-7);
  });
});
