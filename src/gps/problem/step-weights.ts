// The meta-objective as weights ω_t on f(x_t) (src/meta-objective.ts), for the GPS cost models:
// the LQR needs a per-step quadratic cost, so the rate's log(f − f*) enters by its linearization at
// the samples, ω_t·f(x_t) with ω_t = 1/(f̄_t − f*) (f̄_t: the samples' mean at step t), just as the
// sum enters as f(x_t) itself. The rate's weights are scaled to mean 1, like the sum's: a constant
// factor leaves the meta-objective's minimizer alone, and keeps the cost on the scale the KL terms
// and ν were tuned against.
import type { Objective } from '../../../envs/objective.ts';
import { UserError } from '../../errors.ts';
import { optimalityGap, startAgainstMinimum, type MetaObjective } from '../../meta-objective.ts';

/** ω_t, t = 0..T−1, from the samples' values f(x_t) (`values[n][t]`, read by the rate only): the weight of step t's f in the meta-objective. */
export function stepWeights(metaObjective: MetaObjective, T: number, objective: Objective, values: Float64Array[]): Float64Array {
  const weights = new Float64Array(T);
  if (metaObjective === 'sum') return weights.fill(1);
  if (metaObjective === 'final') {
    weights[T - 1] = 1;
    return weights;
  }
  const minimum = objective.minimum ?? 0;
  const mean = (t: number) => values.reduce((s, v) => s + v[t], 0) / values.length;
  const start = startAgainstMinimum(mean(0), minimum);
  if (start === 'below') {
    const known = objective.minimum === undefined ? ' (taken as 0: the family states no minimum)' : '';
    throw new UserError(`the rate meta-objective needs f(x0) at or above the minimum f*, but ${objective.name} starts at f = ${mean(0)} with f* = ${minimum}${known}; use --meta-objective sum or final`);
  }
  // A condition that starts at its minimum has no log-gap; every step away from it costs as under
  // the sum (a zero cost would leave its teacher to the KL terms alone).
  if (start === 'at') return weights.fill(1);
  const startGap = mean(0) - minimum;
  let total = 0;
  for (let t = 0; t < T; t++) {
    weights[t] = 1 / optimalityGap(mean(t), minimum, startGap);
    total += weights[t];
  }
  for (let t = 0; t < T; t++) weights[t] *= T / total;
  return weights;
}

/** Σ_{u>t} ω_u for t = 0..T−1 with ω over u = 1..T: the weight of the change f(x_{t+1}) − f(x_t), which every later f(x_u) carries (ω_T: ω_{T−1}'s, the samples end at T−1). */
export function suffixWeights(metaObjective: MetaObjective, T: number, objective: Objective, values: Float64Array[]): Float64Array {
  const omega = stepWeights(metaObjective, T, objective, values);
  const suffix = new Float64Array(T);
  if (metaObjective === 'final') return suffix.fill(1);
  // ω_u for u = 1..T: the samples' ω_1..ω_{T−1}, and ω_T ≈ ω_{T−1}.
  let running = T > 1 ? omega[T - 1] : omega[0];
  for (let t = T - 1; t >= 0; t--) {
    suffix[t] = running;
    if (t >= 1) running += omega[t];
  }
  return suffix;
}

/**
 * The full-state cost's weights, t = 0..T−1: the weight of f(x_{t+1}), the iterate step t's action
 * makes (so the last action is costed by f(x_T), and f(x_0), which no action changes, by nothing).
 * `values[n]` holds f(x_0..x_T). The sum's are 1, the final value's f(x_T)'s alone, and the rate's
 * 1/(f̄_{t+1} − f*), scaled to mean 1.
 */
export function actionWeights(metaObjective: MetaObjective, T: number, objective: Objective, values: Float64Array[]): Float64Array {
  // stepWeights over the T + 1 iterates x_0..x_T, without x_0's.
  const next = stepWeights(metaObjective, T + 1, objective, values).subarray(1);
  if (metaObjective !== 'rate') return Float64Array.from(next);
  const total = next.reduce((a, b) => a + b, 0);
  return next.map((w) => (w * T) / total);
}
