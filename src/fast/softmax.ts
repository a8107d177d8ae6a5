// Softmax output + categorical cross-entropy, forward and backward, as tf.js computes them.
//
// tfjs-layers' categoricalCrossentropy (fromLogits false) is
//   p' = p / Σp;  p'' = clip(p', ε, 1 − ε) with ε = 1e-7;  loss = −Σ t·log p''
// and the layer's mean over the batch. Autodiff therefore gives, for a one-hot target k and the
// batch scale s = 1/B:
//   ∂/∂p''_k = −s / p''_k, passed by clip only when ε ≤ p'_k ≤ 1 − ε (tf.js's ClipByValue gradient,
//   inclusive bounds), else 0 — a fully confident sample contributes no gradient at all;
//   through p' = p / S:  ∂p_j = [j = k]·g/S − g·p_k/S²
//   through softmax (tf.js's Softmax gradient):  ∂z_j = p_j·(∂p_j − Σ_m ∂p_m·p_m)
// which is p − onehot when nothing is clipped, but not when it is. Probabilities are rounded to
// float32 as tf.js holds them, so the clip decision is the same as tf.js's.

const f32 = Math.fround;
const EPS = f32(1e-7);
const ONE_MINUS_EPS = f32(1 - 1e-7);

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
  let max = -Infinity;
  for (let j = 0; j < classes; j++) {
    const v = z[zo + j] as number;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let j = 0; j < classes; j++) {
    const e = Math.exp((z[zo + j] as number) - max);
    p[po + j] = e;
    sum += e;
  }
  let total = 0;
  for (let j = 0; j < classes; j++) {
    const pj = f32((p[po + j] as number) / sum);
    p[po + j] = pj;
    total += pj;
  }
  const S = f32(total);
  const pk = p[po + target] as number;
  const pn = f32(pk / S);
  const clipped = pn < EPS ? EPS : pn > ONE_MINUS_EPS ? ONE_MINUS_EPS : pn;
  loss[lo] = -Math.log(clipped);
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
