// Trajectory optimization of one condition's teacher: an LQR backward pass on a quadratic cost
// under a KL bound to the previous teacher, with the BADMM coupling to the global policy
// (docs/design.md §2 step 4). Costs are quadratic in z = [x; u]:
// c_t(z) ≈ ½ zᵀ C_t z + zᵀ c_t (+ const).
import { Matrix, matmul, matmulTN, matVec, matTVec } from '../linalg/matrix.ts';
import { cholesky, choleskySolve, NotPositiveDefiniteError } from '../linalg/cholesky.ts';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import { productNT } from '../kernels/float64-kernels.ts';
import type { LinearDynamics } from './dynamics.ts';

export interface QuadraticCost {
  C: Matrix[];
  c: Float64Array[];
  /** The constant of each step's model; needed only to compare expected costs across models. */
  constant?: Float64Array;
}

/** The BADMM terms that pull a teacher towards the linearized global policy π̄ (docs/design.md §2 steps 5–6). */
export interface PolicyCoupling {
  /** π̄_t(u|x) = N(K^π_t x + k^π_t, Σ^π_t). */
  policy: LinearGaussianPolicy;
  /** ν_t ≥ 0, the weight of KL(p ‖ π̄) at each step. */
  weights: Float64Array;
  /** λ_t = (Λ_t, l_t): the multipliers on the teacher's mean action Λ_t x + l_t. */
  lambdaK: Matrix[];
  lambdak: Float64Array[];
}

/**
 * −log N(u; Kx + k, Σ) as a quadratic in z = [x; u], dropping constants:
 * M = [[KᵀPK, −KᵀP], [−PK, P]], v = [KᵀPk; −Pk] with P = Σ⁻¹.
 */
function gaussianPenalty(K: Matrix, k: Float64Array, P: Matrix): { M: Matrix; v: Float64Array } {
  const dX = K.cols;
  const dU = K.rows;
  const PK = matmul(P, K);
  const M = new Matrix(dX + dU, dX + dU);
  M.setBlock(0, 0, matmulTN(K, PK).symmetrize());
  M.setBlock(0, dX, PK.transpose().scale(-1));
  M.setBlock(dX, 0, PK.clone().scale(-1));
  M.setBlock(dX, dX, P);
  const Pk = matVec(P, k);
  const v = new Float64Array(dX + dU);
  v.set(matTVec(K, Pk), 0);
  for (let i = 0; i < dU; i++) v[dX + i] = -Pk[i];
  return { M, v };
}

/** The η-independent penalties of mixedCost, computed once per trajectory optimization rather than per η tried. */
export interface Penalties {
  previous: { M: Matrix; v: Float64Array }[];
  policy: ({ M: Matrix; v: Float64Array } | null)[];
}

export function penalties(previous: LinearGaussianPolicy, coupling: PolicyCoupling | null): Penalties {
  return {
    previous: previous.K.map((K, t) => gaussianPenalty(K, previous.k[t], previous.precision[t])),
    policy: previous.K.map((_, t) => (coupling && coupling.weights[t] > 0 ? gaussianPenalty(coupling.policy.K[t], coupling.policy.k[t], coupling.policy.precision[t]) : null)),
  };
}

/** Writes step t's cost into the upper triangle of Q (n×n, row-major) and into q. */
type StepCost = (t: number, Q: Float64Array, q: Float64Array) => void;

/** A quadratic cost as it is (C_t symmetrized). */
function plainCost(cost: QuadraticCost): StepCost {
  return (t, Q, q) => {
    const C = cost.C[t].data;
    const n = cost.C[t].rows;
    for (let a = 0; a < n; a++) {
      Q[a * n + a] = C[a * n + a];
      for (let b = a + 1; b < n; b++) Q[a * n + b] = 0.5 * (C[a * n + b] + C[b * n + a]);
    }
    q.set(cost.c[t]);
  };
}

/**
 * The cost the backward pass sees at η: (C − λ terms + η·M_prev + ν_t·M_π) / (η + ν_t). Dividing by
 * (η + ν_t) makes the entropy coefficient 1, so the optimal action covariance is Q_uu⁻¹. Written
 * straight into the pass's buffers: building the T mixed matrices per η tried was a sixth of an
 * optimization, in allocations.
 */
function mixedCost(cost: QuadraticCost, previous: LinearGaussianPolicy, eta: number, coupling: PolicyCoupling | null, terms: Penalties): StepCost {
  const { dX, dU } = previous;
  const n = dX + dU;
  return (t, Q, q) => {
    const C = cost.C[t].data;
    const prev = terms.previous[t];
    const Mp = prev.M.data;
    const nu = coupling ? coupling.weights[t] : 0;
    const pol = coupling && nu > 0 ? terms.policy[t] : null;
    const scale = 1 / (eta + nu);
    for (let a = 0; a < n; a++) {
      for (let b = a; b < n; b++) {
        let v = 0.5 * (C[a * n + b] + C[b * n + a]) + eta * 0.5 * (Mp[a * n + b] + Mp[b * n + a]);
        if (pol) v += nu * 0.5 * (pol.M.data[a * n + b] + pol.M.data[b * n + a]);
        Q[a * n + b] = v;
      }
      q[a] = cost.c[t][a] + eta * prev.v[a] + (pol ? nu * pol.v[a] : 0);
    }
    if (coupling) {
      // −uᵀ(Λx + l): the cross block −Λᵀ (x, u) in the upper triangle, linear term −l on u.
      const L = coupling.lambdaK[t].data;
      for (let i = 0; i < dU; i++) {
        q[dX + i] -= coupling.lambdak[t][i];
        for (let j = 0; j < dX; j++) Q[j * n + dX + i] -= L[i * dX + j];
      }
    }
    for (let a = 0; a < n; a++) {
      for (let b = a; b < n; b++) Q[a * n + b] *= scale;
      q[a] *= scale;
    }
  };
}

/** The transpose of a rows×cols row-major matrix, into `out`. */
function transposed(a: Float64Array, rows: number, cols: number, out: Float64Array): Float64Array {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * Dynamic programming from t = T−1 down to 0. `valueScale(t)` multiplies the value function carried
 * from t+1 into t: (η + ν_{t+1})/(η + ν_t) when each step's cost was divided by (η + ν_t).
 * Throws NotPositiveDefiniteError when some Q_uu is not positive definite.
 *
 * The products run on the float64 wasm kernel (docs/design.md §4) into flat buffers allocated once
 * per pass: allocating and zeroing the intermediate matrices was a third of the pass's time at the
 * logreg default. Q is built in its upper triangle, then mirrored.
 */
export function backwardPass(dynamics: LinearDynamics, cost: QuadraticCost, valueScale: (t: number) => number = () => 1): LinearGaussianPolicy {
  return backwardPassOf(dynamics, cost.C.length, cost.C[0].rows, plainCost(cost), valueScale);
}

function backwardPassOf(dynamics: LinearDynamics, T: number, n: number, stepCost: StepCost, valueScale: (t: number) => number): LinearGaussianPolicy {
  const dX = dynamics.x0Mean.length;
  const dU = n - dX;
  const K: Matrix[] = new Array(T);
  const k: Float64Array[] = new Array(T);
  const precision: Matrix[] = new Array(T);
  const Vxx = new Float64Array(dX * dX);
  const Vx = new Float64Array(dX);
  const FtBuffer = new Float64Array(n * dX);
  const FtV = new Float64Array(n * dX);
  const FVF = new Float64Array(n * n);
  const next = new Float64Array(dX);
  const Q = new Float64Array(n * n);
  const q = new Float64Array(n);
  for (let t = T - 1; t >= 0; t--) {
    // Q = C_t + s·Fᵀ·Vxx·F, q = c_t + s·Fᵀ(Vxx·f + Vx) (C_t's upper triangle, then the mirror)
    stepCost(t, Q, q);
    if (t < T - 1) {
      const F = dynamics.F[t].data;
      const f = dynamics.f[t];
      const s = valueScale(t);
      // Fᵀ·Vxx as (n×dX) = Fᵀ·Vxxᵀ, then Fᵀ·(Vxx·F) = (Fᵀ·Vxx)·F: two products with rows along p.
      const Ft = transposed(F, dX, n, FtBuffer);
      productNT(Ft, Vxx, n, dX, dX, FtV);
      productNT(Ft, FtV, n, n, dX, FVF);
      for (let a = 0; a < n; a++) for (let b = a; b < n; b++) Q[a * n + b] += s * 0.5 * (FVF[a * n + b] + FVF[b * n + a]);
      for (let i = 0; i < dX; i++) {
        let v = Vx[i];
        for (let p = 0; p < dX; p++) v += Vxx[i * dX + p] * f[p];
        next[i] = s * v;
      }
      for (let p = 0; p < dX; p++) {
        const v = next[p];
        const fp = p * n;
        for (let a = 0; a < n; a++) q[a] += F[fp + a] * v;
      }
    }
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) Q[b * n + a] = Q[a * n + b];
    const Quu = new Matrix(dU, dU);
    const Qux = new Matrix(dU, dX);
    for (let i = 0; i < dU; i++) {
      Quu.data.set(Q.subarray((dX + i) * n + dX, (dX + i + 1) * n), i * dU);
      Qux.data.set(Q.subarray((dX + i) * n, (dX + i) * n + dX), i * dX);
    }
    const L = cholesky(Quu);
    K[t] = choleskySolve(L, Qux).scale(-1);
    k[t] = choleskySolve(L, Matrix.column(q.subarray(dX))).data.map((v) => -v);
    precision[t] = Quu;
    // V = Q_xx + Q_xu K (symmetric), v = q_x + Q_xu k
    const Kt = K[t].data;
    const kt = k[t];
    for (let i = 0; i < dX; i++) {
      const qi = i * n;
      for (let j = 0; j < dX; j++) {
        let v = Q[qi + j];
        for (let u = 0; u < dU; u++) v += Q[qi + dX + u] * Kt[u * dX + j];
        Vxx[i * dX + j] = v;
      }
      let v = q[i];
      for (let u = 0; u < dU; u++) v += Q[qi + dX + u] * kt[u];
      Vx[i] = v;
    }
    for (let i = 0; i < dX; i++) {
      for (let j = 0; j < i; j++) {
        const v = 0.5 * (Vxx[i * dX + j] + Vxx[j * dX + i]);
        Vxx[i * dX + j] = v;
        Vxx[j * dX + i] = v;
      }
    }
  }
  return LinearGaussianPolicy.fromPrecision(K, k, precision);
}

export interface StateActionMarginals {
  /** Mean of z_t = [x_t; u_t]. */
  means: Float64Array[];
  /** Covariance of z_t. */
  covariances: Matrix[];
}

/**
 * The state marginals N(x̄_t, Σx_t) under `policy`, propagated through the fitted dynamics: all the
 * η search's KL needs (forwardPass adds the actions). The next covariance F·S·Fᵀ is formed in closed
 * loop, A·Σx·Aᵀ + F_u·Σ_u·F_uᵀ + W with A = F_x + F_u·K, the same matrix in a third fewer products.
 */
export function stateMarginals(dynamics: LinearDynamics, policy: LinearGaussianPolicy): { means: Float64Array[]; covariances: Matrix[] } {
  const { T, dX, dU } = policy;
  const n = dX + dU;
  const means: Float64Array[] = [];
  const covariances: Matrix[] = [];
  let mx: Float64Array = Float64Array.from(dynamics.x0Mean);
  let Sx = Float64Array.from(dynamics.x0Covariance.data);
  const A = new Float64Array(dX * dX);
  const AS = new Float64Array(dX * dX);
  const ASA = new Float64Array(dX * dX);
  const FuS = new Float64Array(dX * dU);
  const mu = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    means.push(mx);
    covariances.push(new Matrix(dX, dX, Sx));
    if (t === T - 1) break;
    const Kt = policy.K[t].data;
    const Su = policy.covariance[t].data;
    const F = dynamics.F[t].data;
    const W = dynamics.covariance[t].data;
    // A = F_x + F_u K
    for (let i = 0; i < dX; i++) {
      for (let j = 0; j < dX; j++) {
        let v = F[i * n + j];
        for (let u = 0; u < dU; u++) v += F[i * n + dX + u] * Kt[u * dX + j];
        A[i * dX + j] = v;
      }
    }
    // (A·Σx)·Aᵀ as two products with rows along p (Σx is symmetric: A·Σx = A·Σxᵀ).
    productNT(A, Sx, dX, dX, dX, AS);
    productNT(AS, A, dX, dX, dX, ASA);
    for (let i = 0; i < dX; i++) {
      for (let u = 0; u < dU; u++) {
        let v = 0;
        for (let w = 0; w < dU; w++) v += F[i * n + dX + w] * Su[w * dU + u];
        FuS[i * dU + u] = v;
      }
    }
    const nextS = new Float64Array(dX * dX);
    for (let i = 0; i < dX; i++) {
      for (let j = i; j < dX; j++) {
        let v = 0.5 * (ASA[i * dX + j] + ASA[j * dX + i]);
        for (let u = 0; u < dU; u++) v += FuS[i * dU + u] * F[j * n + dX + u];
        v += 0.5 * (W[i * dX + j] + W[j * dX + i]);
        nextS[i * dX + j] = v;
        nextS[j * dX + i] = v;
      }
    }
    Sx = nextS;
    // x̄' = F·[x̄; K x̄ + k] + f
    mu.set(mx, 0);
    for (let u = 0; u < dU; u++) {
      let v = policy.k[t][u];
      for (let j = 0; j < dX; j++) v += Kt[u * dX + j] * mx[j];
      mu[dX + u] = v;
    }
    const next = new Float64Array(dX);
    for (let i = 0; i < dX; i++) {
      let v = dynamics.f[t][i];
      for (let j = 0; j < n; j++) v += F[i * n + j] * mu[j];
      next[i] = v;
    }
    mx = next;
  }
  return { means, covariances };
}

/** Propagates the state distribution through the fitted dynamics under `policy`: the joint marginals of z_t = [x_t; u_t]. */
export function forwardPass(dynamics: LinearDynamics, policy: LinearGaussianPolicy): StateActionMarginals {
  const { T, dX, dU } = policy;
  const n = dX + dU;
  const states = stateMarginals(dynamics, policy);
  const means: Float64Array[] = [];
  const covariances: Matrix[] = [];
  const KS = new Float64Array(dU * dX);
  for (let t = 0; t < T; t++) {
    const Kt = policy.K[t].data;
    const mx = states.means[t];
    const Sx = states.covariances[t].data;
    // K·Σx, then the joint covariance [[Σx, (KΣx)ᵀ], [KΣx, KΣxKᵀ + Σ_u]]
    KS.fill(0);
    for (let u = 0; u < dU; u++) {
      for (let p = 0; p < dX; p++) {
        const v = Kt[u * dX + p];
        if (v === 0) continue;
        for (let j = 0; j < dX; j++) KS[u * dX + j] += v * Sx[p * dX + j];
      }
    }
    const S = new Matrix(n, n);
    const Sd = S.data;
    for (let i = 0; i < dX; i++) Sd.set(Sx.subarray(i * dX, (i + 1) * dX), i * n);
    const Su = policy.covariance[t].data;
    for (let u = 0; u < dU; u++) {
      for (let j = 0; j < dX; j++) {
        Sd[(dX + u) * n + j] = KS[u * dX + j];
        Sd[j * n + dX + u] = KS[u * dX + j];
      }
      for (let w = u; w < dU; w++) {
        let v = 0;
        for (let j = 0; j < dX; j++) v += KS[u * dX + j] * Kt[w * dX + j];
        v += 0.5 * (Su[u * dU + w] + Su[w * dU + u]);
        Sd[(dX + u) * n + dX + w] = v;
        Sd[(dX + w) * n + dX + u] = v;
      }
    }
    const mu = new Float64Array(n);
    mu.set(mx, 0);
    for (let u = 0; u < dU; u++) {
      let v = policy.k[t][u];
      for (let j = 0; j < dX; j++) v += Kt[u * dX + j] * mx[j];
      mu[dX + u] = v;
    }
    means.push(mu);
    covariances.push(S);
  }
  return { means, covariances };
}

/** Per-step expected cost E[½zᵀCz + zᵀc] under the marginals (the Laplace estimate used for step sizes). */
export function expectedCost(cost: QuadraticCost, marginals: StateActionMarginals): Float64Array {
  return Float64Array.from(cost.C, (C, t) => {
    const mu = marginals.means[t];
    const Cmu = matVec(C, mu);
    let value = 0;
    for (let i = 0; i < mu.length; i++) value += 0.5 * mu[i] * Cmu[i] + mu[i] * cost.c[t][i];
    let trace = 0;
    const S = marginals.covariances[t];
    for (let i = 0; i < S.data.length; i++) trace += S.data[i] * C.data[i];
    return (cost.constant?.[t] ?? 0) + value + 0.5 * trace;
  });
}

/** Σ_t E_{x_t}[KL(p(·|x_t) ‖ q(·|x_t))] under the state marginals (stateMarginals). */
export function trajectoryKl(p: LinearGaussianPolicy, q: LinearGaussianPolicy, states: { means: Float64Array[]; covariances: Matrix[] }): number {
  let total = 0;
  for (const v of p.expectedKl(q, states.means, states.covariances)) total += v;
  return total;
}

export interface TrajectoryOptimization {
  teacher: LinearGaussianPolicy;
  eta: number;
  /** KL(new ‖ previous) summed over t, under the new marginals. */
  kl: number;
  iterations: number;
  /** How often Q_uu was not positive definite and η had to be raised (docs/design.md §2 pitfall 1). */
  pdFailures: number;
}

export const MIN_ETA = 1e-8;
export const MAX_ETA = 1e16;

/** The teacher at a fixed η, raising η (δ from 1e-4, doubling) until every Q_uu is positive definite. */
export function solveAtEta(
  dynamics: LinearDynamics,
  cost: QuadraticCost,
  previous: LinearGaussianPolicy,
  coupling: PolicyCoupling | null,
  eta: number,
  terms: Penalties = penalties(previous, coupling),
): { teacher: LinearGaussianPolicy; eta: number; pdFailures: number } {
  const nu = (t: number) => (coupling ? coupling.weights[t] : 0);
  let delta = 1e-4;
  let current = eta;
  let pdFailures = 0;
  for (;;) {
    try {
      const teacher = backwardPassOf(dynamics, previous.T, previous.dX + previous.dU, mixedCost(cost, previous, current, coupling, terms), (t) => (current + nu(t + 1)) / (current + nu(t)));
      return { teacher, eta: current, pdFailures };
    } catch (err) {
      if (!(err instanceof NotPositiveDefiniteError)) throw err;
      pdFailures += 1;
      current = eta + delta;
      delta *= 2;
      if (current >= MAX_ETA) throw new Error('LQR: no positive-definite solution even at η = 1e16; the dynamics or cost are badly conditioned');
    }
  }
}

/**
 * Finds η so that KL(new teacher ‖ previous) is within 10% of klBound, by a bracketed geometric
 * search on the dual warm-started at `eta`: KL too small → lower η, too large → raise it.
 */
export function optimizeTrajectory(options: {
  dynamics: LinearDynamics;
  cost: QuadraticCost;
  previous: LinearGaussianPolicy;
  coupling: PolicyCoupling | null;
  eta: number;
  klBound: number;
  maxIterations?: number;
}): TrajectoryOptimization {
  const { dynamics, cost, previous, coupling, klBound } = options;
  const maxIterations = options.maxIterations ?? 50;
  let lower = MIN_ETA;
  let upper = MAX_ETA;
  let eta = Math.min(Math.max(options.eta, MIN_ETA), MAX_ETA);
  let pdFailures = 0;
  let best: TrajectoryOptimization | null = null;
  const terms = penalties(previous, coupling);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const solved = solveAtEta(dynamics, cost, previous, coupling, eta, terms);
    pdFailures += solved.pdFailures;
    if (solved.eta > eta) lower = Math.max(lower, solved.eta); // below this η, Q_uu is indefinite
    eta = solved.eta;
    const kl = trajectoryKl(solved.teacher, previous, stateMarginals(dynamics, solved.teacher));
    const result = { teacher: solved.teacher, eta, kl, iterations: iteration, pdFailures };
    const within = Math.abs(kl - klBound) < 0.1 * klBound;
    // Among candidates prefer one that meets the bound; then the one closest to it.
    if (!best || (kl <= klBound * 1.1 && (best.kl > klBound * 1.1 || Math.abs(kl - klBound) < Math.abs(best.kl - klBound))) || (best.kl > klBound * 1.1 && kl < best.kl)) best = result;
    if (within) return result;
    if (kl < klBound) {
      if (eta <= lower * (1 + 1e-9)) return result; // cannot loosen further
      upper = eta;
      eta = Math.max(Math.sqrt(lower * upper), 0.1 * upper);
    } else {
      lower = eta;
      eta = Math.min(Math.sqrt(lower * upper), 10 * lower);
    }
    if (upper / lower < 1 + 1e-4) break;
  }
  return { ...best!, pdFailures };
}
