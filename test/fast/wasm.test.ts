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
