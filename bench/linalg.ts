// Hand-written float64 kernels against ml-matrix in the same process, at the sizes GPS uses:
// dX + dU = 26 (logreg, H = 5) and 103 (logreg, H = 25).
import { CholeskyDecomposition, Matrix as MlMatrix } from 'ml-matrix';
import { Matrix, matmul, matmulNT } from '../src/linalg/matrix.ts';
import { cholesky, choleskySolve } from '../src/linalg/cholesky.ts';
import { Rng } from '../src/random.ts';
import { formatSeconds, medianSeconds } from './timing.ts';

export function benchLinalg(): void {
  const rng = new Rng('bench-linalg');
  console.log('kernel           n    hand-written     ml-matrix   speed-up');
  for (const n of [26, 103]) {
    const A = new Matrix(n, n, rng.normalVector(n * n));
    const S = matmulNT(A, A).addDiagonal(n).symmetrize();
    const B = new Matrix(n, 3, rng.normalVector(n * 3));
    const mlA = new MlMatrix(A.toRows());
    const mlS = new MlMatrix(S.toRows());
    const mlB = new MlMatrix(B.toRows());
    const repeats = n > 50 ? 30 : 200;
    const L = cholesky(S);
    const mlL = new CholeskyDecomposition(mlS);
    const rows: [string, () => void, () => void][] = [
      ['matmul', () => matmul(A, A), () => mlA.mmul(mlA)],
      ['cholesky', () => cholesky(S), () => new CholeskyDecomposition(mlS)],
      ['cholesky solve', () => choleskySolve(L, B), () => mlL.solve(mlB)],
    ];
    for (const [name, hand, reference] of rows) {
      const ours = medianSeconds(repeats, hand);
      const theirs = medianSeconds(repeats, reference);
      console.log(`${name.padEnd(15)} ${String(n).padStart(3)} ${formatSeconds(ours).padStart(15)} ${formatSeconds(theirs).padStart(13)} ${(theirs / ours).toFixed(2).padStart(9)}×`);
    }
  }
}
