// Softmax output + categorical cross-entropy, forward and backward, as tf.js computes them on its
// wasm backend (the reference engine's default).
//
// The softmax is XNNPACK's f32 softmax, which tf.js's wasm backend runs, reproduced operation by
// operation in float32 (a test checks it bit for bit against tf.softmax on thousands of rows):
//   e_j = exp(z_j − max) by XNNPACK's "rr2_p5" polynomial (not Math.exp); their sum in one 4-lane
//   accumulator over blocks of four, reduced as (l0 + l2) + (l1 + l3), then the leftover 1–3 values
//   one at a time; p_j = e_j · (1 / sum).
// This matters more than its size suggests. Near a confident prediction the other classes' e_j are
// ~1e-8 each: added one by one in float32 to 1 they vanish, so p_k rounds to exactly 1 and the
// cross-entropy's clip (below) stops the gradient, where a double-precision softmax gives
// 0.99999982 and a tiny gradient that Adam's normalisation blows up into a full-size step. That
// decides how often a long stateful run leaves its loss floor and spikes (docs/benchmarks.md).
//
// tfjs-layers' categoricalCrossentropy (fromLogits false) is
//   p' = p / Σp (a float32 sum in order);  p'' = clip(p', ε, 1 − ε) with ε = 1e-7;  loss = −Σ t·log p''
// and the layer's mean over the batch. Autodiff therefore gives, for a one-hot target k and the
// batch scale s = 1/B:
//   ∂/∂p''_k = −s / p''_k, passed by clip only when ε ≤ p'_k ≤ 1 − ε (tf.js's ClipByValue gradient,
//   inclusive bounds), else 0 — a fully confident sample contributes no gradient at all;
//   through p' = p / S:  ∂p_j = [j = k]·g/S − g·p_k/S²
//   through softmax (tf.js's Softmax gradient):  ∂z_j = p_j·(∂p_j − Σ_m ∂p_m·p_m)
// which is p − onehot when nothing is clipped, but not when it is. The gradient itself is computed
// in double precision: its rounding only nudges values, while the clip decision above is discrete.

const f32 = Math.fround;
const EPS = f32(1e-7);
const ONE_MINUS_EPS = f32(1 - 1e-7);

// XNNPACK's f32 exp(x) for x ≤ 0 (src/f32-raddstoreexpminusmax/wasmsimd-rr2-p5.c.in): x = n·ln2 + t
// with ln2 split in two (rr2), 2^n built in the exponent bits, a degree-5 polynomial in t (p5).
const MAGIC_BIAS = f32(12583039.0 /* 0x1.8000fep23 */);
const LOG2E = f32(1.4426950216293335 /* 0x1.715476p0 */);
const MINUS_LN2_HI = f32(-0.693145751953125 /* -0x1.62e4p-1 */);
const MINUS_LN2_LO = f32(-1.428606765330187e-06 /* -0x1.7f7d1cp-20 */);
const C5 = f32(0.008289290592074394 /* 0x1.0f9f9cp-7 */);
const C4 = f32(0.04189782217144966 /* 0x1.573a1ap-5 */);
const C3 = f32(0.16667652130126953 /* 0x1.555a8p-3 */);
const C2 = f32(0.4999915063381195 /* 0x1.fffdc6p-2 */);
const C1 = f32(0.9999997019767761 /* 0x1.fffff6p-1 */);
/** Below this x, exp(x) is subnormal and XNNPACK returns 0. */
const DENORM_CUTOFF = f32(-87.33654022216797 /* -0x1.5d589ep6 */);
// One float's bits (module-level: no allocation per call).
const expFloat = new Float32Array(1);
const expBits = new Uint32Array(expFloat.buffer);

/**
 * p[from … to) ← exp(p[…]) for values ≤ 0, exactly as XNNPACK's wasm SIMD kernel computes it
 * (separate float32 multiplies and adds). In place over an array, with integer arguments only: a
 * function taking or returning a double boxes it whenever V8 does not inline the call.
 */
function expInPlace(p: Float32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const x = p[i] as number;
    let n = f32(f32(x * LOG2E) + MAGIC_BIAS);
    expFloat[0] = n;
    expBits[0] = ((expBits[0] as number) << 23) >>> 0;
    const scale = expFloat[0] as number;
    n = f32(n - MAGIC_BIAS);
    let t = f32(f32(n * MINUS_LN2_HI) + x);
    t = f32(f32(n * MINUS_LN2_LO) + t);
    let q = f32(f32(C5 * t) + C4);
    q = f32(f32(q * t) + C3);
    q = f32(f32(q * t) + C2);
    q = f32(f32(q * t) + C1);
    t = f32(t * scale);
    p[i] = x < DENORM_CUTOFF ? 0 : f32(f32(t * q) + scale);
  }
}

const one = new Float32Array(1);
/** XNNPACK's exp(x) for one x ≤ 0 (tests; the softmax uses expInPlace). */
export function xnnExp(x: number): number {
  one[0] = x;
  expInPlace(one, 0, 1);
  return one[0] as number;
}

/** tf.softmax on the wasm backend: z[zo … zo+C) → p[po …), bit for bit (see the top of this file). */
export function xnnSoftmax(z: Float32Array | Float64Array, zo: number, classes: number, p: Float32Array, po: number): void {
  let max = -Infinity;
  for (let j = 0; j < classes; j++) {
    const v = z[zo + j] as number;
    if (v > max) max = v;
  }
  for (let j = 0; j < classes; j++) p[po + j] = (z[zo + j] as number) - max;
  expInPlace(p, po, po + classes);
  // one 4-lane accumulator over whole blocks of four, (l0 + l2) + (l1 + l3), then the rest in order
  let l0 = 0;
  let l1 = 0;
  let l2 = 0;
  let l3 = 0;
  let j = 0;
  for (; j + 4 <= classes; j += 4) {
    l0 = f32(l0 + (p[po + j] as number));
    l1 = f32(l1 + (p[po + j + 1] as number));
    l2 = f32(l2 + (p[po + j + 2] as number));
    l3 = f32(l3 + (p[po + j + 3] as number));
  }
  let sum = f32(f32(l0 + l2) + f32(l1 + l3));
  for (; j < classes; j++) sum = f32(sum + (p[po + j] as number));
  const scale = f32(1 / sum);
  for (let k = 0; k < classes; k++) p[po + k] = f32((p[po + k] as number) * scale);
}

/**
 * Forward and backward for one sample: logits z[zo … zo+C) → probabilities into p[po …),
 * gradient w.r.t. the logits into dz[dzo …) for a loss averaged over `batch` samples (0: no
 * gradient, prediction only), the sample's loss (−log p''_k) into loss[lo]. Integer arguments and
 * no return value, so that a call that is not inlined boxes no doubles (no allocation per step).
 */
export function softmaxCrossEntropy(
  z: Float32Array | Float64Array,
  zo: number,
  classes: number,
  target: number,
  batch: number,
  p: Float32Array,
  po: number,
  dz: Float32Array | Float64Array,
  dzo: number,
  loss: Float64Array,
  lo: number,
): void {
  xnnSoftmax(z, zo, classes, p, po);
  // tf.sum over the classes, in order, in float32
  let total = 0;
  for (let j = 0; j < classes; j++) total = f32(total + (p[po + j] as number));
  const S = total;
  const pk = p[po + target] as number;
  const pn = f32(pk / S);
  const clipped = pn < EPS ? EPS : pn > ONE_MINUS_EPS ? ONE_MINUS_EPS : pn;
  loss[lo] = -f32(Math.log(clipped));
  const g = batch > 0 && pn >= EPS && pn <= ONE_MINUS_EPS ? -1 / batch / clipped : 0;
  if (g === 0) {
    for (let j = 0; j < classes; j++) dz[dzo + j] = 0;
    return;
  }
  // ∂p_j = [j = k]·g/S + dS with dS = −g·p_k/S²; then the softmax gradient.
  const dS = (-g * pk) / (S * S);
  const dk = g / S + dS;
  let dot = 0;
  for (let j = 0; j < classes; j++) dot += (j === target ? dk : dS) * (p[po + j] as number);
  for (let j = 0; j < classes; j++) {
    const pj = p[po + j] as number;
    dz[dzo + j] = pj * ((j === target ? dk : dS) - dot);
  }
}

/** Index of the largest value (the first on ties, as tf.js's argMax). */
export function argmaxAt(values: Float32Array | Float64Array, off: number, n: number): number {
  let best = 0;
  let bestValue = values[off] as number;
  for (let j = 1; j < n; j++) {
    const v = values[off + j] as number;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}
