/* AssemblyScript (0.28, built with --enable simd,relaxed-simd by build.ts), not Node TypeScript; eslint ignores this file */
// @ts-nocheck
//
// The fast engine's hot loops as WebAssembly SIMD (f32x4): the matrix-vector products, the LSTM
// gates (with a SIMD tanh), the fused "rank-T gradient + Adam" update of a weight matrix, and each
// net's whole forward and backward pass as one call (lstmForward/lstmBackward,
// mlpForward/mlpBackward), so that a training step crosses the JS–wasm boundary a handful of
// times. Softmax + cross-entropy (C values per sample) stays in TypeScript (softmax.ts).
// All arguments are byte offsets into the instance's memory (imported, owned by the loader in
// wasm.ts); matrices are row-major float32, rows of `cols` floats. Nothing is allocated here.

/** First free byte after this module's static data (the loader allocates from here). */
export function heapBase(): usize {
  return __heap_base;
}

/** z[0 … cols) += Σ_i h[i] · W[i, 0 … cols)  for i < rows (W: rows × cols). */
export function matvecAcc(W: usize, h: usize, z: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const vecEnd = cols & ~7;
  let i = 0;
  for (; i + 3 < rows; i += 4) {
    const a0 = f32x4.splat(load<f32>(h + (<usize>i << 2)));
    const a1 = f32x4.splat(load<f32>(h + (<usize>(i + 1) << 2)));
    const a2 = f32x4.splat(load<f32>(h + (<usize>(i + 2) << 2)));
    const a3 = f32x4.splat(load<f32>(h + (<usize>(i + 3) << 2)));
    const r0 = W + <usize>i * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    let j = 0;
    for (; j < vecEnd; j += 8) {
      const o = <usize>j << 2;
      let s = v128.load(z + o);
      let t = v128.load(z + o + 16);
      s = f32x4.relaxed_madd(a0, v128.load(r0 + o), s);
      t = f32x4.relaxed_madd(a0, v128.load(r0 + o + 16), t);
      s = f32x4.relaxed_madd(a1, v128.load(r1 + o), s);
      t = f32x4.relaxed_madd(a1, v128.load(r1 + o + 16), t);
      s = f32x4.relaxed_madd(a2, v128.load(r2 + o), s);
      t = f32x4.relaxed_madd(a2, v128.load(r2 + o + 16), t);
      s = f32x4.relaxed_madd(a3, v128.load(r3 + o), s);
      t = f32x4.relaxed_madd(a3, v128.load(r3 + o + 16), t);
      v128.store(z + o, s);
      v128.store(z + o + 16, t);
    }
    for (; j + 3 < cols; j += 4) {
      const o = <usize>j << 2;
      let s = v128.load(z + o);
      s = f32x4.relaxed_madd(a0, v128.load(r0 + o), s);
      s = f32x4.relaxed_madd(a1, v128.load(r1 + o), s);
      s = f32x4.relaxed_madd(a2, v128.load(r2 + o), s);
      s = f32x4.relaxed_madd(a3, v128.load(r3 + o), s);
      v128.store(z + o, s);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const x0 = f32x4.extract_lane(a0, 0);
      const x1 = f32x4.extract_lane(a1, 0);
      const x2 = f32x4.extract_lane(a2, 0);
      const x3 = f32x4.extract_lane(a3, 0);
      store<f32>(z + o, load<f32>(z + o) + x0 * load<f32>(r0 + o) + x1 * load<f32>(r1 + o) + x2 * load<f32>(r2 + o) + x3 * load<f32>(r3 + o));
    }
  }
  for (; i < rows; i++) {
    const av = load<f32>(h + (<usize>i << 2));
    const a = f32x4.splat(av);
    const r = W + <usize>i * rowBytes;
    let j = 0;
    for (; j < vecEnd; j += 8) {
      const o = <usize>j << 2;
      v128.store(z + o, f32x4.relaxed_madd(a, v128.load(r + o), v128.load(z + o)));
      v128.store(z + o + 16, f32x4.relaxed_madd(a, v128.load(r + o + 16), v128.load(z + o + 16)));
    }
    for (; j + 3 < cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(z + o, f32x4.relaxed_madd(a, v128.load(r + o), v128.load(z + o)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(z + o, load<f32>(z + o) + av * load<f32>(r + o));
    }
  }
}

/** out[i] = Σ_j W[i, j] · d[j]  for every row i (W: rows × cols). */
export function matTvec(W: usize, d: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const vecEnd = cols & ~15;
  let i = 0;
  if ((cols & 7) == 0) {
    // four rows at a time, two partial sums per row, reduced together by a 4 × 4 transpose
    const bytes = <usize>cols << 2;
    for (; i + 3 < rows; i += 4) {
      const r0 = W + <usize>i * rowBytes;
      const r1 = r0 + rowBytes;
      const r2 = r1 + rowBytes;
      const r3 = r2 + rowBytes;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let b0 = f32x4.splat(0);
      let b1 = f32x4.splat(0);
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let e0 = f32x4.splat(0);
      let e1 = f32x4.splat(0);
      for (let o: usize = 0; o < bytes; o += 32) {
        const d0 = v128.load(d + o);
        const d1 = v128.load(d + o, 16);
        a0 = f32x4.relaxed_madd(v128.load(r0 + o), d0, a0);
        a1 = f32x4.relaxed_madd(v128.load(r0 + o, 16), d1, a1);
        b0 = f32x4.relaxed_madd(v128.load(r1 + o), d0, b0);
        b1 = f32x4.relaxed_madd(v128.load(r1 + o, 16), d1, b1);
        c0 = f32x4.relaxed_madd(v128.load(r2 + o), d0, c0);
        c1 = f32x4.relaxed_madd(v128.load(r2 + o, 16), d1, c1);
        e0 = f32x4.relaxed_madd(v128.load(r3 + o), d0, e0);
        e1 = f32x4.relaxed_madd(v128.load(r3 + o, 16), d1, e1);
      }
      const A = f32x4.add(a0, a1);
      const B = f32x4.add(b0, b1);
      const C = f32x4.add(c0, c1);
      const D = f32x4.add(e0, e1);
      // (a0 b0 a1 b1) + (a2 b2 a3 b3), (c0 d0 c1 d1) + (c2 d2 c3 d3)
      const ab = f32x4.add(v128.shuffle<f32>(A, B, 0, 4, 1, 5), v128.shuffle<f32>(A, B, 2, 6, 3, 7));
      const cd = f32x4.add(v128.shuffle<f32>(C, D, 0, 4, 1, 5), v128.shuffle<f32>(C, D, 2, 6, 3, 7));
      v128.store(out + (<usize>i << 2), f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7)));
    }
  }
  for (; i < rows; i++) {
    const r = W + <usize>i * rowBytes;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    let j = 0;
    for (; j < vecEnd; j += 16) {
      const o = <usize>j << 2;
      s0 = f32x4.relaxed_madd(v128.load(r + o), v128.load(d + o), s0);
      s1 = f32x4.relaxed_madd(v128.load(r + o + 16), v128.load(d + o + 16), s1);
      s2 = f32x4.relaxed_madd(v128.load(r + o + 32), v128.load(d + o + 32), s2);
      s3 = f32x4.relaxed_madd(v128.load(r + o + 48), v128.load(d + o + 48), s3);
    }
    for (; j + 3 < cols; j += 4) {
      const o = <usize>j << 2;
      s0 = f32x4.relaxed_madd(v128.load(r + o), v128.load(d + o), s0);
    }
    const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
    let total: f32 = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      total += load<f32>(r + o) * load<f32>(d + o);
    }
    store<f32>(out + (<usize>i << 2), total);
  }
}

/**
 * The smallest normal float32. Adam's moments of weights whose gradient is (often) exactly zero —
 * dead relu units — decay geometrically into subnormal numbers, and arithmetic on subnormals is
 * some hundred times slower on x86 (it made the MLP's update 5× slower). Moments below FLT_MIN are
 * stored as 0. That changes a moment by < 1.2e-38, and a weight by at most lr·1.2e-38/ε ≈ 1.2e-33,
 * below float32's resolution of any weight larger than ~1e-26: the trained weights are unchanged.
 */
const FLT_MIN: f32 = 1.17549435e-38;

/**
 * Adam's update of four weights at byte offset `o` of W, M, V from their gradient g, in registers.
 * m and v use one fused multiply-add each; lr·c1 is one constant. Both differ from tf.js's separate
 * roundings by at most an ulp or two per step — below the differences of summation order that
 * every matrix product already has — and the equations are tf.js's (see adam.ts).
 */
// @ts-ignore: decorator
@inline function adamVec(
  W: usize, M: usize, V: usize, o: usize, g: v128,
  vb1: v128, vb1c: v128, vb2: v128, vb2c: v128, vlrc1: v128, vc2: v128, veps: v128, vtiny: v128,
): void {
  const m = f32x4.relaxed_madd(vb1c, g, f32x4.mul(vb1, v128.load(M + o)));
  const v = f32x4.relaxed_madd(f32x4.mul(vb2c, g), g, f32x4.mul(vb2, v128.load(V + o)));
  // moments flushed to zero below FLT_MIN (see FLT_MIN)
  v128.store(M + o, v128.andnot(m, f32x4.lt(f32x4.abs(m), vtiny)));
  v128.store(V + o, v128.andnot(v, f32x4.lt(v, vtiny)));
  v128.store(W + o, f32x4.sub(v128.load(W + o), f32x4.div(f32x4.mul(m, vlrc1), f32x4.add(f32x4.sqrt(f32x4.mul(v, vc2)), veps))));
}

/**
 * Gradient row i of W: g[j] = Σ_t a[t·aStride + i] · d[t·dStride + j]  (t < T) — the gradient of
 * Σ_t a_t·W summed over T samples or time steps — written into `grad` when `update` is 0, else
 * applied to W with tf.js's Adam (m, v are W's moments). `params` points to Adam's eight float32
 * scalars β1, 1 − β1, β2, 1 − β2, c1 = 1/(1 − β1ᵗ), c2 = 1/(1 − β2ᵗ), lr, ε (in memory, so that
 * no float crosses the JS boundary as an argument — a boxed number per call otherwise).
 * `scratch` holds one gradient row (4·cols bytes, 16-byte aligned).
 *
 * Every gradient element is the same sum in the same order (t = 0, 1, …, fused multiply-adds from
 * zero) whichever path computes it, so rankGrad shows exactly the gradient rankAdam applies. With
 * `update`, whole vectors go from registers straight into Adam; only the tail of a row whose
 * length is not a multiple of 4 goes through `scratch`.
 */
export function rankUpdate(
  W: usize, M: usize, V: usize, grad: usize,
  a: usize, aStride: i32, d: usize, dStride: i32, T: i32, rows: i32, cols: i32, scratch: usize, update: i32, params: usize,
): void {
  const b1 = load<f32>(params);
  const b1c = load<f32>(params, 4);
  const b2 = load<f32>(params, 8);
  const b2c = load<f32>(params, 12);
  const c1 = load<f32>(params, 16);
  const c2 = load<f32>(params, 20);
  const lr = load<f32>(params, 24);
  const eps = load<f32>(params, 28);
  const lrc1: f32 = lr * c1;
  const rowBytes = <usize>cols << 2;
  const aStrideBytes = <usize>aStride << 2;
  const dStrideBytes = <usize>dStride << 2;
  const vecEnd = cols & ~3;
  const vecBytes = <usize>vecEnd << 2;
  const vb1 = f32x4.splat(b1);
  const vb1c = f32x4.splat(b1c);
  const vb2 = f32x4.splat(b2);
  const vb2c = f32x4.splat(b2c);
  const vlrc1 = f32x4.splat(lrc1);
  const vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(eps);
  const vtiny = f32x4.splat(FLT_MIN);
  const zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    const ai = a + (<usize>i << 2);
    const ro = <usize>i * rowBytes;
    // the row's gradient, whole vectors, in registers over all t
    let o: usize = 0;
    if (T == 4) {
      // the common case (an LSTM over a window of 4): the four coefficients stay in registers
      const c0 = v128.load32_splat(ai);
      const c1v = v128.load32_splat(ai + aStrideBytes);
      const c2v = v128.load32_splat(ai + 2 * aStrideBytes);
      const c3 = v128.load32_splat(ai + 3 * aStrideBytes);
      const d1 = d + dStrideBytes;
      const d2 = d1 + dStrideBytes;
      const d3 = d2 + dStrideBytes;
      for (; o < vecBytes; o += 16) {
        let g = f32x4.relaxed_madd(c0, v128.load(d + o), zero);
        g = f32x4.relaxed_madd(c1v, v128.load(d1 + o), g);
        g = f32x4.relaxed_madd(c2v, v128.load(d2 + o), g);
        g = f32x4.relaxed_madd(c3, v128.load(d3 + o), g);
        if (update == 0) v128.store(grad + ro + o, g);
        else adamVec(W + ro, M + ro, V + ro, o, g, vb1, vb1c, vb2, vb2c, vlrc1, vc2, veps, vtiny);
      }
    } else {
      // 16 columns at a time (one coefficient load per four vectors), then 4
      for (; o + 64 <= vecBytes; o += 64) {
        let g0 = zero;
        let g1 = zero;
        let g2 = zero;
        let g3 = zero;
        let ap = ai;
        let dp = d + o;
        for (let k = 0; k < T; k++) {
          const c = v128.load32_splat(ap);
          g0 = f32x4.relaxed_madd(c, v128.load(dp), g0);
          g1 = f32x4.relaxed_madd(c, v128.load(dp, 16), g1);
          g2 = f32x4.relaxed_madd(c, v128.load(dp, 32), g2);
          g3 = f32x4.relaxed_madd(c, v128.load(dp, 48), g3);
          ap += aStrideBytes;
          dp += dStrideBytes;
        }
        if (update == 0) {
          v128.store(grad + ro + o, g0);
          v128.store(grad + ro + o, g1, 16);
          v128.store(grad + ro + o, g2, 32);
          v128.store(grad + ro + o, g3, 48);
        } else {
          adamVec(W + ro, M + ro, V + ro, o, g0, vb1, vb1c, vb2, vb2c, vlrc1, vc2, veps, vtiny);
          adamVec(W + ro, M + ro, V + ro, o + 16, g1, vb1, vb1c, vb2, vb2c, vlrc1, vc2, veps, vtiny);
          adamVec(W + ro, M + ro, V + ro, o + 32, g2, vb1, vb1c, vb2, vb2c, vlrc1, vc2, veps, vtiny);
          adamVec(W + ro, M + ro, V + ro, o + 48, g3, vb1, vb1c, vb2, vb2c, vlrc1, vc2, veps, vtiny);
        }
      }
      for (; o < vecBytes; o += 16) {
        let g0 = zero;
        let ap = ai;
        let dp = d + o;
        for (let k = 0; k < T; k++) {
          g0 = f32x4.relaxed_madd(v128.load32_splat(ap), v128.load(dp), g0);
          ap += aStrideBytes;
          dp += dStrideBytes;
        }
        if (update == 0) v128.store(grad + ro + o, g0);
        else adamVec(W + ro, M + ro, V + ro, o, g0, vb1, vb1c, vb2, vb2c, vlrc1, vc2, veps, vtiny);
      }
    }
    // the tail (cols not a multiple of 4): one vector over the last four columns, computed into
    // scratch — the lanes of the tail are the same fused sums as above
    if (o == rowBytes) continue;
    const tail = rowBytes - 16;
    if (cols >= 4) {
      let g0 = zero;
      let ap = ai;
      let dp = d + tail;
      for (let k = 0; k < T; k++) {
        g0 = f32x4.relaxed_madd(v128.load32_splat(ap), v128.load(dp), g0);
        ap += aStrideBytes;
        dp += dStrideBytes;
      }
      v128.store(scratch, g0);
    } else {
      // fewer than four columns: scalar sums (an unfused multiply-add order of its own)
      for (let q: usize = 0; q < rowBytes; q += 4) {
        let g: f32 = 0;
        let ap = ai;
        let dp = d + q;
        for (let k = 0; k < T; k++) {
          g += load<f32>(ap) * load<f32>(dp);
          ap += aStrideBytes;
          dp += dStrideBytes;
        }
        store<f32>(scratch + 16 - rowBytes + q, g);
      }
    }
    for (; o < rowBytes; o += 4) {
      const g = load<f32>(scratch + 16 - (rowBytes - o));
      if (update == 0) {
        store<f32>(grad + ro + o, g);
        continue;
      }
      const m = b1 * load<f32>(M + ro + o) + b1c * g;
      const v = b2 * load<f32>(V + ro + o) + b2c * g * g;
      store<f32>(M + ro + o, Mathf.abs(m) < FLT_MIN ? <f32>0 : m);
      store<f32>(V + ro + o, v < FLT_MIN ? <f32>0 : v);
      store<f32>(W + ro + o, load<f32>(W + ro + o) - (m * lrc1) / (Mathf.sqrt(v * c2) + eps));
    }
  }
}

/**
 * One LSTM time step's nonlinearities (tf.js LSTMCell, gate order i, f, c, o), from the
 * pre-activations z[0 … 4U) (x·K + h·R + b):
 *   i, f, o = clip(0.2·z + 0.5, 0, 1) in float32 (tf.js's hardSigmoid), g = tanh(z_c),
 *   c' = f·c + i·g,  h' = o·tanh(c').
 * Also records what the backward pass needs: gates (i, f, g, o), gd (hard-sigmoid slope 0.2 where
 * 0 ≤ 0.2·z + 0.5 ≤ 1 else 0, as tf.js's clip gradient; 1 − g² for g) and tc = tanh(c').
 */
export function lstmGates(z: usize, c: usize, gates: usize, gd: usize, tc: usize, cNext: usize, hNext: usize, U: i32): void {
  const uBytes = <usize>U << 2;
  const vecEnd = <usize>(U & ~3) << 2;
  const half = f32x4.splat(0.5);
  const slope = f32x4.splat(0.2);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let o: usize = 0;
  for (; o < vecEnd; o += 16) {
    const yi = f32x4.add(half, f32x4.mul(slope, v128.load(z + o)));
    const yf = f32x4.add(half, f32x4.mul(slope, v128.load(z + uBytes + o)));
    const yo = f32x4.add(half, f32x4.mul(slope, v128.load(z + 3 * uBytes + o)));
    const i = f32x4.pmin(one, f32x4.pmax(zero, yi));
    const f = f32x4.pmin(one, f32x4.pmax(zero, yf));
    const og = f32x4.pmin(one, f32x4.pmax(zero, yo));
    const g = tanh4(v128.load(z + 2 * uBytes + o));
    v128.store(gates + o, i);
    v128.store(gates + uBytes + o, f);
    v128.store(gates + 2 * uBytes + o, g);
    v128.store(gates + 3 * uBytes + o, og);
    v128.store(gd + o, v128.and(slope, v128.and(f32x4.ge(yi, zero), f32x4.le(yi, one))));
    v128.store(gd + uBytes + o, v128.and(slope, v128.and(f32x4.ge(yf, zero), f32x4.le(yf, one))));
    v128.store(gd + 2 * uBytes + o, f32x4.sub(one, f32x4.mul(g, g)));
    v128.store(gd + 3 * uBytes + o, v128.and(slope, v128.and(f32x4.ge(yo, zero), f32x4.le(yo, one))));
    const cn = f32x4.relaxed_madd(i, g, f32x4.mul(f, v128.load(c + o)));
    v128.store(cNext + o, cn);
    const th = tanh4(cn);
    v128.store(tc + o, th);
    v128.store(hNext + o, f32x4.mul(og, th));
  }
  for (; o < uBytes; o += 4) {
    const yi: f32 = <f32>0.5 + <f32>0.2 * load<f32>(z + o);
    const yf: f32 = <f32>0.5 + <f32>0.2 * load<f32>(z + uBytes + o);
    const yo: f32 = <f32>0.5 + <f32>0.2 * load<f32>(z + 3 * uBytes + o);
    const i = yi < 0 ? <f32>0 : yi > 1 ? <f32>1 : yi;
    const f = yf < 0 ? <f32>0 : yf > 1 ? <f32>1 : yf;
    const og = yo < 0 ? <f32>0 : yo > 1 ? <f32>1 : yo;
    const g = f32x4.extract_lane(tanh4(f32x4.splat(load<f32>(z + 2 * uBytes + o))), 0);
    store<f32>(gates + o, i);
    store<f32>(gates + uBytes + o, f);
    store<f32>(gates + 2 * uBytes + o, g);
    store<f32>(gates + 3 * uBytes + o, og);
    store<f32>(gd + o, yi >= 0 && yi <= 1 ? <f32>0.2 : <f32>0);
    store<f32>(gd + uBytes + o, yf >= 0 && yf <= 1 ? <f32>0.2 : <f32>0);
    store<f32>(gd + 2 * uBytes + o, <f32>1 - g * g);
    store<f32>(gd + 3 * uBytes + o, yo >= 0 && yo <= 1 ? <f32>0.2 : <f32>0);
    const cn: f32 = f * load<f32>(c + o) + i * g;
    store<f32>(cNext + o, cn);
    const th = f32x4.extract_lane(tanh4(f32x4.splat(cn)), 0);
    store<f32>(tc + o, th);
    store<f32>(hNext + o, og * th);
  }
}

/**
 * tanh of four floats to float32 accuracy (≤ 2 ulp; Cephes tanhf): x + x³·P(x²) for |x| < 0.625,
 * else 1 − 2/(e^{2|x|} + 1) with e^y = 2ⁿ·e^r (Cephes expf: n = round(y/ln 2), |r| ≤ ln2/2, degree-6
 * polynomial), the sign of x restored. |x| is clamped at 10 (tanh = 1 in float32 from 9.01).
 */
function tanh4(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const ax = f32x4.min(f32x4.abs(x), f32x4.splat(10));
  // small: x + x·z·P(z), z = x²
  const z = f32x4.mul(ax, ax);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
  // large: 1 − 2/(e^{2|x|} + 1)
  const y = f32x4.add(ax, ax);
  const n = f32x4.nearest(f32x4.mul(y, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(y, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  const r2 = f32x4.mul(r, r);
  let q = f32x4.splat(1.9875691500e-4);
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.3981999507e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(8.3334519073e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(4.1665795894e-2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.6666665459e-1));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(5.0000001201e-1));
  const er = f32x4.add(f32x4.add(f32x4.mul(q, r2), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const e = f32x4.mul(er, scale);
  const large = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  const t = v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625)));
  return v128.or(t, sign);
}

/** Whether the n floats at p are all zero (±0). */
function allZero(p: usize, n: i32): bool {
  const bytes = <usize>n << 2;
  const vecBytes = <usize>(n & ~3) << 2;
  let any = f32x4.splat(0);
  let o: usize = 0;
  // OR of the bits without the sign: zero exactly when every value is +0 or −0
  for (; o < vecBytes; o += 16) any = v128.or(any, v128.load(p + o));
  if (v128.any_true(v128.and(any, i32x4.splat(0x7fffffff)))) return false;
  for (; o < bytes; o += 4) if (load<f32>(p + o) != 0) return false;
  return true;
}

/**
 * The LSTM's whole forward pass over one sample in one call (tf.js LSTMCell, see lstm-net.ts):
 * for t < T: z = b + x_t·K + h_{t−1}·R, then lstmGates into the step's records; finally
 * logits = d + h_T·W. hs and cs hold T + 1 states (index 0: the starting state, set by the caller).
 */
export function lstmForward(
  xs: usize, K: usize, R: usize, bias: usize, W: usize, d: usize,
  hs: usize, cs: usize, gates: usize, gd: usize, tc: usize, z: usize, logits: usize,
  T: i32, F: i32, U: i32, C: i32,
): void {
  const G = 4 * U;
  const uBytes = <usize>U << 2;
  const gBytes = <usize>G << 2;
  const fBytes = <usize>F << 2;
  for (let t = 0; t < T; t++) {
    const ut = <usize>t * uBytes;
    const gt = <usize>t * gBytes;
    memory.copy(z, bias, gBytes);
    matvecAcc(K, xs + <usize>t * fBytes, z, F, G);
    // a zero starting state (every sample of the stateless LSTM, the first of a stateful epoch)
    // adds nothing through R: a quarter of the forward products skipped, the sums unchanged
    if (t > 0 || !allZero(hs, U)) matvecAcc(R, hs + ut, z, U, G);
    lstmGates(z, cs + ut, gates + gt, gd + gt, tc + ut, cs + ut + uBytes, hs + ut + uBytes, U);
  }
  memory.copy(logits, d, <usize>C << 2);
  matvecAcc(W, hs + <usize>T * uBytes, logits, U, C);
}

/**
 * The LSTM's backward pass through the window (after softmax wrote dlogits): dh_T = W·dlogits,
 * then for t = T−1 … 0 the gate gradients dz_t (i, f, c, o blocks of U) from the forward records
 * and dh_{t−1} = R·dz_t. dh and dc are U floats of scratch.
 */
export function lstmBackward(
  gates: usize, gd: usize, tc: usize, cs: usize, R: usize, W: usize, dlogits: usize,
  dz: usize, dh: usize, dc: usize, T: i32, U: i32, C: i32,
): void {
  const G = 4 * U;
  const uBytes = <usize>U << 2;
  const gBytes = <usize>G << 2;
  const vecEnd = <usize>(U & ~3) << 2;
  const one = f32x4.splat(1);
  matTvec(W, dlogits, dh, U, C);
  memory.fill(dc, 0, uBytes);
  for (let t = T - 1; t >= 0; t--) {
    const gi = gates + <usize>t * gBytes;
    const gf = gi + uBytes;
    const gg = gf + uBytes;
    const go = gg + uBytes;
    const di = gd + <usize>t * gBytes;
    const df = di + uBytes;
    const dg = df + uBytes;
    const dgo = dg + uBytes;
    const zi = dz + <usize>t * gBytes;
    const zf = zi + uBytes;
    const zg = zf + uBytes;
    const zo = zg + uBytes;
    const th = tc + <usize>t * uBytes;
    const cp = cs + <usize>t * uBytes;
    let o: usize = 0;
    for (; o < vecEnd; o += 16) {
      const tv = v128.load(th + o);
      const dhv = v128.load(dh + o);
      const dcu = f32x4.relaxed_madd(f32x4.mul(dhv, v128.load(go + o)), f32x4.sub(one, f32x4.mul(tv, tv)), v128.load(dc + o));
      v128.store(zi + o, f32x4.mul(f32x4.mul(dcu, v128.load(gg + o)), v128.load(di + o)));
      v128.store(zf + o, f32x4.mul(f32x4.mul(dcu, v128.load(cp + o)), v128.load(df + o)));
      v128.store(zg + o, f32x4.mul(f32x4.mul(dcu, v128.load(gi + o)), v128.load(dg + o)));
      v128.store(zo + o, f32x4.mul(f32x4.mul(dhv, tv), v128.load(dgo + o)));
      v128.store(dc + o, f32x4.mul(dcu, v128.load(gf + o)));
    }
    for (; o < uBytes; o += 4) {
      const tv = load<f32>(th + o);
      const dhv = load<f32>(dh + o);
      const dcu = load<f32>(dc + o) + dhv * load<f32>(go + o) * (<f32>1 - tv * tv);
      store<f32>(zi + o, dcu * load<f32>(gg + o) * load<f32>(di + o));
      store<f32>(zf + o, dcu * load<f32>(cp + o) * load<f32>(df + o));
      store<f32>(zg + o, dcu * load<f32>(gi + o) * load<f32>(dg + o));
      store<f32>(zo + o, dhv * tv * load<f32>(dgo + o));
      store<f32>(dc + o, dcu * load<f32>(gf + o));
    }
    if (t > 0) matTvec(R, zi, dh, U, G);
  }
}

/**
 * The MLP's forward pass over `rows` samples of xb (rows × I): h1 = relu(x·W1 + b1),
 * h2 = relu(h1·W2 + b2), logits = h2·W3 + b3 (row b of each at b·H, b·C).
 */
export function mlpForward(
  xb: usize, W1: usize, b1: usize, W2: usize, b2: usize, W3: usize, b3: usize,
  h1: usize, h2: usize, logits: usize, rows: i32, I: i32, H: i32, C: i32,
): void {
  const hBytes = <usize>H << 2;
  const cBytes = <usize>C << 2;
  for (let b = 0; b < rows; b++) {
    const x = xb + ((<usize>b * <usize>I) << 2);
    const a1 = h1 + <usize>b * hBytes;
    const a2 = h2 + <usize>b * hBytes;
    const l = logits + <usize>b * cBytes;
    memory.copy(a1, b1, hBytes);
    matvecAcc(W1, x, a1, I, H);
    relu(a1, H);
    memory.copy(a2, b2, hBytes);
    matvecAcc(W2, a1, a2, H, H);
    relu(a2, H);
    memory.copy(l, b3, cBytes);
    matvecAcc(W3, a2, l, H, C);
  }
}

function relu(a: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const vecEnd = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let o: usize = 0;
  for (; o < vecEnd; o += 16) {
    const v = v128.load(a + o);
    v128.store(a + o, v128.and(v, f32x4.gt(v, zero)));
  }
  for (; o < bytes; o += 4) {
    const v = load<f32>(a + o);
    store<f32>(a + o, v > 0 ? v : <f32>0);
  }
}

/** back = W·d, then out = back where act > 0, else 0 (relu's gradient), n = rows of W. */
function maskedBack(W: usize, d: usize, act: usize, out: usize, n: i32, cols: i32): void {
  matTvec(W, d, out, n, cols);
  const zero = f32x4.splat(0);
  const vecEnd = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let o: usize = 0;
  for (; o < vecEnd; o += 16) {
    v128.store(out + o, v128.and(v128.load(out + o), f32x4.gt(v128.load(act + o), zero)));
  }
  for (; o < bytes; o += 4) {
    if (!(load<f32>(act + o) > 0)) store<f32>(out + o, 0);
  }
}

/** The MLP's backward pass (after softmax wrote dlogits): dz2 = relu'(h2) ⊙ W3·dlogits, dz1 = relu'(h1) ⊙ W2·dz2, per row. */
export function mlpBackward(
  W2: usize, W3: usize, h1: usize, h2: usize, dlogits: usize, dz2: usize, dz1: usize, rows: i32, H: i32, C: i32,
): void {
  const hBytes = <usize>H << 2;
  const cBytes = <usize>C << 2;
  for (let b = 0; b < rows; b++) {
    const ho = <usize>b * hBytes;
    maskedBack(W3, dlogits + <usize>b * cBytes, h2 + ho, dz2 + ho, H, C);
    maskedBack(W2, dz2 + ho, h1 + ho, dz1 + ho, H, H);
  }
}
