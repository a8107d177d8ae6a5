// Adam exactly as tf.js's AdamOptimizer.applyGradients computes it (tfjs-core 4.22,
// optimizers/adam_optimizer.js); the update itself is fused with the gradient in the kernels
// (Kernels.rankAdam):
//
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   w ← w − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
//
// i.e. bias correction applied to both moments and ε added to the square root of the *corrected*
// second moment (not Keras-2's lr_t form). tf.js keeps β1ᵗ and β2ᵗ as float32 variables that start
// at β1, β2 and are multiplied by β after every step; `AdamClock` does the same in float32
// (Math.fround), so the correction factors match tf.js's to the bit.

export interface AdamConfig {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * models/common.ts's ADAM (Keras 2.0's defaults, as the tutorial compiles with). Repeated here so
 * that the fast nets do not load tf.js; test/fast/gradients.test.ts checks that the two agree.
 */
export const TFJS_ADAM: AdamConfig = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

const f32 = Math.fround;

/** The per-step scalars of Adam (tf.js's accBeta1/accBeta2 and the iteration count). */
export class AdamClock {
  readonly config: AdamConfig;
  /** tf.js's `iterations`: steps taken so far. */
  iterations = 0;
  // Mutable number fields are initialised with a non-integer double where they are declared, so
  // that V8 gives them a double representation from the start (a field that began as undefined or
  // a small integer stores every later double as a new heap number: an allocation per step).
  /** β1ᵗ⁺¹ in float32, as tf.js's accBeta1 before the next step. */
  accBeta1 = Number.NaN;
  accBeta2 = Number.NaN;
  // Scalars of the current step, set by `begin()`.
  /** 1 / (1 − β1ᵗ) */
  c1 = Number.NaN;
  /** 1 / (1 − β2ᵗ) */
  c2 = Number.NaN;
  /** β1, 1 − β1, β2, 1 − β2 as tf.js's float32 scalars. */
  readonly b1: number;
  readonly b1c: number;
  readonly b2: number;
  readonly b2c: number;
  readonly lr: number;
  readonly eps: number;

  constructor(config: AdamConfig = TFJS_ADAM) {
    this.config = config;
    this.b1 = f32(config.beta1);
    this.b2 = f32(config.beta2);
    this.b1c = f32(1 - config.beta1);
    this.b2c = f32(1 - config.beta2);
    this.lr = f32(config.learningRate);
    this.eps = f32(config.epsilon);
    this.accBeta1 = this.b1;
    this.accBeta2 = this.b2;
  }

  /** Sets the step's correction factors (call once before updating the weights of a step). */
  begin(): void {
    this.c1 = 1 / f32(1 - this.accBeta1);
    this.c2 = 1 / f32(1 - this.accBeta2);
  }

  /** Advances β1ᵗ, β2ᵗ and the iteration count (call once after a step). */
  end(): void {
    this.accBeta1 = f32(this.accBeta1 * this.b1);
    this.accBeta2 = f32(this.accBeta2 * this.b2);
    this.iterations++;
  }

  /** State after `iterations` steps as tf.js's setWeights restores it: β^(iterations+1) by pow. */
  restore(iterations: number): void {
    this.iterations = iterations;
    this.accBeta1 = f32(Math.pow(this.b1, iterations + 1));
    this.accBeta2 = f32(Math.pow(this.b2, iterations + 1));
  }
}

/** Adam's moments for one weight tensor. */
export interface Moments {
  readonly m: Float32Array;
  readonly v: Float32Array;
}
