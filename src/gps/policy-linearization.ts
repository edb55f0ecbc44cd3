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

// The mixture is only the per-step regressions' prior, and a sample's consecutive steps are nearly
// the same point: per coordinate at T = 400 (5 rollouts × 32 coordinates × 400 steps = 64,000 rows
// per parameter group) its EM took 54 s of a 145 s profile of one iteration and its set-up. It is
// fitted on every s-th sample, all of that sample's steps, at most this many rows; the defaults
// (logreg 800, per coordinate 6,400) fit on all of them (docs/performance.md).
export const MIXTURE_ROWS = 8000;

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
  const stride = Math.ceil((N * T) / MIXTURE_ROWS);
  const kept = (_: unknown, n: number) => n % stride === 0;
  const fitted = rowsOf(states.filter(kept).flat(), policyMeans.filter(kept).flat());
  mixture.fit(fitted, Math.max(1, Math.min(options.clusters, Math.floor(fitted.rows / 20))), rng, { maxIterations: 30, warmStart, maxWarmIterations: WARM_EM_ITERATIONS });
  const K: Matrix[] = [];
  const k: Float64Array[] = [];
  const covariance: Matrix[] = [];
  const steps = Array.from({ length: T }, (_, t) =>
    rowsOf(
      states.map((s) => s[t]),
      policyMeans.map((m) => m[t]),
    ),
  );
  const priors = mixture.inferenceAll(steps);
  for (let t = 0; t < T; t++) {
    const fit = fitConditionalGaussian(steps[t], dX, dU, { prior: priors[t], inputRidge: options.ridge });
    K.push(fit.K);
    k.push(fit.k);
    const S = fit.covariance.clone();
    for (let i = 0; i < dU; i++) S.data[i * dU + i] += variance[i];
    covariance.push(S.symmetrize());
  }
  return new LinearGaussianPolicy(K, k, covariance);
}
