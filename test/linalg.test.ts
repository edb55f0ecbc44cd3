import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CholeskyDecomposition, Matrix as MlMatrix, inverse, solve, determinant } from 'ml-matrix';
import { Matrix, frobeniusInner, frobeniusInnerTN, matmul, matmulNT, matmulTN, matTVec, matVec, quadraticForm } from '../src/linalg/matrix.ts';
import { cholesky, choleskyInverse, choleskySolve, logDetFromCholesky, NotPositiveDefiniteError, regularizedCholesky, solveLower, solveLowerTransposed } from '../src/linalg/cholesky.ts';
import { Rng } from '../src/random.ts';

const rng = new Rng('linalg');
const random = (r: number, c: number) => new Matrix(r, c, rng.normalVector(r * c));
const ml = (m: Matrix) => new MlMatrix(m.toRows());
function spd(n: number): Matrix {
  const A = random(n, n);
  return matmulNT(A, A).addDiagonal(n * 0.1).symmetrize();
}
function close(actual: Matrix | ArrayLike<number>, expected: MlMatrix | ArrayLike<number>, tol = 1e-9) {
  const a = actual instanceof Matrix ? Array.from(actual.data) : Array.from(actual);
  const e = expected instanceof MlMatrix ? expected.to2DArray().flat() : Array.from(expected);
  assert.equal(a.length, e.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - e[i]) <= tol * Math.max(1, Math.abs(e[i])), `[${i}] ${v} vs ${e[i]}`));
}

for (const n of [1, 7, 40]) {
  test(`products agree with ml-matrix (n = ${n})`, () => {
    const A = random(n, n + 2);
    const B = random(n + 2, 3);
    const C = random(n, 3);
    const S = spd(n);
    close(matmul(A, B), ml(A).mmul(ml(B)));
    close(matmulTN(A, C), ml(A).transpose().mmul(ml(C)));
    // tr((AᵀC)ᵀS') without AᵀC, to the bit of the composed form (the expected KL's spread term), with zeros in A skipped alike.
    const Z = A.clone();
    for (let i = 0; i < Z.data.length; i += 3) Z.data[i] = 0;
    const S3 = random(n + 2, 3);
    for (const a of [A, Z]) assert.equal(frobeniusInnerTN(a, C, S3), frobeniusInner(matmulTN(a, C), S3));
    assert.ok(Math.abs(frobeniusInnerTN(A, C, S3) - ml(A).transpose().mmul(ml(C)).transpose().mmul(ml(S3)).trace()) < 1e-9 * n);
    assert.throws(() => frobeniusInnerTN(A, C, random(n, 3)), RangeError);
    const D = random(5, n + 2);
    close(matmulNT(A, D), ml(A).mmul(ml(D).transpose()));
    close(quadraticForm(C, S), ml(C).transpose().mmul(ml(S)).mmul(ml(C)));
    const v = rng.normalVector(n + 2);
    close(matVec(A, v), ml(A).mmul(MlMatrix.columnVector(Array.from(v))).to1DArray());
    const w = rng.normalVector(n);
    close(matTVec(A, w), ml(A).transpose().mmul(MlMatrix.columnVector(Array.from(w))).to1DArray());
  });

  test(`Cholesky, solves, inverse and log-determinant agree with ml-matrix (n = ${n})`, () => {
    const S = spd(n);
    const L = cholesky(S);
    close(L, new CholeskyDecomposition(ml(S)).lowerTriangularMatrix);
    const B = random(n, 2);
    close(solveLower(L, B), solve(ml(L), ml(B)));
    close(solveLowerTransposed(L, B), solve(ml(L).transpose(), ml(B)));
    close(choleskySolve(L, B), solve(ml(S), ml(B)), 1e-8);
    close(choleskyInverse(L), inverse(ml(S)), 1e-8);
    assert.ok(Math.abs(logDetFromCholesky(L) - Math.log(determinant(ml(S)))) < 1e-8 * n);
  });
}

test('an indefinite matrix stops the factorization at its non-positive pivot', () => {
  const A = Matrix.fromRows([
    [4, 2, 0],
    [2, 1, 0],
    [0, 0, 1],
  ]);
  assert.throws(
    () => cholesky(A),
    (e: Error) => e instanceof NotPositiveDefiniteError && e.pivotIndex === 1,
  );
  assert.throws(() => cholesky(Matrix.fromRows([[-1]])), NotPositiveDefiniteError);
  assert.throws(() => cholesky(Matrix.fromRows([[NaN]])), NotPositiveDefiniteError);
  // Rank-deficient but PSD: regularizedCholesky adds the smallest ridge that factors.
  const v = Matrix.column([1, 2, 3]);
  const { L, ridge } = regularizedCholesky(matmulNT(v, v));
  assert.ok(ridge > 0 && ridge < 1e-4);
  assert.ok(L.isFinite());
});
