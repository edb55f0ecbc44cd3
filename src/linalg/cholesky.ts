// Cholesky factorization and the solves built on it. A non-positive pivot stops the factorization
// with NotPositiveDefiniteError: callers (the LQR's η increase, covariance regularization) decide
// what to do, and no NaN ever flows on from a matrix that was not positive definite.
import { Matrix } from './matrix.ts';

export class NotPositiveDefiniteError extends Error {
  override readonly name = 'NotPositiveDefiniteError';
  constructor(
    readonly pivotIndex: number,
    readonly pivotValue: number,
  ) {
    super(`matrix is not positive definite (pivot ${pivotIndex} = ${pivotValue})`);
  }
}

/** Lower-triangular L with A = L·Lᵀ. Reads only the lower triangle of A. */
export function cholesky(a: Matrix): Matrix {
  const n = a.rows;
  if (n !== a.cols) throw new RangeError(`cholesky needs a square matrix, got ${a.rows}×${a.cols}`);
  const L = new Matrix(n, n);
  const A = a.data;
  const D = L.data;
  for (let j = 0; j < n; j++) {
    let pivot = A[j * n + j];
    const rj = j * n;
    for (let k = 0; k < j; k++) pivot -= D[rj + k] * D[rj + k];
    if (!(pivot > 0)) throw new NotPositiveDefiniteError(j, pivot);
    const ljj = Math.sqrt(pivot);
    D[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= D[ri + k] * D[rj + k];
      D[ri + j] = s / ljj;
    }
  }
  return L;
}

/** Solves L·X = B for lower-triangular L. */
export function solveLower(L: Matrix, b: Matrix): Matrix {
  const n = L.rows;
  const m = b.cols;
  const X = b.clone();
  const x = X.data;
  for (let i = 0; i < n; i++) {
    const lii = L.data[i * n + i];
    for (let k = 0; k < i; k++) {
      const lik = L.data[i * n + k];
      if (lik === 0) continue;
      for (let j = 0; j < m; j++) x[i * m + j] -= lik * x[k * m + j];
    }
    for (let j = 0; j < m; j++) x[i * m + j] /= lii;
  }
  return X;
}

/** Solves Lᵀ·X = B for lower-triangular L. */
export function solveLowerTransposed(L: Matrix, b: Matrix): Matrix {
  const n = L.rows;
  const m = b.cols;
  const X = b.clone();
  const x = X.data;
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const lki = L.data[k * n + i];
      if (lki === 0) continue;
      for (let j = 0; j < m; j++) x[i * m + j] -= lki * x[k * m + j];
    }
    const lii = L.data[i * n + i];
    for (let j = 0; j < m; j++) x[i * m + j] /= lii;
  }
  return X;
}

/** Solves A·X = B given A's Cholesky factor L. */
export function choleskySolve(L: Matrix, b: Matrix): Matrix {
  return solveLowerTransposed(L, solveLower(L, b));
}

export function choleskySolveVector(L: Matrix, b: ArrayLike<number>): Float64Array {
  return choleskySolve(L, Matrix.column(b)).data;
}

/** A⁻¹ from A's Cholesky factor, exactly symmetric. */
export function choleskyInverse(L: Matrix): Matrix {
  return choleskySolve(L, Matrix.identity(L.rows)).symmetrize();
}

/** log|A| = 2·Σ log L_ii. */
export function logDetFromCholesky(L: Matrix): number {
  let s = 0;
  for (let i = 0; i < L.rows; i++) s += Math.log(L.data[i * L.rows + i]);
  return 2 * s;
}

/**
 * Cholesky of a covariance that should be positive definite but may have lost it to rounding:
 * symmetrize, then add a growing ridge (relative to the mean diagonal) until it factors.
 */
export function regularizedCholesky(a: Matrix, maxTries = 12): { L: Matrix; ridge: number } {
  const s = a.clone().symmetrize();
  let ridge = 0;
  const scale = Math.max(Math.abs(s.trace()) / s.rows, 1e-12);
  for (let attempt = 0; attempt <= maxTries; attempt++) {
    try {
      return { L: cholesky(ridge ? s.clone().addDiagonal(ridge) : s), ridge };
    } catch (err) {
      if (!(err instanceof NotPositiveDefiniteError)) throw err;
      ridge = ridge ? ridge * 10 : 1e-10 * scale;
    }
  }
  return { L: cholesky(s.addDiagonal(ridge)), ridge };
}
