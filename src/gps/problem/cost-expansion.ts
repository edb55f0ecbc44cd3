// The quadratic cost model of each step for the LQR: step t's action u_t makes x_{t+1} = x_t + u_t,
// and its cost is f(x_t + u_t), expanded to second order around every sample's x̄_t (gradient exact,
// Hessian by forward differences of the gradient) as a quadratic in z = [s; u] about the origin and
// averaged over the samples (as cbfinn/gps does). A cost on f(x_t) alone would leave the last action
// uncosted: the teachers' last step would never move from the first teacher's, and the 'final'
// meta-objective would weigh f(x_{T−1}) (docs/design.md §2 step 2).
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
 * `iterates[n][t]` = x_t of sample n, `values[n][t]` = f(x_t), `gradients[n][t]` = ∇f(x_t); the
 * action dimension is the iterate's. Returns C_t, c_t over z = [s; u] with dim(s) = dX: step t's cost
 * f(x_t + u_t), scaled by `weights[t]` when given (the meta-objective's weight of f(x_{t+1}),
 * step-weights.ts actionWeights).
 */
export function expandCost(objective: Objective, iterates: Float64Array[][], values: Float64Array[], gradients: Float64Array[][], dX: number, weights?: Float64Array): QuadraticCost {
  const N = iterates.length;
  const T = iterates[0].length;
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
      const x = iterates[n][t];
      const g = gradients[n][t];
      const H = hessianByDifferences(objective, x, g, `hessian/${n}/${t}`);
      let xHx = 0;
      let gx = 0;
      // f(x̄) + gᵀ(y − x̄) + ½(y − x̄)ᵀH(y − x̄) = ½yᵀHy + yᵀ(g − Hx̄) + const, with y = x + u.
      for (let i = 0; i < d; i++) {
        let Hx = 0;
        for (let j = 0; j < d; j++) {
          const h = H.data[i * d + j] / N;
          for (const a of at) for (const b of at) Ct.data[(a + i) * dZ + b + j] += h;
          Hx += H.data[i * d + j] * x[j];
        }
        for (const a of at) ct[a + i] += (g[i] - Hx) / N;
        xHx += x[i] * Hx;
        gx += g[i] * x[i];
      }
      constant[t] += (values[n][t] - gx + 0.5 * xHx) / N;
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
