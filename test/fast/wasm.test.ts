// The WebAssembly SIMD kernels: the committed kernels.wasm is the build of the committed source,
// and every kernel computes what the TypeScript kernels compute.

import { describe, expect, it } from 'vitest';
import { AdamClock } from '../../src/fast/adam.ts';
import { kernelsAreCurrent } from '../../src/fast/asm/build.ts';
import { jsKernels } from '../../src/fast/kernels.ts';
import type { Kernels } from '../../src/fast/kernels.ts';
import { createKernels, kernelsFromEnv, wasmKernels, wasmModule } from '../../src/fast/wasm.ts';
import { createRng } from '../../src/learning/random.ts';
import { relativeError, uniform } from './helpers.ts';

describe('kernels.wasm', () => {
  it('is the AssemblyScript build of src/fast/asm/kernels.ts (run node src/fast/asm/build.ts after editing it)', async () => {
    expect(await kernelsAreCurrent()).toBe(true);
  }, 120_000);

  it('loads with SIMD and is the default', () => {
    expect(wasmModule()).not.toBeNull();
    expect(createKernels('auto').name).toBe('wasm');
    expect(createKernels('js').name).toBe('js');
    expect(kernelsFromEnv({ NABI_FAST_KERNELS: 'js' })).toBe('js');
    expect(() => kernelsFromEnv({ NABI_FAST_KERNELS: 'gpu' })).toThrow(/use js, wasm or auto/);
  });
});

/** The same buffers, filled with the same random numbers, on both kernels. */
function twin(lengths: number[], seed: number): [Kernels, Float32Array[], Kernels, Float32Array[]] {
  const js = jsKernels();
  const wasm = wasmKernels();
  const a = js.alloc(lengths);
  const b = wasm.alloc(lengths);
  const rng = createRng(seed);
  a.forEach((buf, i) => {
    buf.set(uniform(rng, buf.length, -1, 1));
    (b[i] as Float32Array).set(buf);
  });
  return [js, a, wasm, b];
}

describe.each([
  [128, 512, 4],
  [128, 128, 10],
  [7, 13, 3], // odd sizes: the scalar tails
])('wasm kernels, %i × %i, %i terms', (rows, cols, T) => {
  it('match the TypeScript kernels', () => {
    const lengths = [rows * cols, rows * cols, rows * cols, (T + 1) * rows, T * cols, cols, rows, rows * cols];
    const [js, a, wasm, b] = twin(lengths, rows + cols + T);
    type Eight = [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const [W, m, v, h, d, z, out, grad] = a as Eight;
    const [W2, m2, v2, h2, d2, z2, out2, grad2] = b as Eight;
    for (const moments of [m, m2, v, v2]) moments.fill(0);
    js.matvecAcc(W, h, rows, z, rows, cols);
    wasm.matvecAcc(W2, h2, rows, z2, rows, cols);
    expect(relativeError(z2, z)).toBeLessThan(1e-5);
    js.matTvec(W, d, cols, out, rows, cols);
    wasm.matTvec(W2, d2, cols, out2, rows, cols);
    expect(relativeError(out2, out)).toBeLessThan(1e-5);
    js.rankGrad(grad, h, rows, d, cols, T, rows, cols);
    wasm.rankGrad(grad2, h2, rows, d2, cols, T, rows, cols);
    expect(relativeError(grad2, grad)).toBeLessThan(1e-5);
    const outside = new Float32Array(rows * cols);
    wasm.rankGrad(outside, h2, rows, d2, cols, T, rows, cols);
    expect(outside).toEqual(grad2);
    const c1 = new AdamClock();
    const c2 = new AdamClock();
    for (let step = 0; step < 3; step++) {
      c1.begin();
      c2.begin();
      js.rankAdam(W, m, v, h, rows, d, cols, T, rows, cols, c1);
      wasm.rankAdam(W2, m2, v2, h2, rows, d2, cols, T, rows, cols, c2);
      c1.end();
      c2.end();
    }
    expect(relativeError(m2, m)).toBeLessThan(1e-5);
    expect(relativeError(v2, v)).toBeLessThan(1e-5);
    expect(relativeError(W2, W)).toBeLessThan(1e-6);
  });
});

describe('wasm lstmGates', () => {
  it('matches the TypeScript kernel, hard-sigmoid clip edges included', () => {
    const U = 128;
    const G = 4 * U;
    const lengths = [G, G, G, U, 2 * U, 2 * U];
    const [js, a, wasm, b] = twin(lengths, 3);
    const [z, gates, gd, tc, cs, hs] = a as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const [z2, gates2, gd2, tc2, cs2, hs2] = b as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    // spread the pre-activations over ±4 and put some exactly on the clip edges (±2.5)
    for (let j = 0; j < G; j++) z[j] = (z[j] as number) * 4;
    z[0] = 2.5;
    z[1] = -2.5;
    z[U] = 2.5;
    z[3 * U + 1] = -2.5;
    z2.set(z);
    js.lstmGates(z, gates, gd, 0, tc, 0, cs, hs, 0, U, U);
    wasm.lstmGates(z2, gates2, gd2, 0, tc2, 0, cs2, hs2, 0, U, U);
    // the hard-sigmoid slopes (i, f, o) exactly — clip decisions identical; 1 − g² to float32 noise
    for (const part of [0, 1, 3]) expect(gd2.subarray(part * U, (part + 1) * U)).toEqual(gd.subarray(part * U, (part + 1) * U));
    expect(Array.from(gd.subarray(0, 2))).toEqual([0.2, 0.2].map(Math.fround));
    expect(relativeError(gd2.subarray(2 * U, 3 * U), gd.subarray(2 * U, 3 * U))).toBeLessThan(1e-6);
    for (const [x, y] of [[gates2, gates], [tc2, tc], [cs2, cs], [hs2, hs]] as const) expect(relativeError(x, y)).toBeLessThan(1e-6);
  });
});

// The whole-pass kernels: one wasm call per forward or backward pass. Each is compared with the
// TypeScript kernels on random weights and inputs, including odd sizes that exercise the scalar
// tails, and a carried (non-zero) initial state for the LSTM.
describe.each([
  [128, 4, 1, 12], // the tutorial's stateful LSTM: 128 units, window 4, 1 feature, 12 classes
  [128, 4, 2, 12], // stateful-2f's two features
  [13, 3, 3, 7], // odd sizes
])('wasm whole LSTM passes, U=%i, T=%i, F=%i, C=%i', (U, T, F, C) => {
  it('forward and backward match the TypeScript kernels', () => {
    const G = 4 * U;
    // xs, K, R, bias, W, d, hs, cs, gates, gd, tc, z, logits, dlogits, dz, dh, dc
    const lengths = [T * F, F * G, U * G, G, U * C, C, (T + 1) * U, (T + 1) * U, T * G, T * G, T * U, G, C, C, T * G, U, U];
    const [js, a, wasm, b] = twin(lengths, U + T + F + C);
    const run = (k: Kernels, bufs: Float32Array[]): void => {
      const [xs, K, R, bias, W, d, hs, cs, gates, gd, tc, z, logits, dlogits, dz, dh, dc] = bufs as [
        Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array,
        Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array,
      ];
      // pre-activations of ±several units, so that the hard sigmoid clips some gates and not others
      for (let i = 0; i < K.length; i++) K[i] = (K[i] as number) * 3;
      for (let i = 0; i < bias.length; i++) bias[i] = (bias[i] as number) * 2;
      for (let i = 0; i < R.length; i++) R[i] = (R[i] as number) * 0.3;
      k.lstmForward(xs, K, R, bias, W, d, hs, cs, gates, gd, tc, z, logits, T, F, U, C);
      k.lstmBackward(gates, gd, tc, cs, R, W, dlogits, dz, dh, dc, T, U, C);
    };
    run(js, a);
    run(wasm, b);
    // h_0, c_0 (index 6, 7 at offset 0) were random: a carried state, not zeros
    expect(Array.from((a[6] as Float32Array).subarray(0, U)).some((v) => v !== 0)).toBe(true);
    const names = ['hs', 'cs', 'gates', 'gd', 'tc', 'logits', 'dz'] as const;
    const index = { hs: 6, cs: 7, gates: 8, gd: 9, tc: 10, logits: 12, dz: 14 } as const;
    for (const name of names) {
      const i = index[name];
      const err = relativeError(b[i] as Float32Array, a[i] as Float32Array);
      expect(err, name).toBeLessThan(1e-5);
    }
    // the clip decisions themselves are identical: same slopes 0.2 / 0 in the gate derivatives
    const gdJs = a[9] as Float32Array;
    const gdWasm = b[9] as Float32Array;
    let clipped = 0;
    for (let t = 0; t < T; t++) {
      for (const part of [0, 1, 3]) {
        const from = t * G + part * U;
        expect(gdWasm.subarray(from, from + U)).toEqual(gdJs.subarray(from, from + U));
        clipped += gdJs.subarray(from, from + U).filter((v) => v === 0).length;
      }
    }
    expect(clipped).toBeGreaterThan(0);
  });
});

describe.each([
  [10, 4, 128, 12], // the tutorial's MLP: batch 10, 4 inputs, 128 hidden, 12 classes
  [3, 5, 13, 7], // odd sizes
])('wasm whole MLP passes, rows=%i, I=%i, H=%i, C=%i', (rows, I, H, C) => {
  it('forward and backward match the TypeScript kernels, relu masks included', () => {
    // xb, W1, b1, W2, b2, W3, b3, h1, h2, logits, dlogits, dz2, dz1
    const lengths = [rows * I, I * H, H, H * H, H, H * C, C, rows * H, rows * H, rows * C, rows * C, rows * H, rows * H];
    const [js, a, wasm, b] = twin(lengths, rows + I + H + C);
    const run = (k: Kernels, bufs: Float32Array[]): void => {
      const [xb, W1, b1, W2, b2, W3, b3, h1, h2, logits, dlogits, dz2, dz1] = bufs as Float32Array[] as [
        Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array,
        Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array,
      ];
      k.mlpForward(xb, W1, b1, W2, b2, W3, b3, h1, h2, logits, rows, I, H, C);
      k.mlpBackward(W2, W3, h1, h2, dlogits, dz2, dz1, rows, H, C);
    };
    run(js, a);
    run(wasm, b);
    const index = { h1: 7, h2: 8, logits: 9, dz2: 11, dz1: 12 } as const;
    for (const [name, i] of Object.entries(index)) {
      expect(relativeError(b[i] as Float32Array, a[i] as Float32Array), name).toBeLessThan(1e-5);
    }
    // relu masks: the same units are dead on both, and some are
    const h1 = a[7] as Float32Array;
    const dead = Array.from(h1).map((v) => v === 0);
    expect(Array.from(b[7] as Float32Array).map((v) => v === 0)).toEqual(dead);
    expect(dead.filter(Boolean).length).toBeGreaterThan(0);
    const dz1 = b[12] as Float32Array;
    dead.forEach((isDead, i) => {
      if (isDead) expect(dz1[i]).toBe(0);
    });
  });
});
