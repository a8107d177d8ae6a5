// Loads the WebAssembly SIMD kernels (asm/kernels.wasm, built from asm/kernels.ts by asm/build.ts)
// and wraps them as `Kernels`. The module is compiled once per process; every net gets its own
// instance and memory, sized for its buffers, so typed-array views never detach.
//
// NABI_FAST_KERNELS=js|wasm forces an implementation; by default wasm is used when the module is
// present and the runtime has WebAssembly SIMD, else the TypeScript kernels.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AdamClock } from './adam.ts';
import { jsKernels } from './kernels.ts';
import type { Kernels, KernelsName } from './kernels.ts';

export const KERNELS_ENV = 'NABI_FAST_KERNELS';
export const WASM_FILE = fileURLToPath(new URL('./asm/kernels.wasm', import.meta.url));

interface Exports {
  heapBase(): number;
  matvecAcc(W: number, h: number, z: number, rows: number, cols: number): void;
  matTvec(W: number, d: number, out: number, rows: number, cols: number): void;
  lstmGates(z: number, c: number, gates: number, gd: number, tc: number, cNext: number, hNext: number, U: number): void;
  rankUpdate(
    W: number, M: number, V: number, grad: number,
    a: number, aStride: number, d: number, dStride: number, T: number, rows: number, cols: number, scratch: number, update: number,
    params: number,
  ): void;
  lstmForward(
    xs: number, K: number, R: number, bias: number, W: number, d: number, hs: number, cs: number, gates: number, gd: number,
    tc: number, z: number, logits: number, T: number, F: number, U: number, C: number,
  ): void;
  lstmBackward(
    gates: number, gd: number, tc: number, cs: number, R: number, W: number, dlogits: number, dz: number, dh: number, dc: number,
    T: number, U: number, C: number,
  ): void;
  mlpForward(
    xb: number, W1: number, b1: number, W2: number, b2: number, W3: number, b3: number, h1: number, h2: number, logits: number,
    rows: number, I: number, H: number, C: number,
  ): void;
  mlpBackward(W2: number, W3: number, h1: number, h2: number, dlogits: number, dz2: number, dz1: number, rows: number, H: number, C: number): void;
}

// The WebAssembly API as far as used here (tsconfig's ES2023 lib and @types/node do not declare it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: WasmModule | null | undefined;
let unavailable = '';

/** The compiled module, or null (with `wasmUnavailableReason()`) when it cannot be used. */
export function wasmModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = readFileSync(WASM_FILE);
    if (!WebAssembly.validate(bytes)) throw new Error('the runtime cannot validate it (no WebAssembly SIMD or relaxed SIMD? Node ≥ 22 has both)');
    compiled = new WebAssembly.Module(bytes);
  } catch (error) {
    unavailable = `${WASM_FILE}: ${(error as Error).message.split('\n')[0]}`;
    compiled = null;
  }
  return compiled;
}

export function wasmUnavailableReason(): string {
  return unavailable;
}

const PAGE = 65536;
/** Longest weight row rankUpdate handles (its scratch row). */
const MAX_COLS = 8192;

export function wasmKernels(): Kernels {
  const module = wasmModule();
  if (!module) throw new Error(`the WebAssembly kernels are unavailable: ${unavailable}`);
  let memory: WasmMemory | undefined;
  // memory.buffer is a getter into the runtime: read once (the memory never grows).
  let memoryBuffer: ArrayBuffer | undefined;
  let exports: Exports | undefined;
  let scratch = 0;
  // Room for one weight gradient, for rankGrad into arrays outside the memory (tests).
  let gradScratch: Float32Array | undefined;
  // Adam's scalars for rankUpdate (β1, 1 − β1, β2, 1 − β2, c1, c2, lr, ε).
  let params: Float32Array | undefined;
  let paramsPtr = 0;
  const ptr = (a: Float32Array, offset = 0): number => {
    if (a.buffer !== memoryBuffer) throw new Error('a buffer outside this net’s wasm memory');
    return a.byteOffset + 4 * offset;
  };
  const ex = (): Exports => {
    if (!exports) throw new Error('wasm kernels used before alloc()');
    return exports;
  };
  return {
    name: 'wasm',
    alloc(lengths) {
      if (memory) throw new Error('wasm kernels: alloc() may only be called once');
      // Static data of the module first, then 16-byte aligned buffers, then the scratch for rankUpdate.
      const probe = new WebAssembly.Memory({ initial: 1 });
      const base = (new WebAssembly.Instance(module, { env: { memory: probe } }).exports as unknown as Exports).heapBase();
      let offset = Math.ceil(base / 16) * 16;
      const offsets = lengths.map((n) => {
        const o = offset;
        offset += Math.ceil((4 * n) / 16) * 16;
        return o;
      });
      scratch = offset;
      offset += 4 * MAX_COLS;
      paramsPtr = offset;
      offset += 32;
      const gradOffset = offset;
      const largest = Math.max(0, ...lengths);
      offset += 4 * largest;
      memory = new WebAssembly.Memory({ initial: Math.ceil(offset / PAGE) });
      exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
      const buffer = memory.buffer;
      memoryBuffer = buffer;
      gradScratch = new Float32Array(buffer, gradOffset, largest);
      params = new Float32Array(buffer, paramsPtr, 8);
      return lengths.map((n, i) => new Float32Array(buffer, offsets[i] as number, n));
    },
    matvecAcc(W, h, ho, z, rows, cols) {
      ex().matvecAcc(ptr(W), ptr(h, ho), ptr(z), rows, cols);
    },
    matTvec(W, d, dof, out, rows, cols) {
      ex().matTvec(ptr(W), ptr(d, dof), ptr(out), rows, cols);
    },
    lstmGates(z, gates, gd, go, tc, to, cs, hs, prevU, nextU, U) {
      ex().lstmGates(ptr(z), ptr(cs, prevU), ptr(gates, go), ptr(gd, go), ptr(tc, to), ptr(cs, nextU), ptr(hs, nextU), U);
    },
    lstmForward(xs, K, R, bias, W, d, hs, cs, gates, gd, tc, z, logits, T, F, U, C) {
      ex().lstmForward(
        ptr(xs), ptr(K), ptr(R), ptr(bias), ptr(W), ptr(d), ptr(hs), ptr(cs), ptr(gates), ptr(gd), ptr(tc), ptr(z), ptr(logits), T, F, U, C,
      );
    },
    lstmBackward(gates, gd, tc, cs, R, W, dlogits, dz, dh, dc, T, U, C) {
      ex().lstmBackward(ptr(gates), ptr(gd), ptr(tc), ptr(cs), ptr(R), ptr(W), ptr(dlogits), ptr(dz), ptr(dh), ptr(dc), T, U, C);
    },
    mlpForward(xb, W1, b1, W2, b2, W3, b3, h1, h2, logits, rows, I, H, C) {
      ex().mlpForward(ptr(xb), ptr(W1), ptr(b1), ptr(W2), ptr(b2), ptr(W3), ptr(b3), ptr(h1), ptr(h2), ptr(logits), rows, I, H, C);
    },
    mlpBackward(W2, W3, h1, h2, dlogits, dz2, dz1, rows, H, C) {
      ex().mlpBackward(ptr(W2), ptr(W3), ptr(h1), ptr(h2), ptr(dlogits), ptr(dz2), ptr(dz1), rows, H, C);
    },
    rankAdam(W, m, v, a, aStride, d, dStride, T, rows, cols, clock: AdamClock) {
      if (cols > MAX_COLS) throw new Error(`rankAdam: rows of at most ${MAX_COLS}`);
      const p = params as Float32Array;
      p[0] = clock.b1;
      p[1] = clock.b1c;
      p[2] = clock.b2;
      p[3] = clock.b2c;
      p[4] = clock.c1;
      p[5] = clock.c2;
      p[6] = clock.lr;
      p[7] = clock.eps;
      ex().rankUpdate(ptr(W), ptr(m), ptr(v), 0, ptr(a), aStride, ptr(d), dStride, T, rows, cols, scratch, 1, paramsPtr);
    },
    rankGrad(grad, a, aStride, d, dStride, T, rows, cols) {
      if (cols > MAX_COLS) throw new Error(`rankGrad: rows of at most ${MAX_COLS}`);
      const inside = grad.buffer === memoryBuffer;
      const out = inside ? grad : gradScratch;
      if (!out || out.length < rows * cols) throw new Error('rankGrad: gradient larger than any buffer of this net');
      ex().rankUpdate(0, 0, 0, ptr(out), ptr(a), aStride, ptr(d), dStride, T, rows, cols, scratch, 0, paramsPtr);
      if (!inside) grad.set(out.subarray(0, rows * cols));
    },
  };
}

/** Parses NABI_FAST_KERNELS (default: automatic). */
export function kernelsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): KernelsName | 'auto' {
  const v = (env[KERNELS_ENV] ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'js' || v === 'wasm') return v;
  throw new Error(`${KERNELS_ENV}="${v.slice(0, 30)}" is not a kernel choice: use js, wasm or auto`);
}

/** Kernels for one net: the requested implementation, or wasm when available, else TypeScript. */
export function createKernels(choice: KernelsName | 'auto' = kernelsFromEnv()): Kernels {
  if (choice === 'js') return jsKernels();
  if (choice === 'wasm' || wasmModule()) return wasmKernels();
  return jsKernels();
}
