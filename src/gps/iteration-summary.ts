// One line per GPS iteration, as the CLI and the experiments print it.
import type { GpsConfig, IterationLog } from './badmm.ts';
import type { BestPolicy } from './checkpoint.ts';
import { mean, median } from '../vector.ts';

/**
 * Of the teachers with a step adjustment this iteration, how many had the model's predicted
 * improvement of their last update agree in sign with the realized one: the LQR's model is only
 * worth its KL steps where it does (log.jsonl keeps both numbers per teacher).
 */
export function describeImprovementSigns(log: IterationLog): string {
  const compared = log.predictedImprovement.map((p, m) => [p, log.actualImprovement[m]]).filter(([p, a]) => Number.isFinite(p) && Number.isFinite(a));
  if (compared.length === 0) return '';
  const agree = compared.filter(([p, a]) => Math.sign(p) === Math.sign(a)).length;
  return `predicted and realized improvement of the same sign for ${agree}/${compared.length} teachers, `;
}

/** The iteration's costs, held-out score, KL and dual variables, and where its time went. */
export function describeIteration(log: IterationLog, config: GpsConfig, best: BestPolicy | undefined): string {
  const t = log.timing;
  const heldOut = log.validation === undefined || best === undefined ? '' : `held-out final f ${log.validation.toPrecision(4)} (best ${best.validation.toPrecision(4)} after iteration ${best.iteration}), `;
  return (
    `iteration ${log.iteration + 1}/${config.iterations}: teacher cost ${mean(log.teacherCost).toPrecision(4)} (without noise ${mean(log.teacherMeanCost).toPrecision(4)}), ` +
    `policy cost ${mean(log.policyCost).toPrecision(4)}, ${heldOut}${describeImprovementSigns(log)}KL(p‖π̄) ${median(log.klTeacherPolicy).toPrecision(3)}, ` +
    `η ${median(log.eta).toPrecision(3)}, ν ${median(log.nu).toPrecision(3)} (medians); ${log.seconds.toFixed(1)} s ` +
    `(sampling ${t.sampling.toFixed(1)}, dynamics ${t.dynamics.toFixed(1)}, LQR ${t.lqr.toFixed(1)}, policy ${t.policy.toFixed(1)})`
  );
}
