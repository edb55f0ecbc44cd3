// The quadratic cost model of each step for the LQR: c(s_t) = f(x_t) expanded to second order
// around every sample (gradient exact, Hessian by forward differences of the gradient), rewritten
// as a quadratic in z = [s; u] about the origin and averaged over the samples (as cbfinn/gps does).
// The Hessian is kept as it is, indefinite or not: for non-convex objectives only the KL terms keep
// Q_uu positive definite, and the LQR raises η when they do not (docs/design.md §2 pitfall 1).
import { Matrix } from '../../linalg/matrix.ts';
import type { Objective } from '../../../envs/objective.ts';
import type { QuadraticCost } from '../lqr.ts';

export function hessianByDifferences(objective: Objective, x: Float64Array, gradient: Float64Array): Matrix {
  const d = x.length;
  const H = new Matrix(d, d);
  for (let j = 0; j < d; j++) {
    const h = 1e-6 * Math.max(1, Math.abs(x[j]));
    const shifted = Float64Array.from(x);
    shifted[j] += h;
    const g = objective.evaluate(shifted).gradient;
    for (let i = 0; i < d; i++) H.set(i, j, (g[i] - gradient[i]) / h);
  }
  return H.symmetrize();
}

/**
 * `iterates[n][t]` = x_t of sample n, `values[n][t]` = f(x_t), `gradients[n][t]` = ∇f(x_t); the
 * action dimension is the iterate's. Returns C_t, c_t over z = [s; u] with dim(s) = dX, step t's
 * scaled by `weights[t]` when given (the meta-objective's ω_t, step-weights.ts).
 */
export function expandCost(objective: Objective, iterates: Float64Array[][], values: Float64Array[], gradients: Float64Array[][], dX: number, weights?: Float64Array): QuadraticCost {
  const N = iterates.length;
  const T = iterates[0].length;
  const d = objective.dim;
  const dZ = dX + d;
  const C: Matrix[] = [];
  const c: Float64Array[] = [];
  const constant = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const Ct = new Matrix(dZ, dZ);
    const ct = new Float64Array(dZ);
    for (let n = 0; n < N; n++) {
      const x = iterates[n][t];
      const g = gradients[n][t];
      const H = hessianByDifferences(objective, x, g);
      let xHx = 0;
      let gx = 0;
      // f(x̄) + gᵀ(x − x̄) + ½(x − x̄)ᵀH(x − x̄) = ½xᵀHx + xᵀ(g − Hx̄) + const; x is s's first d entries.
      for (let i = 0; i < d; i++) {
        let Hx = 0;
        for (let j = 0; j < d; j++) {
          Ct.data[i * dZ + j] += H.data[i * d + j] / N;
          Hx += H.data[i * d + j] * x[j];
        }
        ct[i] += (g[i] - Hx) / N;
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
