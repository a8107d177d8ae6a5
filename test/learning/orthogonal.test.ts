import { describe, expect, it } from 'vitest';
import { orthogonalMatrix } from '../../src/learning/orthogonal.ts';

/** Max |(A Aᵀ or Aᵀ A) − I| for a row-major rows×cols matrix, over the smaller Gram matrix. */
function orthogonalityError(m: Float32Array, rows: number, cols: number): number {
  let worst = 0;
  const byRows = rows <= cols; // rows orthonormal: A Aᵀ = I; else columns: Aᵀ A = I
  const n = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (i: number, k: number): number => (byRows ? (m[i * cols + k] as number) : (m[k * cols + i] as number));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += at(i, k) * at(j, k);
      worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

describe('orthogonalMatrix (Keras Orthogonal, computed in TypeScript)', () => {
  it('gives the 128×512 recurrent kernel orthonormal rows (Q of the 512×128 draw: QᵀQ = I) in well under a second', () => {
    const started = performance.now();
    const w = orthogonalMatrix(128, 512, 5);
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(1000);
    expect(w).toHaveLength(128 * 512);
    expect(orthogonalityError(w, 128, 512)).toBeLessThan(1e-5);
  });

  it('works for tall and square shapes and scales by gain', () => {
    expect(orthogonalityError(orthogonalMatrix(40, 7, 1), 40, 7)).toBeLessThan(1e-5);
    expect(orthogonalityError(orthogonalMatrix(16, 16, 2), 16, 16)).toBeLessThan(1e-5);
    const g = orthogonalMatrix(8, 8, 3, 2);
    const h = orthogonalMatrix(8, 8, 3, 1);
    expect(Array.from(g)).toEqual(Array.from(h, (v) => Math.fround(v * 2)));
  });

  it('is seeded: same seed, same matrix; another seed, another matrix', () => {
    expect(orthogonalMatrix(32, 64, 9)).toEqual(orthogonalMatrix(32, 64, 9));
    expect(orthogonalMatrix(32, 64, 9)).not.toEqual(orthogonalMatrix(32, 64, 10));
  });

  it('rejects bad shapes', () => {
    expect(() => orthogonalMatrix(0, 4, 1)).toThrow(RangeError);
    expect(() => orthogonalMatrix(2.5, 4, 1)).toThrow(RangeError);
  });
});
