import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix as MlMatrix, inverse, solve } from 'ml-matrix';
import { Matrix, matVec } from '../src/linalg/matrix.ts';
import { NotPositiveDefiniteError } from '../src/linalg/cholesky.ts';
import { backwardPass, expectedCost, forwardPass, optimizeTrajectory, solveAtEta, stateMarginals, trajectoryKl, type QuadraticCost } from '../src/gps/lqr.ts';
import type { LinearDynamics } from '../src/gps/dynamics.ts';
import { LinearGaussianPolicy } from '../policies/linear-gaussian.ts';
import { Rng } from '../src/random.ts';

function randomMatrix(rng: Rng, rows: number, cols: number, std = 1): Matrix {
  return new Matrix(rows, cols, rng.normalVector(rows * cols, std));
}

/** A random symmetric positive-definite matrix with eigenvalues bounded below by `floor`. */
function randomSpd(rng: Rng, n: number, floor = 0.5): Matrix {
  const A = randomMatrix(rng, n, n, 0.5);
  const S = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += A.get(i, k) * A.get(j, k);
    S.set(i, j, s + (i === j ? floor : 0));
  }
  return S;
}

function ml(m: Matrix): MlMatrix {
  return new MlMatrix(m.toRows());
}

/** Time-invariant system x' = A x + B u + f with a PD cost on z = [x; u] (with cross terms). */
function system(seed: string, dX: number, dU: number, T: number, withAffine: boolean) {
  const rng = new Rng(seed);
  const A = randomMatrix(rng, dX, dX, 0.4);
  const B = randomMatrix(rng, dX, dU, 0.6);
  const F = new Matrix(dX, dX + dU).setBlock(0, 0, A).setBlock(0, dX, B);
  const f = withAffine ? rng.normalVector(dX, 0.3) : new Float64Array(dX);
  const C = randomSpd(rng, dX + dU);
  const c = withAffine ? rng.normalVector(dX + dU, 0.5) : new Float64Array(dX + dU);
  const dynamics: LinearDynamics = {
    F: Array.from({ length: T - 1 }, () => F),
    f: Array.from({ length: T - 1 }, () => f),
    covariance: Array.from({ length: T - 1 }, () => Matrix.identity(dX, 0.01)),
    x0Mean: rng.normalVector(dX),
    x0Covariance: Matrix.identity(dX, 0.1),
  };
  const cost: QuadraticCost = { C: Array.from({ length: T }, () => C), c: Array.from({ length: T }, () => c) };
  return { A, B, C, c, f, dynamics, cost, rng };
}

/** J(U) = Σ_t ½zᵀC_t z + c_tᵀz (+ extra(t, x_t, u_t)) for stacked actions U, along the deterministic dynamics from x0. */
function stackedCost(x0: Float64Array, dynamics: LinearDynamics, cost: QuadraticCost, dU: number, extra: (t: number, x: Float64Array, u: Float64Array) => number = () => 0): (U: Float64Array) => number {
  const dX = x0.length;
  const T = cost.C.length;
  return (U) => {
    let x: Float64Array = Float64Array.from(x0);
    let total = 0;
    for (let t = 0; t < T; t++) {
      const u = U.subarray(t * dU, (t + 1) * dU);
      const z = new Float64Array(dX + dU);
      z.set(x, 0);
      z.set(u, dX);
      const Cz = matVec(cost.C[t], z);
      for (let i = 0; i < z.length; i++) total += 0.5 * z[i] * Cz[i] + z[i] * cost.c[t][i];
      total += extra(t, x, u);
      if (t < T - 1) {
        x = matVec(dynamics.F[t], z);
        for (let i = 0; i < dX; i++) x[i] += dynamics.f[t][i];
      }
    }
    return total;
  };
}

/** The minimizer of a J that is exactly quadratic on R^n: unit finite differences give its gradient and Hessian exactly. */
function quadraticMinimizer(J: (U: Float64Array) => number, n: number): number[] {
  const e = (i: number) => Float64Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
  const add = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]);
  const zero = new Float64Array(n);
  const H = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => J(add(e(i), e(j))) - J(e(i)) - J(e(j)) + J(zero)));
  const g = Array.from({ length: n }, (_, i) => (J(e(i)) - J(e(i).map((v) => -v))) / 2);
  return solve(new MlMatrix(H), MlMatrix.columnVector(g.map((v) => -v))).to1DArray();
}

test('backward pass equals the discrete Riccati recursion', () => {
  const dX = 4;
  const dU = 2;
  const T = 8;
  const { A, B, C, dynamics, cost } = system('riccati', dX, dU, T, false);
  const teacher = backwardPass(dynamics, cost);
  const Q = ml(C.block(0, 0, dX, dX));
  const N = ml(C.block(dX, 0, dU, dX));
  const R = ml(C.block(dX, dX, dU, dU));
  const a = ml(A);
  const b = ml(B);
  // P_{T-1} comes from the last step's cost alone; then P_t = Q + AᵀPA − (AᵀPB + Nᵀ)(R + BᵀPB)⁻¹(BᵀPA + N).
  let P = new MlMatrix(dX, dX);
  for (let t = T - 1; t >= 0; t--) {
    const gain = R.clone().add(b.transpose().mmul(P).mmul(b));
    const cross = b.transpose().mmul(P).mmul(a).add(N);
    const K = inverse(gain).mmul(cross).mul(-1);
    const expected = K.to2DArray().flat() as number[];
    const actual = Array.from(teacher.K[t].data);
    expected.forEach((v, i) => assert.ok(Math.abs(v - actual[i]) < 1e-9, `K_${t}[${i}]: ${actual[i]} vs ${v}`));
    // Σ_t = (R + BᵀPB)⁻¹: the action covariance is the inverse of Q_uu.
    const cov = inverse(gain).to2DArray().flat() as number[];
    cov.forEach((v, i) => assert.ok(Math.abs(v - teacher.covariance[t].data[i]) < 1e-9));
    P = Q.clone().add(a.transpose().mmul(P).mmul(a)).sub(cross.transpose().mmul(inverse(gain)).mmul(cross));
    P = P.add(P.transpose()).mul(0.5);
  }
});

test('the affine feedback term matches the optimum of the stacked quadratic program', () => {
  const dX = 3;
  const dU = 2;
  const T = 5;
  const { dynamics, cost, rng } = system('affine', dX, dU, T, true);
  const teacher = backwardPass(dynamics, cost);
  const x0 = rng.normalVector(dX);
  const optimum = quadraticMinimizer(stackedCost(x0, dynamics, cost, dU), T * dU);
  const u0 = teacher.mean(0, x0);
  for (let i = 0; i < dU; i++) assert.ok(Math.abs(u0[i] - optimum[i]) < 1e-7, `u0[${i}]: ${u0[i]} vs ${optimum[i]}`);
});

function previousTeacher(rng: Rng, T: number, dX: number, dU: number): LinearGaussianPolicy {
  return new LinearGaussianPolicy(
    Array.from({ length: T }, () => randomMatrix(rng, dU, dX, 0.2)),
    Array.from({ length: T }, () => rng.normalVector(dU, 0.5)),
    Array.from({ length: T }, () => Matrix.identity(dU, 0.5)),
  );
}

test('the η search meets the KL bound within 10%', () => {
  const dX = 4;
  const dU = 2;
  const T = 10;
  const { dynamics, cost, rng } = system('eta', dX, dU, T, true);
  const previous = previousTeacher(rng, T, dX, dU);
  for (const klBound of [0.05, 0.5, 2]) {
    const result = optimizeTrajectory({ dynamics, cost, previous, coupling: null, eta: 1, klBound });
    assert.ok(Math.abs(result.kl - klBound) < 0.1 * klBound, `bound ${klBound}: KL ${result.kl} at η ${result.eta} after ${result.iterations}`);
    // The marginals propagated here in ml-matrix, not by the code the search itself uses.
    const states = closedLoopMarginals(dynamics, result.teacher);
    assertMarginalsMatch(dynamics, cost, result.teacher, states);
    const kl = trajectoryKl(result.teacher, previous, { means: states.means, covariances: states.covariances.map((S) => Matrix.fromRows(S.to2DArray())) });
    assert.ok(Math.abs(kl - result.kl) < 1e-9 * result.kl, `KL under the hand-propagated marginals ${kl} vs ${result.kl}`);
  }
});

/** x̄_{t+1} = F_t[x̄; Kx̄ + k] + f_t, Σ_{t+1} = F_t[[Σ, ΣKᵀ], [KΣ, KΣKᵀ + Σ_u]]F_tᵀ + W_t, with the joint z_t = [x_t; u_t] beside. */
function closedLoopMarginals(dynamics: LinearDynamics, policy: LinearGaussianPolicy) {
  const means: Float64Array[] = [];
  const covariances: MlMatrix[] = [];
  const joint: { mean: number[]; covariance: MlMatrix }[] = [];
  let m = MlMatrix.columnVector(Array.from(dynamics.x0Mean));
  let S = ml(dynamics.x0Covariance);
  for (let t = 0; t < policy.T; t++) {
    means.push(Float64Array.from(m.to1DArray()));
    covariances.push(S);
    const K = ml(policy.K[t]);
    const mu = K.mmul(m).add(MlMatrix.columnVector(Array.from(policy.k[t])));
    const KS = K.mmul(S);
    const Sz = new MlMatrix(policy.dX + policy.dU, policy.dX + policy.dU);
    Sz.setSubMatrix(S, 0, 0).setSubMatrix(KS.transpose(), 0, policy.dX).setSubMatrix(KS, policy.dX, 0).setSubMatrix(KS.mmul(K.transpose()).add(ml(policy.covariance[t])), policy.dX, policy.dX);
    const mz = MlMatrix.columnVector([...m.to1DArray(), ...mu.to1DArray()]);
    joint.push({ mean: mz.to1DArray(), covariance: Sz });
    if (t === policy.T - 1) break;
    const F = ml(dynamics.F[t]);
    m = F.mmul(mz).add(MlMatrix.columnVector(Array.from(dynamics.f[t])));
    S = F.mmul(Sz).mmul(F.transpose()).add(ml(dynamics.covariance[t]));
  }
  return { means, covariances, joint };
}

/** stateMarginals, forwardPass and expectedCost against the hand propagation, to 1e-10 relative. */
function assertMarginalsMatch(dynamics: LinearDynamics, cost: QuadraticCost, policy: LinearGaussianPolicy, expected: ReturnType<typeof closedLoopMarginals>): void {
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) =>
    Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= 1e-10 * Math.max(1, Math.abs(v)), `${what}[${i}]: ${a[i]} vs ${v}`));
  const states = stateMarginals(dynamics, policy);
  const joint = forwardPass(dynamics, policy);
  const costs = expectedCost(cost, joint);
  for (let t = 0; t < policy.T; t++) {
    close(states.means[t], expected.means[t], `x̄_${t}`);
    close(states.covariances[t].data, expected.covariances[t].to1DArray(), `Σx_${t}`);
    close(joint.means[t], expected.joint[t].mean, `z̄_${t}`);
    close(joint.covariances[t].data, expected.joint[t].covariance.to1DArray(), `Σz_${t}`);
    // E[½zᵀCz + cᵀz] = ½z̄ᵀCz̄ + cᵀz̄ + ½tr(CΣz)
    const z = MlMatrix.columnVector(expected.joint[t].mean);
    const C = ml(cost.C[t]);
    const value = 0.5 * z.transpose().mmul(C).mmul(z).get(0, 0) + z.transpose().mmul(MlMatrix.columnVector(Array.from(cost.c[t]))).get(0, 0) + 0.5 * C.mmul(expected.joint[t].covariance).trace();
    close([costs[t]], [value], `cost_${t}`);
  }
}

test('as η grows the teacher stays at the previous one', () => {
  const dX = 3;
  const dU = 2;
  const T = 6;
  const { dynamics, cost, rng } = system('limit', dX, dU, T, true);
  const previous = previousTeacher(rng, T, dX, dU);
  const { teacher } = solveAtEta(dynamics, cost, previous, null, 1e9);
  for (let t = 0; t < T; t++) {
    teacher.K[t].data.forEach((v, i) => assert.ok(Math.abs(v - previous.K[t].data[i]) < 1e-6));
    teacher.k[t].forEach((v, i) => assert.ok(Math.abs(v - previous.k[t][i]) < 1e-6));
    teacher.covariance[t].data.forEach((v, i) => assert.ok(Math.abs(v - previous.covariance[t].data[i]) < 1e-6));
  }
});

test('an indefinite cost raises η instead of producing NaN', () => {
  const dX = 3;
  const dU = 2;
  const T = 6;
  const { dynamics, cost, rng } = system('nonpd', dX, dU, T, true);
  // A concave action cost, as a non-convex objective's Hessian gives (docs/design.md §2 pitfall 1).
  const C = cost.C.map((m) => m.clone());
  for (const m of C) for (let i = 0; i < dU; i++) m.set(dX + i, dX + i, m.get(dX + i, dX + i) - 20);
  const concave = { C, c: cost.c };
  const previous = previousTeacher(rng, T, dX, dU);
  assert.throws(() => backwardPass(dynamics, concave), NotPositiveDefiniteError);
  const result = optimizeTrajectory({ dynamics, cost: concave, previous, coupling: null, eta: 1e-6, klBound: 0.5 });
  assert.ok(result.pdFailures > 0);
  assert.ok(result.eta > 1e-6);
  for (let t = 0; t < T; t++) {
    assert.ok(result.teacher.K[t].isFinite() && result.teacher.covariance[t].isFinite());
    assert.ok(result.teacher.k[t].every(Number.isFinite));
  }
  assert.ok(Number.isFinite(result.kl));
});

test('the coupled LQR (λ, ν ≠ 0, at a fixed η) takes the mean action that minimizes the stacked quadratic program of cost, λ and both KL terms', () => {
  const dX = 3;
  const dU = 2;
  const T = 4;
  const eta = 0.7;
  const { dynamics, cost, rng } = system('coupled', dX, dU, T, true);
  const previous = previousTeacher(rng, T, dX, dU);
  const policy = previousTeacher(rng.fork('policy'), T, dX, dU);
  const coupling = {
    policy,
    weights: Float64Array.of(0.3, 1.2, 0.05, 2),
    lambdaK: Array.from({ length: T }, () => randomMatrix(rng, dU, dX, 0.3)),
    lambdak: Array.from({ length: T }, () => rng.normalVector(dU, 0.5)),
  };
  const { teacher, eta: used } = solveAtEta(dynamics, cost, previous, coupling, eta);
  assert.equal(used, eta, 'no positive-definiteness retry moved η');
  const x0 = rng.normalVector(dX);
  /** ½(u − μ)ᵀP(u − μ) of a linear-Gaussian policy's mean μ = K x + k at step t: its −log density, up to constants. */
  const penalty = (p: LinearGaussianPolicy, t: number, x: Float64Array, u: Float64Array) => {
    const d = p.mean(t, x).map((m, i) => u[i] - m);
    const Pd = matVec(p.precision[t], d);
    return 0.5 * d.reduce((s, v, i) => s + v * Pd[i], 0);
  };
  // J(U): Σ_t cost(z_t) − u_tᵀ(Λ_t x_t + l_t) + η·½‖u_t − μ_prev‖²_P + ν_t·½‖u_t − μ_π‖²_P along the mean dynamics.
  const J = stackedCost(x0, dynamics, cost, dU, (t, x, u) => {
    const lambda = matVec(coupling.lambdaK[t], x).map((v, i) => v + coupling.lambdak[t][i]);
    return -u.reduce((sum, v, i) => sum + v * lambda[i], 0) + eta * penalty(previous, t, x, u) + coupling.weights[t] * penalty(policy, t, x, u);
  });
  const optimum = quadraticMinimizer(J, T * dU);
  // The first action is the feedback law's at x0; later ones follow the mean dynamics under the teacher.
  let x: Float64Array = Float64Array.from(x0);
  for (let t = 0; t < T; t++) {
    const u = teacher.mean(t, x);
    for (let i = 0; i < dU; i++) assert.ok(Math.abs(u[i] - optimum[t * dU + i]) < 1e-6, `u${t}[${i}]: ${u[i]} vs ${optimum[t * dU + i]}`);
    if (t < T - 1) {
      const z = new Float64Array(dX + dU);
      z.set(x, 0);
      z.set(u, dX);
      x = matVec(dynamics.F[t], z).map((v, i) => v + dynamics.f[t][i]);
    }
  }
});
