// The hot loops of the fast nets behind one interface, in two implementations:
// * `jsKernels()` — plain TypeScript over Float32Array (always available);
// * `wasmKernels()` (wasm.ts) — WebAssembly SIMD built from asm/kernels.ts with AssemblyScript.
// A Kernels object also owns the memory of one net: `alloc` hands out every buffer the net needs,
// once (for wasm they are views into the instance's memory, so both sides see the same numbers).

import type { AdamClock } from './adam.ts';

export type KernelsName = 'js' | 'wasm';

export interface Kernels {
  readonly name: KernelsName;
  /** Allocates zeroed float32 buffers of the given lengths (call once per Kernels object). */
  alloc(lengths: readonly number[]): Float32Array[];
  /** z[0 … cols) += Σ_i h[ho + i] · W[i, ·]  for i < rows. */
  matvecAcc(W: Float32Array, h: Float32Array, ho: number, z: Float32Array, rows: number, cols: number): void;
  /** out[i] = Σ_j W[i, j] · d[dof + j]  for i < rows. */
  matTvec(W: Float32Array, d: Float32Array, dof: number, out: Float32Array, rows: number, cols: number): void;
  /**
   * For every row i of W (rows × cols): g[j] = Σ_{t<T} a[t·aStride + i] · d[t·dStride + j] —
   * a weight gradient summed over T time steps or samples — then one Adam update of the row
   * (clock.begin() already called for this step).
   */
  rankAdam(
    W: Float32Array, m: Float32Array, v: Float32Array,
    a: Float32Array, aStride: number, d: Float32Array, dStride: number,
    T: number, rows: number, cols: number, clock: AdamClock,
  ): void;
  /**
   * One LSTM step's nonlinearities from the pre-activations z[0 … 4U) (see asm/kernels.ts
   * lstmGates): writes gates/gd at `go`, tanh(c') into tc at `to`, c' and h' at `nextU` of cs and
   * hs, reading c from cs at `prevU`.
   */
  lstmGates(
    z: Float32Array, gates: Float32Array, gd: Float32Array, go: number, tc: Float32Array, to: number,
    cs: Float32Array, hs: Float32Array, prevU: number, nextU: number, U: number,
  ): void;
  /**
   * The LSTM's forward pass over one sample (asm/kernels.ts lstmForward): for t < T,
   * z = bias + x_t·K + h_{t−1}·R and lstmGates into the step's records (gates, gd at t·4U, tc at
   * t·U, c and h at (t + 1)·U of cs, hs); then logits = d + h_T·W.
   */
  lstmForward(
    xs: Float32Array, K: Float32Array, R: Float32Array, bias: Float32Array, W: Float32Array, d: Float32Array,
    hs: Float32Array, cs: Float32Array, gates: Float32Array, gd: Float32Array, tc: Float32Array, z: Float32Array,
    logits: Float32Array, T: number, F: number, U: number, C: number,
  ): void;
  /**
   * The LSTM's backward pass (asm/kernels.ts lstmBackward): dh_T = W·dlogits, then dz_t for
   * t = T−1 … 0 with dh_{t−1} = R·dz_t; dh and dc are U floats of scratch.
   */
  lstmBackward(
    gates: Float32Array, gd: Float32Array, tc: Float32Array, cs: Float32Array, R: Float32Array, W: Float32Array,
    dlogits: Float32Array, dz: Float32Array, dh: Float32Array, dc: Float32Array, T: number, U: number, C: number,
  ): void;
  /** The MLP's forward pass over `rows` samples of xb (asm/kernels.ts mlpForward). */
  mlpForward(
    xb: Float32Array, W1: Float32Array, b1: Float32Array, W2: Float32Array, b2: Float32Array, W3: Float32Array, b3: Float32Array,
    h1: Float32Array, h2: Float32Array, logits: Float32Array, rows: number, I: number, H: number, C: number,
  ): void;
  /** The MLP's backward pass to dz2, dz1 (asm/kernels.ts mlpBackward). */
  mlpBackward(
    W2: Float32Array, W3: Float32Array, h1: Float32Array, h2: Float32Array, dlogits: Float32Array,
    dz2: Float32Array, dz1: Float32Array, rows: number, H: number, C: number,
  ): void;
  /** The same gradient written into grad (rows × cols) instead of applied (tests). */
  rankGrad(
    grad: Float32Array,
    a: Float32Array, aStride: number, d: Float32Array, dStride: number,
    T: number, rows: number, cols: number,
  ): void;
}

const f32 = Math.fround;
const HS_SLOPE = f32(0.2);
/** The smallest normal float32 (see asm/kernels.ts FLT_MIN). */
const FLT_MIN = 1.17549435082228750797e-38;

export function jsKernels(): Kernels {
  let row = new Float64Array(0);
  const rowGrad = (a: Float32Array, aStride: number, d: Float32Array, dStride: number, T: number, i: number, cols: number): Float64Array => {
    if (row.length < cols) row = new Float64Array(cols);
    const g = row;
    g.fill(0, 0, cols);
    for (let t = 0; t < T; t++) {
      const c = a[t * aStride + i] as number;
      if (c === 0) continue;
      const o = t * dStride;
      for (let j = 0; j < cols; j++) g[j] = (g[j] as number) + c * (d[o + j] as number);
    }
    return g;
  };
  let dh = new Float64Array(0);
  let dc = new Float64Array(0);
  let back = new Float32Array(0);
  const k: Kernels = {
    name: 'js',
    alloc: (lengths) => lengths.map((n) => new Float32Array(n)),
    matvecAcc(W, h, ho, z, rows, cols) {
      let i = 0;
      for (; i + 3 < rows; i += 4) {
        const a0 = h[ho + i] as number;
        const a1 = h[ho + i + 1] as number;
        const a2 = h[ho + i + 2] as number;
        const a3 = h[ho + i + 3] as number;
        if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
        const o0 = i * cols;
        const o1 = o0 + cols;
        const o2 = o1 + cols;
        const o3 = o2 + cols;
        for (let j = 0; j < cols; j++) {
          z[j] =
            (z[j] as number) +
            a0 * (W[o0 + j] as number) +
            a1 * (W[o1 + j] as number) +
            a2 * (W[o2 + j] as number) +
            a3 * (W[o3 + j] as number);
        }
      }
      for (; i < rows; i++) {
        const a = h[ho + i] as number;
        if (a === 0) continue;
        const o = i * cols;
        for (let j = 0; j < cols; j++) z[j] = (z[j] as number) + a * (W[o + j] as number);
      }
    },
    matTvec(W, d, dof, out, rows, cols) {
      for (let i = 0; i < rows; i++) {
        const o = i * cols;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let j = 0;
        for (; j + 3 < cols; j += 4) {
          s0 += (W[o + j] as number) * (d[dof + j] as number);
          s1 += (W[o + j + 1] as number) * (d[dof + j + 1] as number);
          s2 += (W[o + j + 2] as number) * (d[dof + j + 2] as number);
          s3 += (W[o + j + 3] as number) * (d[dof + j + 3] as number);
        }
        for (; j < cols; j++) s0 += (W[o + j] as number) * (d[dof + j] as number);
        out[i] = s0 + s1 + s2 + s3;
      }
    },
    rankAdam(W, m, v, a, aStride, d, dStride, T, rows, cols, clock) {
      const { b1, b1c, b2, b2c, c1, c2, lr, eps } = clock;
      for (let i = 0; i < rows; i++) {
        const g = rowGrad(a, aStride, d, dStride, T, i, cols);
        const off = i * cols;
        for (let k = 0; k < cols; k++) {
          const x = off + k;
          const gk = g[k] as number;
          let mk = b1 * (m[x] as number) + b1c * gk;
          let vk = b2 * (v[x] as number) + b2c * gk * gk;
          // moments below float32's smallest normal number are flushed to zero, as in asm/kernels.ts
          if (Math.abs(mk) < FLT_MIN) mk = 0;
          if (vk < FLT_MIN) vk = 0;
          m[x] = mk;
          v[x] = vk;
          W[x] = (W[x] as number) - (lr * (mk * c1)) / (Math.sqrt(vk * c2) + eps);
        }
      }
    },
    lstmGates(z, gates, gd, go, tc, to, cs, hs, prevU, nextU, U) {
      for (let u = 0; u < U; u++) {
        const yi = f32(0.5 + f32(HS_SLOPE * (z[u] as number)));
        const yf = f32(0.5 + f32(HS_SLOPE * (z[U + u] as number)));
        const yo = f32(0.5 + f32(HS_SLOPE * (z[3 * U + u] as number)));
        const i = yi < 0 ? 0 : yi > 1 ? 1 : yi;
        const fg = yf < 0 ? 0 : yf > 1 ? 1 : yf;
        const o = yo < 0 ? 0 : yo > 1 ? 1 : yo;
        const g = f32(Math.tanh(z[2 * U + u] as number));
        gates[go + u] = i;
        gates[go + U + u] = fg;
        gates[go + 2 * U + u] = g;
        gates[go + 3 * U + u] = o;
        gd[go + u] = yi >= 0 && yi <= 1 ? HS_SLOPE : 0;
        gd[go + U + u] = yf >= 0 && yf <= 1 ? HS_SLOPE : 0;
        gd[go + 2 * U + u] = 1 - g * g;
        gd[go + 3 * U + u] = yo >= 0 && yo <= 1 ? HS_SLOPE : 0;
        const cn = f32(fg * (cs[prevU + u] as number) + i * g);
        cs[nextU + u] = cn;
        const th = f32(Math.tanh(cn));
        tc[to + u] = th;
        hs[nextU + u] = o * th;
      }
    },
    lstmForward(xs, K, R, bias, W, d, hs, cs, gates, gd, tc, z, logits, T, F, U, C) {
      const G = 4 * U;
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < G; j++) z[j] = bias[j] as number;
        for (let f = 0; f < F; f++) {
          const xf = xs[t * F + f] as number;
          if (xf === 0) continue;
          const ko = f * G;
          for (let j = 0; j < G; j++) z[j] = (z[j] as number) + xf * (K[ko + j] as number);
        }
        k.matvecAcc(R, hs, t * U, z, U, G);
        k.lstmGates(z, gates, gd, t * G, tc, t * U, cs, hs, t * U, (t + 1) * U, U);
      }
      for (let c = 0; c < C; c++) logits[c] = d[c] as number;
      k.matvecAcc(W, hs, T * U, logits, U, C);
    },
    lstmBackward(gates, gd, tc, cs, R, W, dlogits, dz, _dh, _dc, T, U, C) {
      const G = 4 * U;
      if (dh.length < U) {
        dh = new Float64Array(U);
        dc = new Float64Array(U);
      }
      if (back.length < U) back = new Float32Array(U);
      for (let u = 0; u < U; u++) {
        const wo = u * C;
        let s = 0;
        for (let c = 0; c < C; c++) s += (W[wo + c] as number) * (dlogits[c] as number);
        dh[u] = s;
      }
      dc.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const go = t * G;
        const prevU = t * U;
        for (let u = 0; u < U; u++) {
          const th = tc[prevU + u] as number;
          const dhu = dh[u] as number;
          const o = gates[go + 3 * U + u] as number;
          const dcu = (dc[u] as number) + dhu * o * (1 - th * th);
          const i = gates[go + u] as number;
          const fg = gates[go + U + u] as number;
          const g = gates[go + 2 * U + u] as number;
          dz[go + u] = dcu * g * (gd[go + u] as number);
          dz[go + U + u] = dcu * (cs[prevU + u] as number) * (gd[go + U + u] as number);
          dz[go + 2 * U + u] = dcu * i * (gd[go + 2 * U + u] as number);
          dz[go + 3 * U + u] = dhu * th * (gd[go + 3 * U + u] as number);
          dc[u] = dcu * fg;
        }
        if (t > 0) {
          k.matTvec(R, dz, go, back, U, G);
          for (let u = 0; u < U; u++) dh[u] = back[u] as number;
        }
      }
    },
    mlpForward(xb, W1, b1, W2, b2, W3, b3, h1, h2, logits, rows, I, H, C) {
      if (back.length < Math.max(H, C)) back = new Float32Array(Math.max(H, C));
      const acc = back;
      for (let b = 0; b < rows; b++) {
        for (let j = 0; j < H; j++) acc[j] = b1[j] as number;
        k.matvecAcc(W1, xb, b * I, acc, I, H);
        for (let j = 0; j < H; j++) {
          const v = acc[j] as number;
          h1[b * H + j] = v > 0 ? v : 0;
        }
        for (let j = 0; j < H; j++) acc[j] = b2[j] as number;
        k.matvecAcc(W2, h1, b * H, acc, H, H);
        for (let j = 0; j < H; j++) {
          const v = acc[j] as number;
          h2[b * H + j] = v > 0 ? v : 0;
        }
        for (let c = 0; c < C; c++) acc[c] = b3[c] as number;
        k.matvecAcc(W3, h2, b * H, acc, H, C);
        for (let c = 0; c < C; c++) logits[b * C + c] = acc[c] as number;
      }
    },
    mlpBackward(W2, W3, h1, h2, dlogits, dz2, dz1, rows, H, C) {
      if (back.length < Math.max(H, C)) back = new Float32Array(Math.max(H, C));
      for (let b = 0; b < rows; b++) {
        k.matTvec(W3, dlogits, b * C, back, H, C);
        for (let i = 0; i < H; i++) dz2[b * H + i] = (h2[b * H + i] as number) > 0 ? (back[i] as number) : 0;
        k.matTvec(W2, dz2, b * H, back, H, H);
        for (let i = 0; i < H; i++) dz1[b * H + i] = (h1[b * H + i] as number) > 0 ? (back[i] as number) : 0;
      }
    },
    rankGrad(grad, a, aStride, d, dStride, T, rows, cols) {
      for (let i = 0; i < rows; i++) {
        const g = rowGrad(a, aStride, d, dStride, T, i, cols);
        for (let k = 0; k < cols; k++) grad[i * cols + k] = g[k] as number;
      }
    },
  };
  return k;
}
