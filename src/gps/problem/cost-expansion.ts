// The quadratic cost model of each step for the LQR: step t's action u_t makes x_{t+1} = x_t + u_t,
// and its cost is f(x_t + u_t), expanded to second order around every sample's own x̄_{t+1} (value and
// gradient as the run evaluated them, Hessian by forward differences of the gradient) as a quadratic
// in z = [s; u] about the origin, and averaged over the samples (as cbfinn/gps does). Expanded there,
// the model is exact at the samples' actions; around x̄_t it would extrapolate the gradient over the
// whole step, off by about 100% at a first step of gradient descent on logreg. A cost on f(x_t) alone
// would leave the last action uncosted (docs/design.md §2 step 2).
// The Hessian is kept as it is, indefinite or not: for non-convex objectives only the KL terms keep
// Q_uu positive definite, and the LQR raises η when they do not (docs/design.md §2 pitfall 1).
import { Matrix } from '../../linalg/matrix.ts';
import type { Objective } from '../../../envs/objective.ts';
import type { QuadraticCost } from '../lqr.ts';
import { Rng } from '../../random.ts';

/**
 * H at x by forward differences of ∇f. A minibatch objective (one with `resample`) draws a new batch
 * at every evaluate, and a difference of two batches' gradients over h is batch noise × 1e6: both
 * sides of every difference are then taken on one batch, resampled from `batchSeed`.
 */
export function hessianByDifferences(objective: Objective, x: Float64Array, gradient: Float64Array, batchSeed = 'hessian'): Matrix {
  const d = x.length;
  const H = new Matrix(d, d);
  const resample = objective.resample?.bind(objective);
  const gradientAt = resample ? (p: Float64Array) => resample(p, new Rng(batchSeed)).gradient : (p: Float64Array) => objective.evaluate(p).gradient;
  const base = resample ? gradientAt(x) : gradient;
  for (let j = 0; j < d; j++) {
    const h = 1e-6 * Math.max(1, Math.abs(x[j]));
    const shifted = Float64Array.from(x);
    shifted[j] += h;
    const g = gradientAt(shifted);
    for (let i = 0; i < d; i++) H.set(i, j, (g[i] - base[i]) / h);
  }
  return H.symmetrize();
}

/**
 * `iterates[n][t]` = x_t of sample n and `gradients[n][t]` = ∇f(x_t), t = 0..T; `nextValues[n][t]` =
 * f(x_{t+1}), t < T. The action dimension is the iterate's. Returns C_t, c_t over z = [s; u] with
 * dim(s) = dX: step t's cost f(x_t + u_t), scaled by `weights[t]` when given (the meta-objective's
 * weight of f(x_{t+1}), step-weights.ts actionWeights).
 */
export function expandCost(objective: Objective, iterates: Float64Array[][], nextValues: Float64Array[], gradients: Float64Array[][], dX: number, weights?: Float64Array): QuadraticCost {
  const N = iterates.length;
  const T = nextValues[0].length;
  const d = objective.dim;
  const dZ = dX + d;
  const C: Matrix[] = [];
  const c: Float64Array[] = [];
  const constant = new Float64Array(T);
  // y = x + u, the next iterate, reads z at x's entries (s's first d) and at u's (from dX on).
  const at = [0, dX];
  for (let t = 0; t < T; t++) {
    const Ct = new Matrix(dZ, dZ);
    const ct = new Float64Array(dZ);
    for (let n = 0; n < N; n++) {
      const next = iterates[n][t + 1]; // ȳ = x̄_t + ū_t, where the sample's action took it
      const g = gradients[n][t + 1];
      const H = hessianByDifferences(objective, next, g, `hessian/${n}/${t + 1}`);
      let yHy = 0;
      let gy = 0;
      // f(ȳ) + gᵀ(y − ȳ) + ½(y − ȳ)ᵀH(y − ȳ) = ½yᵀHy + yᵀ(g − Hȳ) + const, with y = x + u.
      for (let i = 0; i < d; i++) {
        let Hy = 0;
        for (let j = 0; j < d; j++) {
          const h = H.data[i * d + j] / N;
          for (const a of at) for (const b of at) Ct.data[(a + i) * dZ + b + j] += h;
          Hy += H.data[i * d + j] * next[j];
        }
        for (const a of at) ct[a + i] += (g[i] - Hy) / N;
        yHy += next[i] * Hy;
        gy += g[i] * next[i];
      }
      constant[t] += (nextValues[n][t] - gy + 0.5 * yHy) / N;
    }
    const w = weights ? weights[t] : 1;
    if (w !== 1) {
      for (let i = 0; i < Ct.data.length; i++) Ct.data[i] *= w;
      for (let i = 0; i < ct.length; i++) ct[i] *= w;
      constant[t] *= w;
    }
    C.push(Ct.symmetrize());
    c.push(ct);
  }
  return { C, c, constant };
}
