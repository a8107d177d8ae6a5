// The tutorial's LSTM models (lstm, stateful, stateful-2f) as one fused forward + backward + Adam
// step over preallocated Float32Array buffers — no tensors, no allocation per step.
//
// Model (tf.js/Keras-2 LSTMCell, implementation 2, gate order i, f, c, o):
//   z_t = x_t·K + h_{t−1}·R + b                          K: [F, 4U], R: [U, 4U], b: [4U]
//   i = σh(z_i)  f = σh(z_f)  g = tanh(z_c)  o = σh(z_o)   σh(x) = clip(0.2·x + 0.5, 0, 1)
//   c_t = f·c_{t−1} + i·g    h_t = o·tanh(c_t)
//   y = softmax(h_T·W + d)                                 W: [U, C], d: [C]
// Loss: tf.js's categorical cross-entropy (see softmax.ts), mean over the batch (batch 1 here).
//
// Backpropagation runs through the window's T steps only. The starting state (h_{−1}, c_{−1}) is
// zero for the stateless model and, for stateful models, the state the previous sample ended in —
// a constant input, exactly as in tf.js where RNN.states_ are plain tensors outside the gradient
// tape: it contributes h_{−1} ⊗ dz_0 to R's gradient but receives no gradient itself.
//
// σh's gradient is tf.js's: 0.2 where 0 ≤ 0.2·x + 0.5 ≤ 1 (ClipByValue passes at the bounds), else 0.

import { AdamClock } from './adam.ts';
import type { Moments } from './adam.ts';
import { jsKernels } from './kernels.ts';
import type { Kernels } from './kernels.ts';
import { argmaxAt, softmaxCrossEntropy } from './softmax.ts';

/** A weight whose gradient is Σ_{t<terms} a[t·aStride + i] · d[t·dStride + j] over rows × cols. */
export interface RankUpdate {
  readonly a: Float32Array;
  readonly aStride: number;
  readonly d: Float32Array;
  readonly dStride: number;
  readonly terms: number;
  readonly rows: number;
  readonly cols: number;
}

export interface LstmShape {
  /** Time steps per sample (the window). */
  readonly window: number;
  /** Input features per step (1, or 2 for stateful-2f). */
  readonly features: number;
  /** LSTM units (128). */
  readonly units: number;
  /** Output classes. */
  readonly classes: number;
  /** Whether the state carries from sample to sample (reset by `resetState`). */
  readonly stateful: boolean;
}

export class LstmNet {
  readonly kind = 'lstm' as const;
  readonly shape: LstmShape;
  readonly batchSize = 1;
  readonly clock: AdamClock;
  readonly kernels: Kernels;
  // Weights in tf.js's order: lstm kernel, recurrent kernel, bias, dense kernel, dense bias.
  readonly kernel: Float32Array;
  readonly recurrent: Float32Array;
  readonly bias: Float32Array;
  readonly dense: Float32Array;
  readonly denseBias: Float32Array;
  readonly weights: readonly Float32Array[];
  readonly moments: readonly Moments[];
  /** After trainBatch: [sum of the batch's sample losses, correct predictions]. */
  readonly stats = new Float64Array(2);

  // Forward record: hs/cs hold T + 1 states (index 0 = the starting state), gates the activated
  // i, f, g, o of every step, gd their derivative factors (σh' or 1 − g²), tc tanh(c_t).
  private readonly hs: Float32Array;
  private readonly cs: Float32Array;
  private readonly gates: Float32Array;
  private readonly gd: Float32Array;
  private readonly tc: Float32Array;
  private readonly z: Float32Array;
  private readonly logits: Float32Array;
  readonly probs: Float32Array;
  // Backward scratch.
  private readonly dz: Float32Array;
  private readonly dlogits: Float32Array;
  // The current sample's inputs [T, F], T ones (for the bias gradients), h_T as a view of hs.
  private readonly xs: Float32Array;
  private readonly ones: Float32Array;
  private readonly hT: Float32Array;
  /** Every weight's gradient as a rank-T product a_tᵀ·d_t (see Kernels.rankAdam), tf.js's order. */
  private readonly updates: readonly RankUpdate[];
  /**
   * The recurrent kernel's update without the t = 0 term, for a sample that starts from a zero
   * state (h_0 = 0 makes that term zero): the same gradient, one product fewer.
   */
  private readonly recurrentFromStep1: RankUpdate;
  /** Whether the current sample started from h_0 = 0 (set by `forward`). */
  private startedFromZero = true;
  private readonly dh: Float32Array;
  private readonly dc: Float32Array;
  // The carried state (stateful) — h_T, c_T of the last sample.
  readonly h: Float32Array;
  readonly c: Float32Array;

  constructor(shape: LstmShape, clock = new AdamClock(), kernels: Kernels = jsKernels()) {
    this.shape = shape;
    this.clock = clock;
    this.kernels = kernels;
    const { window: T, features: F, units: U, classes: C } = shape;
    const G = 4 * U;
    const weightSizes = [F * G, U * G, G, U * C, C];
    // Every buffer the kernels touch comes from the kernels' memory (wasm: the instance's memory).
    const buffers = kernels.alloc([
      ...weightSizes,
      ...weightSizes.flatMap((n) => [n, n]),
      (T + 1) * U, // hs
      (T + 1) * U, // cs
      T * G, // gates
      T * G, // gd
      T * U, // tc
      G, // z
      T * G, // dz
      U, // h
      U, // c
      C, // dlogits
      T * F, // xs
      T, // ones
      C, // logits
      U, // dh
      U, // dc
    ]);
    let next = 0;
    const take = (): Float32Array => buffers[next++] as Float32Array;
    this.kernel = take();
    this.recurrent = take();
    this.bias = take();
    this.dense = take();
    this.denseBias = take();
    this.weights = [this.kernel, this.recurrent, this.bias, this.dense, this.denseBias];
    this.moments = this.weights.map(() => ({ m: take(), v: take() }));
    this.hs = take();
    this.cs = take();
    this.gates = take();
    this.gd = take();
    this.tc = take();
    this.z = take();
    this.dz = take();
    this.h = take();
    this.c = take();
    this.dlogits = take();
    this.xs = take();
    this.ones = take().fill(1);
    this.logits = take();
    this.dh = take();
    this.dc = take();
    this.hT = this.hs.subarray(T * U, (T + 1) * U);
    this.probs = new Float32Array(C);
    // kernel: Σ_t x_t ⊗ dz_t; recurrent: Σ_t h_{t−1} ⊗ dz_t; bias: Σ_t dz_t; dense: h_T ⊗ dlogits; its bias: dlogits.
    this.updates = [
      { a: this.xs, aStride: F, d: this.dz, dStride: G, terms: T, rows: F, cols: G },
      { a: this.hs, aStride: U, d: this.dz, dStride: G, terms: T, rows: U, cols: G },
      { a: this.ones, aStride: 1, d: this.dz, dStride: G, terms: T, rows: 1, cols: G },
      { a: this.hT, aStride: U, d: this.dlogits, dStride: C, terms: 1, rows: U, cols: C },
      { a: this.ones, aStride: 1, d: this.dlogits, dStride: C, terms: 1, rows: 1, cols: C },
    ];
    this.recurrentFromStep1 =
      T > 1
        ? { a: this.hs.subarray(U), aStride: U, d: this.dz.subarray(G), dStride: G, terms: T - 1, rows: U, cols: G }
        : (this.updates[1] as RankUpdate);
  }

  /** The i-th weight's update for the current sample (see recurrentFromStep1). */
  private update(i: number): RankUpdate {
    return i === 1 && this.startedFromZero ? this.recurrentFromStep1 : (this.updates[i] as RankUpdate);
  }

  /** Zero state (Keras reset_states); a no-op in effect for the stateless model. */
  resetState(): void {
    this.h.fill(0);
    this.c.fill(0);
  }

  /** Sets the carried state (tests: to start from a given tf.js state). */
  setState(h: ArrayLike<number>, c: ArrayLike<number>): void {
    this.h.set(h);
    this.c.set(c);
  }

  /**
   * Forward pass over one sample x[xo … xo + T·F); leaves probabilities in `probs` and, for
   * stateful models, the new state in h, c.
   */
  forward(x: Float32Array, xo: number): void {
    const { window: T, features: F, units: U, classes: C, stateful } = this.shape;
    const { hs, cs, gates, gd, tc, z, kernel, recurrent: R, bias, xs } = this;
    for (let k = 0; k < T * F; k++) xs[k] = x[xo + k] as number;
    if (stateful) {
      const { h, c } = this;
      let zero = true;
      for (let u = 0; u < U; u++) {
        const hu = h[u] as number;
        if (hu !== 0) zero = false;
        hs[u] = hu;
        cs[u] = c[u] as number;
      }
      this.startedFromZero = zero;
    } else {
      hs.fill(0, 0, U);
      cs.fill(0, 0, U);
      this.startedFromZero = true;
    }
    const { dense: W, denseBias: d, logits } = this;
    this.kernels.lstmForward(xs, kernel, R, bias, W, d, hs, cs, gates, gd, tc, z, logits, T, F, U, C);
    const hT = T * U;
    if (stateful) {
      // (element loops: subarray() would allocate a view per step)
      const { h, c } = this;
      for (let u = 0; u < U; u++) {
        h[u] = hs[hT + u] as number;
        c[u] = cs[hT + u] as number;
      }
    }
  }

  /** Probabilities for one window (prediction; state carries for stateful models). */
  predict(x: Float32Array, xo: number, out: Float32Array): void {
    this.forward(x, xo);
    softmaxCrossEntropy(this.logits, 0, this.shape.classes, 0, 0, out, 0, this.dlogits, 0, this.stats, 0);
  }

  /**
   * Loss, dlogits and dz of every step for one sample (after `forward`); returns the loss.
   * Uses the weights before they are updated.
   */
  private backward(target: number): void {
    const { window: T, units: U, classes: C } = this.shape;
    const { cs, gates, gd, tc, dz, dh, dc, dlogits, probs, dense: W, recurrent: R } = this;
    softmaxCrossEntropy(this.logits, 0, C, target, 1, probs, 0, dlogits, 0, this.stats, 0);
    this.stats[1] = argmaxAt(probs, 0, C) === target ? 1 : 0;
    this.kernels.lstmBackward(gates, gd, tc, cs, R, W, dlogits, dz, dh, dc, T, U, C);
  }

  /**
   * One optimiser step on sample `sample` of x (T·F values per sample) with its target class.
   * Leaves the loss (before the update) and whether it was predicted right in `stats`.
   */
  trainSample(x: Float32Array, sample: number, target: number): void {
    const { window: T, features: F } = this.shape;
    const xo = sample * T * F;
    this.forward(x, xo);
    this.backward(target);
    const clock = this.clock;
    clock.begin();
    const { updates, weights, moments, kernels } = this;
    for (let i = 0; i < updates.length; i++) {
      const u = this.update(i);
      const mo = moments[i] as Moments;
      kernels.rankAdam(weights[i] as Float32Array, mo.m, mo.v, u.a, u.aStride, u.d, u.dStride, u.terms, u.rows, u.cols, clock);
    }
    clock.end();
  }

  /** Batch interface shared with MlpNet: one step on samples order[from] (batch 1). */
  trainBatch(x: Float32Array, targets: Int32Array, order: ArrayLike<number>, from: number): void {
    const sample = order[from] as number;
    this.trainSample(x, sample, targets[sample] as number);
  }

  /**
   * Loss and gradients for one sample without updating anything but the carried state (tests):
   * grads in tf.js's weight order.
   */
  gradients(x: Float32Array, sample: number, target: number, grads: readonly Float32Array[]): number {
    const { window: T, features: F } = this.shape;
    const xo = sample * T * F;
    this.forward(x, xo);
    this.backward(target);
    this.updates.forEach((_, i) => {
      const u = this.update(i);
      this.kernels.rankGrad(grads[i] as Float32Array, u.a, u.aStride, u.d, u.dStride, u.terms, u.rows, u.cols);
    });
    return this.stats[0] as number;
  }
}
