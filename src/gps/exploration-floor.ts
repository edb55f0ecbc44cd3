// The exploration floor (--exploration-floor, docs/gps.md): the LQR shrinks the teachers' action
// variance from iteration to iteration, and each iteration's samples then cover a narrower tube
// around the teachers' paths than the policy meets on held-out problems.
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';

/**
 * The teacher with each action variance at step t raised to at least (floor · RMS of the sampled
 * actions at t)²: only the diagonal grows, so the covariance stays positive definite.
 */
export function withExplorationFloor(teacher: LinearGaussianPolicy, actions: Float64Array[][], floor: number): LinearGaussianPolicy {
  const { dU } = teacher;
  const covariance = teacher.covariance.map((S, t) => {
    const raised = S.clone();
    for (let i = 0; i < dU; i++) {
      let square = 0;
      for (const run of actions) square += run[t][i] ** 2;
      const minimum = floor * floor * (square / actions.length);
      const d = raised.data[i * dU + i];
      if (d < minimum) raised.data[i * dU + i] = minimum;
    }
    return raised;
  });
  return new LinearGaussianPolicy(teacher.K, teacher.k, covariance);
}
