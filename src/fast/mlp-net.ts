// The tutorial's multilayer perceptron as one fused forward + backward + Adam step over
// preallocated buffers:
//   h1 = relu(x·W1 + b1)   h2 = relu(h1·W2 + b2)   y = softmax(h2·W3 + b3)
// with tf.js's categorical cross-entropy (softmax.ts) averaged over the batch (10 in the tutorial).
// relu's gradient is tf.js's: 1 where the output is > 0, else 0.
// Every weight's gradient is a sum over the batch of outer products, Σ_b a_b ⊗ d_b, which the
// kernels compute fused with the Adam update (Kernels.rankAdam).

import { AdamClock } from './adam.ts';
import type { Moments } from './adam.ts';
import { jsKernels } from './kernels.ts';
import type { Kernels } from './kernels.ts';
import { argmaxAt, softmaxCrossEntropy } from './softmax.ts';

export interface MlpShape {
  /** Input features (the window). */
  readonly inputs: number;
  /** Units of both hidden layers (128). */
  readonly units: number;
  readonly classes: number;
  /** Samples per optimiser step. */
  readonly batchSize: number;
}

/** A weight whose gradient is Σ_b a[b·aStride + i] · d[b·dStride + j] over rows × cols. */
interface BatchUpdate {
  readonly a: Float32Array;
  readonly aStride: number;
  readonly d: Float32Array;
  readonly dStride: number;
  readonly rows: number;
  readonly cols: number;
}

export class MlpNet {
  readonly kind = 'mlp' as const;
  readonly shape: MlpShape;
  readonly batchSize: number;
  readonly clock: AdamClock;
  readonly kernels: Kernels;
  // tf.js's order: dense_1 kernel, bias, dense_2 kernel, bias, dense_3 kernel, bias.
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
  readonly w3: Float32Array;
  readonly b3: Float32Array;
  readonly weights: readonly Float32Array[];
  readonly moments: readonly Moments[];
  /** After trainBatch: [sum of the batch's sample losses, correct predictions]. */
  readonly stats = new Float64Array(2);

  private readonly xb: Float32Array; // [B, I] the batch's inputs
  private readonly h1: Float32Array; // [B, H]
  private readonly h2: Float32Array; // [B, H]
  private readonly logits: Float32Array; // [B, C]
  private readonly dlogits: Float32Array; // [B, C]
  private readonly dz2: Float32Array; // [B, H]
  private readonly dz1: Float32Array; // [B, H]
  private readonly ones: Float32Array; // [B]
  readonly probs: Float32Array; // [B, C]
  private readonly losses: Float64Array; // [B]
  private readonly updates: readonly BatchUpdate[];
  private rows = 0;

  constructor(shape: MlpShape, clock = new AdamClock(), kernels: Kernels = jsKernels()) {
    this.shape = shape;
    this.batchSize = shape.batchSize;
    this.clock = clock;
    this.kernels = kernels;
    const { inputs: I, units: H, classes: C, batchSize: B } = shape;
    const weightSizes = [I * H, H, H * H, H, H * C, C];
    const buffers = kernels.alloc([
      ...weightSizes,
      ...weightSizes.flatMap((n) => [n, n]),
      B * I, // xb
      B * H, // h1
      B * H, // h2
      B * C, // logits
      B * C, // dlogits
      B * H, // dz2
      B * H, // dz1
      B, // ones
    ]);
    let next = 0;
    const take = (): Float32Array => buffers[next++] as Float32Array;
    this.w1 = take();
    this.b1 = take();
    this.w2 = take();
    this.b2 = take();
    this.w3 = take();
    this.b3 = take();
    this.weights = [this.w1, this.b1, this.w2, this.b2, this.w3, this.b3];
    this.moments = this.weights.map(() => ({ m: take(), v: take() }));
    this.xb = take();
    this.h1 = take();
    this.h2 = take();
    this.logits = take();
    this.dlogits = take();
    this.dz2 = take();
    this.dz1 = take();
    this.ones = take().fill(1);
    this.probs = new Float32Array(B * C);
    this.losses = new Float64Array(B);
    const { xb, h1, h2, dz1, dz2, dlogits, ones } = this;
    this.updates = [
      { a: xb, aStride: I, d: dz1, dStride: H, rows: I, cols: H },
      { a: ones, aStride: 1, d: dz1, dStride: H, rows: 1, cols: H },
      { a: h1, aStride: H, d: dz2, dStride: H, rows: H, cols: H },
      { a: ones, aStride: 1, d: dz2, dStride: H, rows: 1, cols: H },
      { a: h2, aStride: H, d: dlogits, dStride: C, rows: H, cols: C },
      { a: ones, aStride: 1, d: dlogits, dStride: C, rows: 1, cols: C },
    ];
  }

  resetState(): void {}

  /** Forward pass over `rows` samples already copied into xb. */
  private forward(rows: number): void {
    const { inputs: I, units: H, classes: C } = this.shape;
    const { xb, h1, h2, w1, b1, w2, b2, w3, b3, logits } = this;
    this.kernels.mlpForward(xb, w1, b1, w2, b2, w3, b3, h1, h2, logits, rows, I, H, C);
  }

  private gather(x: Float32Array, order: ArrayLike<number>, from: number, rows: number): void {
    const I = this.shape.inputs;
    for (let b = 0; b < rows; b++) {
      const s = order[from + b] as number;
      for (let f = 0; f < I; f++) this.xb[b * I + f] = x[s * I + f] as number;
    }
  }

  /** Loss sum and correct count into stats; dlogits, dz2, dz1 for the batch (weights not yet updated). */
  private backward(targets: Int32Array, order: ArrayLike<number>, from: number, rows: number): void {
    const { units: H, classes: C } = this.shape;
    const { h1, h2, dz1, dz2, dlogits, probs, losses, kernels } = this;
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < rows; b++) {
      const target = targets[order[from + b] as number] as number;
      softmaxCrossEntropy(this.logits, b * C, C, target, rows, probs, b * C, dlogits, b * C, losses, b);
      lossSum += losses[b] as number;
      if (argmaxAt(probs, b * C, C) === target) correct++;
    }
    this.stats[0] = lossSum;
    this.stats[1] = correct;
    kernels.mlpBackward(this.w2, this.w3, h1, h2, dlogits, dz2, dz1, rows, H, C);
  }

  /** Forward + backward of samples order[from … from + B); returns the number of rows. */
  private pass(x: Float32Array, targets: Int32Array, order: ArrayLike<number>, from: number): number {
    const rows = Math.min(this.batchSize, order.length - from);
    this.rows = rows;
    this.gather(x, order, from, rows);
    this.forward(rows);
    this.backward(targets, order, from, rows);
    return rows;
  }

  /** One optimiser step on samples order[from … from + B); loss sum and correct count in `stats`. */
  trainBatch(x: Float32Array, targets: Int32Array, order: ArrayLike<number>, from: number): void {
    const rows = this.pass(x, targets, order, from);
    const { updates, weights, moments, kernels, clock } = this;
    clock.begin();
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i] as BatchUpdate;
      const mo = moments[i] as Moments;
      kernels.rankAdam(weights[i] as Float32Array, mo.m, mo.v, u.a, u.aStride, u.d, u.dStride, rows, u.rows, u.cols, clock);
    }
    clock.end();
  }

  /** Mean loss and gradients of a batch without updating (tests), in tf.js's weight order. */
  gradients(x: Float32Array, targets: Int32Array, order: ArrayLike<number>, from: number, grads: readonly Float32Array[]): number {
    const rows = this.pass(x, targets, order, from);
    this.updates.forEach((u, i) => {
      this.kernels.rankGrad(grads[i] as Float32Array, u.a, u.aStride, u.d, u.dStride, rows, u.rows, u.cols);
    });
    return (this.stats[0] as number) / this.rows;
  }

  /** Probabilities for one window x[xo … xo + I). */
  predict(x: Float32Array, xo: number, out: Float32Array): void {
    const { inputs: I, classes: C } = this.shape;
    for (let f = 0; f < I; f++) this.xb[f] = x[xo + f] as number;
    this.forward(1);
    softmaxCrossEntropy(this.logits, 0, C, 0, 0, out, 0, this.dlogits, 0, this.losses, 0);
  }
}
