/* eslint-disable -- AssemblyScript (0.28, built with --enable simd by build.ts), not Node TypeScript */
// @ts-nocheck
//
// The fast engine's hot loops as WebAssembly SIMD (f32x4): the recurrent/hidden matrix-vector
// products of the forward and backward passes and the fused "rank-T gradient + Adam" update of a
// weight matrix. Everything else (gates, softmax, the small weights) stays in TypeScript.
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
      s = f32x4.add(s, f32x4.mul(a0, v128.load(r0 + o)));
      t = f32x4.add(t, f32x4.mul(a0, v128.load(r0 + o + 16)));
      s = f32x4.add(s, f32x4.mul(a1, v128.load(r1 + o)));
      t = f32x4.add(t, f32x4.mul(a1, v128.load(r1 + o + 16)));
      s = f32x4.add(s, f32x4.mul(a2, v128.load(r2 + o)));
      t = f32x4.add(t, f32x4.mul(a2, v128.load(r2 + o + 16)));
      s = f32x4.add(s, f32x4.mul(a3, v128.load(r3 + o)));
      t = f32x4.add(t, f32x4.mul(a3, v128.load(r3 + o + 16)));
      v128.store(z + o, s);
      v128.store(z + o + 16, t);
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
      v128.store(z + o, f32x4.add(v128.load(z + o), f32x4.mul(a, v128.load(r + o))));
      v128.store(z + o + 16, f32x4.add(v128.load(z + o + 16), f32x4.mul(a, v128.load(r + o + 16))));
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
  for (let i = 0; i < rows; i++) {
    const r = W + <usize>i * rowBytes;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    let j = 0;
    for (; j < vecEnd; j += 16) {
      const o = <usize>j << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(r + o), v128.load(d + o)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(r + o + 16), v128.load(d + o + 16)));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(r + o + 32), v128.load(d + o + 32)));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(r + o + 48), v128.load(d + o + 48)));
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
 * Gradient row i of W: g[j] = Σ_t a[t·aStride + i] · d[t·dStride + j]  (t < T) — the gradient of
 * Σ_t a_t·W summed over T samples or time steps — written into `grad` when `update` is 0, else
 * applied to W with tf.js's Adam (m, v are W's moments). `params` points to Adam's eight float32
 * scalars β1, 1 − β1, β2, 1 − β2, c1 = 1/(1 − β1ᵗ), c2 = 1/(1 − β2ᵗ), lr, ε (in memory, so that
 * no float crosses the JS boundary as an argument — a boxed number per call otherwise).
 * `scratch` holds one gradient row (4·cols bytes, 16-byte aligned).
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
  const rowBytes = <usize>cols << 2;
  const aStrideBytes = <usize>aStride << 2;
  const dStrideBytes = <usize>dStride << 2;
  const vecEnd = cols & ~3;
  const vb1 = f32x4.splat(b1);
  const vb1c = f32x4.splat(b1c);
  const vb2 = f32x4.splat(b2);
  const vb2c = f32x4.splat(b2c);
  const vc1 = f32x4.splat(c1);
  const vc2 = f32x4.splat(c2);
  const vlr = f32x4.splat(lr);
  const veps = f32x4.splat(eps);
  const vtiny = f32x4.splat(FLT_MIN);
  for (let i = 0; i < rows; i++) {
    // g = Σ_t a[t, i] · d[t, ·], four terms at a time (the shape of matvecAcc).
    memory.fill(scratch, 0, rowBytes);
    const ai = a + (<usize>i << 2);
    let t = 0;
    for (; t + 3 < T; t += 4) {
      const at = ai + <usize>t * aStrideBytes;
      const c0 = f32x4.splat(load<f32>(at));
      const c1v = f32x4.splat(load<f32>(at + aStrideBytes));
      const c2v = f32x4.splat(load<f32>(at + 2 * aStrideBytes));
      const c3 = f32x4.splat(load<f32>(at + 3 * aStrideBytes));
      const d0 = d + <usize>t * dStrideBytes;
      const d1 = d0 + dStrideBytes;
      const d2 = d1 + dStrideBytes;
      const d3 = d2 + dStrideBytes;
      let j = 0;
      for (; j < vecEnd; j += 4) {
        const o = <usize>j << 2;
        let g = v128.load(scratch + o);
        g = f32x4.add(g, f32x4.mul(c0, v128.load(d0 + o)));
        g = f32x4.add(g, f32x4.mul(c1v, v128.load(d1 + o)));
        g = f32x4.add(g, f32x4.mul(c2v, v128.load(d2 + o)));
        g = f32x4.add(g, f32x4.mul(c3, v128.load(d3 + o)));
        v128.store(scratch + o, g);
      }
      for (; j < cols; j++) {
        const o = <usize>j << 2;
        store<f32>(scratch + o, load<f32>(scratch + o)
          + f32x4.extract_lane(c0, 0) * load<f32>(d0 + o) + f32x4.extract_lane(c1v, 0) * load<f32>(d1 + o)
          + f32x4.extract_lane(c2v, 0) * load<f32>(d2 + o) + f32x4.extract_lane(c3, 0) * load<f32>(d3 + o));
      }
    }
    for (; t < T; t++) {
      const cs = load<f32>(ai + <usize>t * aStrideBytes);
      const c = f32x4.splat(cs);
      const dt = d + <usize>t * dStrideBytes;
      let j = 0;
      for (; j < vecEnd; j += 4) {
        const o = <usize>j << 2;
        v128.store(scratch + o, f32x4.add(v128.load(scratch + o), f32x4.mul(c, v128.load(dt + o))));
      }
      for (; j < cols; j++) {
        const o = <usize>j << 2;
        store<f32>(scratch + o, load<f32>(scratch + o) + cs * load<f32>(dt + o));
      }
    }
    const ro = <usize>i * rowBytes;
    if (update == 0) {
      memory.copy(grad + ro, scratch, rowBytes);
      continue;
    }
    let j = 0;
    for (; j < vecEnd; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(scratch + o);
      const m = f32x4.add(f32x4.mul(vb1, v128.load(M + ro + o)), f32x4.mul(vb1c, g));
      const v = f32x4.add(f32x4.mul(vb2, v128.load(V + ro + o)), f32x4.mul(vb2c, f32x4.mul(g, g)));
      // moments flushed to zero below FLT_MIN (see FLT_MIN)
      v128.store(M + ro + o, v128.andnot(m, f32x4.lt(f32x4.abs(m), vtiny)));
      v128.store(V + ro + o, v128.andnot(v, f32x4.lt(v, vtiny)));
      const step = f32x4.div(f32x4.mul(vlr, f32x4.mul(m, vc1)), f32x4.add(f32x4.sqrt(f32x4.mul(v, vc2)), veps));
      v128.store(W + ro + o, f32x4.sub(v128.load(W + ro + o), step));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const g = load<f32>(scratch + o);
      const m = b1 * load<f32>(M + ro + o) + b1c * g;
      const v = b2 * load<f32>(V + ro + o) + b2c * g * g;
      store<f32>(M + ro + o, Mathf.abs(m) < FLT_MIN ? <f32>0 : m);
      store<f32>(V + ro + o, v < FLT_MIN ? <f32>0 : v);
      store<f32>(W + ro + o, load<f32>(W + ro + o) - (lr * (m * c1)) / (Mathf.sqrt(v * c2) + eps));
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
  for (let u = 0; u < U; u++) {
    const o = <usize>u << 2;
    const yi: f32 = <f32>0.5 + <f32>0.2 * load<f32>(z + o);
    const yf: f32 = <f32>0.5 + <f32>0.2 * load<f32>(z + uBytes + o);
    const yo: f32 = <f32>0.5 + <f32>0.2 * load<f32>(z + 3 * uBytes + o);
    const i = yi < 0 ? <f32>0 : yi > 1 ? <f32>1 : yi;
    const f = yf < 0 ? <f32>0 : yf > 1 ? <f32>1 : yf;
    const og = yo < 0 ? <f32>0 : yo > 1 ? <f32>1 : yo;
    const g = Mathf.tanh(load<f32>(z + 2 * uBytes + o));
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
    const th = Mathf.tanh(cn);
    store<f32>(tc + o, th);
    store<f32>(hNext + o, og * th);
  }
}
