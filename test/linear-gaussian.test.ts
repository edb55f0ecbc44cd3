import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix as MlMatrix, inverse, determinant } from 'ml-matrix';
import { Matrix, matmulNT } from '../src/linalg/matrix.ts';
import { NotPositiveDefiniteError } from '../src/linalg/cholesky.ts';
import { LinearGaussianPolicy } from '../policies/linear-gaussian.ts';
import { Rng } from '../src/random.ts';

function randomPolicy(rng: Rng, T: number, dX: number, dU: number): LinearGaussianPolicy {
  const covariance = Array.from({ length: T }, () => {
    const A = new Matrix(dU, dU, rng.normalVector(dU * dU, 0.5));
    return matmulNT(A, A).addDiagonal(0.2).symmetrize();
  });
  return new LinearGaussianPolicy(
    Array.from({ length: T }, () => new Matrix(dU, dX, rng.normalVector(dU * dX, 0.5))),
    Array.from({ length: T }, () => rng.normalVector(dU, 0.5)),
    covariance,
  );
}

test('log-density matches the Gaussian formula', () => {
  const rng = new Rng('lg-density');
  const p = randomPolicy(rng, 2, 4, 3);
  const x = rng.normalVector(4);
  const u = rng.normalVector(3);
  const S = new MlMatrix(p.covariance[1].toRows());
  const d = MlMatrix.columnVector(Array.from(p.mean(1, x), (m, i) => u[i] - m));
  const expected = -0.5 * (d.transpose().mmul(inverse(S)).mmul(d).get(0, 0) + Math.log(determinant(S)) + 3 * Math.log(2 * Math.PI));
  assert.ok(Math.abs(p.logDensity(1, x, u) - expected) < 1e-10);
});

test('samples have the policy mean and covariance', () => {
  const rng = new Rng('lg-sample');
  const p = randomPolicy(rng, 1, 2, 2);
  const x = Float64Array.of(0.5, -1);
  const n = 20000;
  const mean = p.mean(0, x);
  const m = [0, 0];
  const c = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const u = p.sample(0, x, rng);
    for (let a = 0; a < 2; a++) {
      m[a] += u[a] / n;
      for (let b = 0; b < 2; b++) c[a * 2 + b] += (u[a] - mean[a]) * (u[b] - mean[b]) / n;
    }
  }
  m.forEach((v, a) => assert.ok(Math.abs(v - mean[a]) < 0.03, `mean ${v} vs ${mean[a]}`));
  c.forEach((v, i) => assert.ok(Math.abs(v - p.covariance[0].data[i]) < 0.05 * Math.max(1, p.covariance[0].trace()), `cov ${v} vs ${p.covariance[0].data[i]}`));
});

test('expected KL is zero against itself and matches a Monte-Carlo estimate', () => {
  const rng = new Rng('lg-kl');
  const T = 3;
  const dX = 4;
  const dU = 2;
  const p = randomPolicy(rng, T, dX, dU);
  const q = randomPolicy(rng, T, dX, dU);
  const means = Array.from({ length: T }, () => rng.normalVector(dX, 0.5));
  const covs = Array.from({ length: T }, () => {
    const A = new Matrix(dX, dX, rng.normalVector(dX * dX, 0.3));
    return matmulNT(A, A).addDiagonal(0.05).symmetrize();
  });
  p.expectedKl(p, means, covs).forEach((v) => assert.ok(Math.abs(v) < 1e-10));
  const exact = p.expectedKl(q, means, covs);
  const stateFactor = covs.map((S) => new LinearGaussianPolicy([new Matrix(dX, 1)], [new Float64Array(dX)], [S]));
  for (let t = 0; t < T; t++) {
    let estimate = 0;
    const n = 40000;
    for (let i = 0; i < n; i++) {
      const x = stateFactor[t].sample(0, [0], rng).map((v, j) => v + means[t][j]);
      const u = p.sample(t, x, rng);
      estimate += (p.logDensity(t, x, u) - q.logDensity(t, x, u)) / n;
    }
    assert.ok(Math.abs(estimate - exact[t]) < 0.03 * exact[t] + 0.02, `t=${t}: closed form ${exact[t]}, Monte Carlo ${estimate}`);
  }
});

test('construction from the precision equals construction from the covariance', () => {
  const rng = new Rng('lg-prec');
  const p = randomPolicy(rng, 2, 3, 2);
  const q = LinearGaussianPolicy.fromPrecision(p.K, p.k, p.precision);
  for (let t = 0; t < 2; t++) {
    q.covariance[t].data.forEach((v, i) => assert.ok(Math.abs(v - p.covariance[t].data[i]) < 1e-10));
    q.choleskyCovariance[t].data.forEach((v, i) => assert.ok(Math.abs(v - p.choleskyCovariance[t].data[i]) < 1e-10));
  }
});

test('JSON round-trips exactly and malformed JSON is rejected clearly', () => {
  const p = randomPolicy(new Rng('lg-json'), 3, 2, 2);
  const q = LinearGaussianPolicy.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
  assert.deepEqual(q.toJSON(), p.toJSON());
  assert.throws(() => LinearGaussianPolicy.fromJSON({ K: [], k: [] }), /needs arrays K, k and covariance/);
  const bad = p.toJSON();
  bad.K[1] = [[1, 2, 3]];
  assert.throws(() => LinearGaussianPolicy.fromJSON(bad), /K\[1\] is 1×3, expected 2×2/);
  assert.throws(
    () => new LinearGaussianPolicy([new Matrix(1, 1)], [new Float64Array(1)], [Matrix.fromRows([[-1]])]),
    NotPositiveDefiniteError,
  );
});
