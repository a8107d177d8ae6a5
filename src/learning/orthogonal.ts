// A seeded orthogonal matrix computed in plain TypeScript.
//
// Keras initialises an LSTM's recurrent kernel with `Orthogonal`: draw a Gaussian matrix of shape
// (max(rows, cols), min(rows, cols)), take its QR decomposition, multiply each column of Q by the
// sign of R's diagonal (so the factorisation is unique), and transpose when rows < cols. tf.js's
// `orthogonal` initializer does the same through many small tensor ops, which takes from half a
// second (wasm) to tens of seconds (cpu) for a 128×512 kernel. Modified Gram–Schmidt (run twice
// per column for numerical safety) yields exactly the sign-corrected Q — its R has a positive
// diagonal by construction — in a few milliseconds on Float64Array.

import { createRng, gaussian } from './random.ts';

/**
 * A `rows × cols` matrix (row-major) whose rows are orthonormal when rows ≤ cols, and whose columns
 * are orthonormal when rows ≥ cols, scaled by `gain`.
 */
export function orthogonalMatrix(rows: number, cols: number, seed: number, gain = 1): Float32Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`orthogonal matrix needs positive integer dimensions (got ${rows}×${cols})`);
  }
  const tall = Math.max(rows, cols); // length of each Q column
  const narrow = Math.min(rows, cols); // number of Q columns
  const rng = createRng(seed);
  // Q stored column by column: column j occupies q[j*tall … (j+1)*tall).
  const q = new Float64Array(tall * narrow);
  for (let i = 0; i < q.length; i++) q[i] = gaussian(rng);

  for (let j = 0; j < narrow; j++) {
    const vj = j * tall;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const vk = k * tall;
        let dot = 0;
        for (let i = 0; i < tall; i++) dot += (q[vk + i] as number) * (q[vj + i] as number);
        for (let i = 0; i < tall; i++) q[vj + i] = (q[vj + i] as number) - dot * (q[vk + i] as number);
      }
    }
    let norm = 0;
    for (let i = 0; i < tall; i++) norm += (q[vj + i] as number) ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new Error('orthogonal matrix: degenerate Gaussian draw (try another seed)');
    for (let i = 0; i < tall; i++) q[vj + i] = (q[vj + i] as number) / norm;
  }

  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows ≥ cols: W = Q (W[r][c] = column c, entry r); rows < cols: W = Qᵀ (W[r][c] = column r, entry c).
      const value = rows >= cols ? q[c * tall + r] : q[r * tall + c];
      out[r * cols + c] = gain * (value as number);
    }
  }
  return out;
}
