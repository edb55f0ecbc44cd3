// Step 3 of docs/design.md §2: the global policy, linearized around one condition's samples. Per
// step t, the policy's mean actions at the sample states are regressed on the teacher state with a
// normal-inverse-Wishart prior from a Gaussian mixture over all of the condition's (s, μ_θ) pairs,
// because there are far fewer samples than state dimensions.
import { Matrix } from '../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import type { Rng } from '../random.ts';
import { GaussianMixture } from './gaussian-mixture.ts';
import { fitConditionalGaussian } from './gaussian-fit.ts';

// A warm start follows a policy that one distillation moved a little: 8 EM iterations instead of up
// to 30 leave the logreg default's held-out scores equal to 6 digits, and its policy phase went from
// 7.2 to 5.7 s per iteration with 1 worker (docs/performance.md); many warm fits used to stop at the
// cap of 30 unconverged.
const WARM_EM_ITERATIONS = 8;

function rowsOf(states: Float64Array[], actions: Float64Array[]): Matrix {
  const dX = states[0].length;
  const dU = actions[0].length;
  const rows = new Matrix(states.length, dX + dU);
  states.forEach((s, i) => {
    rows.data.set(s, i * (dX + dU));
    rows.data.set(actions[i], i * (dX + dU) + dX);
  });
  return rows;
}

/**
 * `states[n][t]`, `policyMeans[n][t]` for the samples of one condition; `variance` is the diagonal
 * of the policy's own covariance, added to the regression's residual covariance.
 */
export function linearizePolicy(
  states: Float64Array[][],
  policyMeans: Float64Array[][],
  variance: Float64Array,
  rng: Rng,
  options: { clusters: number; ridge: number },
  mixture: GaussianMixture = new GaussianMixture(),
  warmStart = true,
): LinearGaussianPolicy {
  const N = states.length;
  const T = states[0].length;
  const dX = states[0][0].length;
  const dU = variance.length;
  mixture.fit(rowsOf(states.flat(), policyMeans.flat()), Math.max(1, Math.min(options.clusters, Math.floor((N * T) / 20))), rng, { maxIterations: 30, warmStart, maxWarmIterations: WARM_EM_ITERATIONS });
  const K: Matrix[] = [];
  const k: Float64Array[] = [];
  const covariance: Matrix[] = [];
  for (let t = 0; t < T; t++) {
    const rows = rowsOf(
      states.map((s) => s[t]),
      policyMeans.map((m) => m[t]),
    );
    const fit = fitConditionalGaussian(rows, dX, dU, { prior: mixture.inference(rows), inputRidge: options.ridge });
    K.push(fit.K);
    k.push(fit.k);
    const S = fit.covariance.clone();
    for (let i = 0; i < dU; i++) S.data[i * dU + i] += variance[i];
    covariance.push(S.symmetrize());
  }
  return new LinearGaussianPolicy(K, k, covariance);
}
