import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, matVec } from '../src/linalg/matrix.ts';
import { cholesky } from '../src/linalg/cholesky.ts';
import { fitConditionalGaussian } from '../src/gps/gaussian-fit.ts';
import { GaussianMixture } from '../src/gps/gaussian-mixture.ts';
import { linearizePolicy, MIXTURE_ROWS } from '../src/gps/policy-linearization.ts';
import { DynamicsPriorGMM, fitDynamics } from '../src/gps/dynamics.ts';
import { Rng } from '../src/random.ts';
import { assertClose } from './helpers.ts';

function maxError(a: Matrix | Float64Array, b: Matrix | Float64Array): number {
  const x = a instanceof Matrix ? a.data : a;
  const y = b instanceof Matrix ? b.data : b;
  return Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
}

test('a conditional Gaussian fit recovers a linear-Gaussian map', () => {
  const rng = new Rng('cg');
  const dIn = 3;
  const dOut = 2;
  const K = new Matrix(dOut, dIn, rng.normalVector(dOut * dIn));
  const k = rng.normalVector(dOut);
  const noise = Matrix.fromRows([[0.3, 0.1], [0.1, 0.2]]);
  const L = cholesky(noise);
  const N = 5000;
  const rows = new Matrix(N, dIn + dOut);
  for (let n = 0; n < N; n++) {
    const x = rng.normalVector(dIn);
    const z = rng.normalVector(dOut);
    const y = matVec(K, x).map((v, i) => v + k[i] + matVec(L, z)[i]);
    rows.data.set(x, n * (dIn + dOut));
    rows.data.set(y, n * (dIn + dOut) + dIn);
  }
  const fit = fitConditionalGaussian(rows, dIn, dOut);
  assert.ok(maxError(fit.K, K) < 0.05, `K error ${maxError(fit.K, K)}`);
  assert.ok(maxError(fit.k, k) < 0.05);
  assert.ok(maxError(fit.covariance, noise) < 0.03);
});

test('the normal-inverse-Wishart posterior and its conditional, on two points computed by hand', () => {
  // Rows [x, y] = [0, 1], [2, 5]: mean (1, 3), biased covariance S = [[1, 2], [2, 4]].
  const rows = Matrix.fromRows([[0, 1], [2, 5]]);
  const prior = { mean: Float64Array.of(0, 0), phi: Matrix.fromRows([[1, 0], [0, 2]]), m: 1, n0: 2 };
  // Σ = (N·S + Φ + N·m/(N+m)·(μ̂ − μ0)(μ̂ − μ0)ᵀ)/(N + n0) = ([[2, 4], [4, 8]] + [[1, 0], [0, 2]] + ⅔·[[1, 3], [3, 9]])/4
  //   = [[11/12, 3/2], [3/2, 4]].
  const fit = fitConditionalGaussian(rows, 1, 1, { prior, inputRidge: 0 });
  const K = 1.5 / (11 / 12);
  assertClose(fit.K.data, [K], 1e-12, 'K = Σ_yx / Σ_xx');
  assertClose(fit.k, [3 - K * 1], 1e-12, 'k = μ̂_y − K μ̂_x');
  assertClose(fit.covariance.data, [4 - K * 1.5], 1e-12, 'Σ_yy − K Σ_xy');
  // Without the prior: the data's own conditional, K = 2/1.
  const plain = fitConditionalGaussian(rows, 1, 1, { inputRidge: 0 });
  assertClose([plain.K.data[0], plain.k[0], plain.covariance.data[0]], [2, 1, 0], 1e-12, 'plain fit');
});

/** Trajectories of x_{t+1} = A_t x_t + B_t u_t + c_t + noise with random actions. */
function simulate(seed: string, N: number, dX: number, dU: number, T: number) {
  const rng = new Rng(seed);
  const system = new Rng('true-system');
  const F = Array.from({ length: T - 1 }, () => new Matrix(dX, dX + dU, system.normalVector(dX * (dX + dU), 0.4)));
  const f = Array.from({ length: T - 1 }, () => system.normalVector(dX, 0.5));
  const X: Float64Array[][] = [];
  const U: Float64Array[][] = [];
  for (let n = 0; n < N; n++) {
    const xs = [rng.normalVector(dX)];
    const us: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      us.push(rng.normalVector(dU));
      if (t < T - 1) {
        const z = new Float64Array(dX + dU);
        z.set(xs[t], 0);
        z.set(us[t], dX);
        xs.push(matVec(F[t], z).map((v, i) => v + f[t][i] + 0.05 * rng.normal()));
      }
    }
    X.push(xs);
    U.push(us);
  }
  return { F, f, X, U };
}

test('fitted dynamics recover a known time-varying linear system, with and without the prior', () => {
  const { F, f, X, U } = simulate('dyn', 400, 4, 2, 6);
  const prior = new DynamicsPriorGMM({ maxSamples: 400 });
  prior.update(X, U, new Rng('gmm'));
  for (const model of [fitDynamics(X, U, null), fitDynamics(X, U, prior)]) {
    for (let t = 0; t < 5; t++) {
      assert.ok(maxError(model.F[t], F[t]) < 0.05, `F_${t} error ${maxError(model.F[t], F[t])}`);
      assert.ok(maxError(model.f[t], f[t]) < 0.05);
      // 400 samples: a diagonal entry's standard error is 0.0025·√(2/400) = 1.8e-4, an off-diagonal one's 1.25e-4 (the old bound 0.002 was 80%).
      assert.ok(maxError(model.covariance[t], Matrix.identity(4, 0.0025)) < 5e-4, `noise covariance error ${maxError(model.covariance[t], Matrix.identity(4, 0.0025))}`);
    }
  }
});

test("the run's dynamics prior holds two iterations of every teacher's trajectories: with parameter groups a condition has several", async () => {
  const { dynamicsPriorFor } = await import('../src/gps/condition-tasks.ts');
  const { defaultGpsConfig } = await import('../src/gps/config.ts');
  // The generalization recipe: 4 conditions × 6 groups of the MNIST net = 24 teachers, one new trajectory each per iteration.
  const { X, U } = simulate('buffer', 24, 2, 1, 4);
  const prior = dynamicsPriorFor({ ...defaultGpsConfig(true), conditions: 4 }, 24);
  prior.update(X, U, new Rng('gmm'));
  assert.equal(prior.snapshot.X.length, 24, 'the first iteration whole (a buffer of 2 × conditions kept 20 of the 24)');
  prior.update(X, U, new Rng('gmm'));
  prior.update(X, U, new Rng('gmm'));
  assert.equal(prior.snapshot.X.length, 48, 'and then the last two iterations');
});

test('with fewer samples than dimensions the prior keeps the fit well-posed and closer to the truth', () => {
  const history = simulate('prior-history', 60, 6, 2, 8);
  const { F, X, U } = simulate('few', 5, 6, 2, 8);
  const prior = new DynamicsPriorGMM({ maxSamples: 60 });
  prior.update(history.X, history.U, new Rng('gmm'));
  const withPrior = fitDynamics(X, U, prior);
  const without = fitDynamics(X, U, null, { ridge: 1e-9 });
  let errorWith = 0;
  let errorWithout = 0;
  for (let t = 0; t < 7; t++) {
    assert.ok(withPrior.F[t].isFinite() && withPrior.f[t].every(Number.isFinite));
    cholesky(withPrior.covariance[t].clone().addDiagonal(1e-12)); // factors: positive definite
    errorWith += maxError(withPrior.F[t], F[t]);
    errorWithout += maxError(without.F[t], F[t]);
  }
  assert.ok(errorWith < 0.5 * errorWithout, `error with prior ${errorWith}, without ${errorWithout}`);
  assert.throws(() => fitDynamics([X[0]], [U[0]], null), /at least 2 trajectories/);
});

test('the mixture finds well-separated clusters, deterministically for a seed', () => {
  const rng = new Rng('clusters');
  const centres = [[0, 0], [10, 0], [0, 10]];
  const points = new Matrix(600, 2);
  for (let n = 0; n < 600; n++) points.data.set(centres[n % 3].map((c) => c + rng.normal()), 2 * n);
  const fit = (seed: string) => {
    const g = new GaussianMixture();
    g.fit(points, 3, new Rng(seed));
    return g;
  };
  const g = fit('em');
  assert.equal(g.clusters, 3);
  for (const c of centres) {
    const nearest = Math.min(...g.means.map((m) => Math.hypot(m[0] - c[0], m[1] - c[1])));
    assert.ok(nearest < 0.3, `centre ${c}: nearest mean at ${nearest}`);
  }
  assert.deepEqual(fit('em').means.map((m) => Array.from(m)), g.means.map((m) => Array.from(m)));
  const one = new Matrix(50, 2);
  for (let n = 0; n < 50; n++) one.data.set([10 + 0.5 * rng.normal(), 0.5 * rng.normal()], 2 * n);
  const prior = g.inference(one);
  assert.ok(Math.hypot(prior.mean[0] - 10, prior.mean[1]) < 0.5, `prior mean ${Array.from(prior.mean)}`);
});

test('a cluster that loses its points stays dormant, so the mixture keeps K and revives it when they return', () => {
  const rng = new Rng('dormant');
  const blobs = (centres: number[][], n: number) => {
    const points = new Matrix(n, 2);
    for (let i = 0; i < n; i++) points.data.set(centres[i % centres.length].map((c) => c + 0.3 * rng.normal()), 2 * i);
    return points;
  };
  const g = new GaussianMixture();
  g.fit(blobs([[0, 0], [20, 0]], 400), 2, rng.fork('cold'));
  assert.equal(g.clusters, 2);
  // The blob at (20, 0) is gone: its cluster explains none of the new points.
  g.fit(blobs([[0, 0]], 400), 2, rng.fork('warm'), { warmStart: true });
  assert.equal(g.clusters, 2, 'the emptied cluster is kept (dropping it made the next fit restart cold)');
  const prior = g.inference(blobs([[0, 0]], 50));
  assert.ok(Math.hypot(prior.mean[0], prior.mean[1]) < 0.2, `the dormant cluster carries no weight: prior mean ${Array.from(prior.mean)}`);
  // The points come back: the warm fit finds them with the dormant cluster, still two clusters.
  g.fit(blobs([[0, 0], [20, 0]], 400), 2, rng.fork('back'), { warmStart: true });
  for (const c of [[0, 0], [20, 0]]) {
    const nearest = Math.min(...g.means.map((m) => Math.hypot(m[0] - c[0], m[1] - c[1])));
    assert.ok(nearest < 0.2, `centre ${c}: nearest mean at ${nearest}`);
  }
});

test('the policy linearization fits its mixture on at most MIXTURE_ROWS rows (whole samples, every step) and still recovers the policy from 3 samples per step', () => {
  // μ = a·s + c at every step; 3 samples per step cannot determine 4 slopes and an offset, so K comes
  // through the mixture's prior, which must see each state beside its own μ.
  const a = [0.5, -1, 2, 0.3];
  const rng = new Rng('few-samples');
  const N = 3;
  const T = 3000; // 9,000 rows: the mixture sees samples 0 and 2, 6,000 rows
  const states = Array.from({ length: N }, () => Array.from({ length: T }, () => rng.normalVector(4)));
  const means = states.map((run) => run.map((s) => Float64Array.of(a.reduce((sum, ai, i) => sum + ai * s[i], 0.1))));
  const mixture = new GaussianMixture();
  const linear = linearizePolicy(states, means, Float64Array.of(1e-4), new Rng('gmm'), { clusters: 4, ridge: 1e-8 }, mixture);
  assert.ok(N * T > MIXTURE_ROWS);
  assert.equal(mixture.state.fittedOn, 2 * T);
  for (const t of [0, 1, 1500, T - 1]) {
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(linear.K[t].get(0, i) - a[i]) < 1e-3, `t = ${t}, slope ${i}: ${linear.K[t].get(0, i)} vs ${a[i]}`);
    assert.ok(Math.abs(linear.k[t][0] - 0.1) < 1e-3, `t = ${t}: offset ${linear.k[t][0]}`);
  }
});

test("a mixture's batched prior for several sets of points equals the moments written out for each set", () => {
  const rng = new Rng('batched-prior');
  const D = 3;
  const points = new Matrix(300, D);
  for (let n = 0; n < 300; n++) points.data.set([n % 2 ? 4 : -4, 0, n % 3].map((c) => c + rng.normal()), D * n);
  const g = new GaussianMixture();
  g.fit(points, 3, rng.fork('fit'));
  const sets = [5, 1, 12].map((rows) => {
    const m = new Matrix(rows, D);
    for (let i = 0; i < m.data.length; i++) m.data[i] = 3 * rng.normal();
    return m;
  });
  const { components } = g.state;
  const batched = g.inferenceAll(sets);
  sets.forEach((set, s) => {
    // Posterior weights by hand: w_k N(x; μ_k, Σ_k), Σ_k⁻¹ from its Cholesky factor.
    const weights = new Float64Array(components.length);
    for (let n = 0; n < set.rows; n++) {
      const x = set.data.subarray(n * D, (n + 1) * D);
      const logs = components.map((c) => {
        const L = new Matrix(D, D, c.factor);
        const z = new Float64Array(D);
        for (let i = 0; i < D; i++) {
          let v = x[i] - c.mean[i];
          for (let j = 0; j < i; j++) v -= L.get(i, j) * z[j];
          z[i] = v / L.get(i, i);
        }
        return c.logWeight - 0.5 * (D * Math.log(2 * Math.PI) + c.logDet + z.reduce((a, b) => a + b * b, 0));
      });
      const top = Math.max(...logs);
      const total = logs.reduce((a, l) => a + Math.exp(l - top), 0);
      logs.forEach((l, k) => (weights[k] += Math.exp(l - top) / total / set.rows));
    }
    const mean = new Float64Array(D);
    components.forEach((c, k) => c.mean.forEach((v, i) => (mean[i] += weights[k] * v)));
    const phi = new Float64Array(D * D);
    components.forEach((c, k) => {
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) phi[i * D + j] += weights[k] * (c.covariance[i * D + j] + (c.mean[i] - mean[i]) * (c.mean[j] - mean[j]));
    });
    const single = g.inference(set);
    for (const prior of [batched[s], single]) {
      assertClose(prior.mean, mean, 1e-10, `set ${s} mean`);
      assertClose(prior.phi.data, phi, 1e-10, `set ${s} Φ`);
    }
  });
});
