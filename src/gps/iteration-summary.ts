// One line per GPS iteration, as the CLI and the experiments print it.
import type { GpsConfig, IterationLog } from './badmm.ts';
import type { BestPolicy } from './checkpoint.ts';
import { mean, median } from '../vector.ts';

/** The iteration's costs, held-out score, KL and dual variables, and where its time went. */
export function describeIteration(log: IterationLog, config: GpsConfig, best: BestPolicy | undefined): string {
  const t = log.timing;
  const heldOut = log.validation === undefined || best === undefined ? '' : `held-out final f ${log.validation.toPrecision(4)} (best ${best.validation.toPrecision(4)} after iteration ${best.iteration}), `;
  return (
    `iteration ${log.iteration + 1}/${config.iterations}: teacher cost ${mean(log.teacherCost).toPrecision(4)}, ` +
    `policy cost ${mean(log.policyCost).toPrecision(4)}, ${heldOut}KL(p‖π̄) ${median(log.klTeacherPolicy).toPrecision(3)}, ` +
    `η ${median(log.eta).toPrecision(3)}, ν ${median(log.nu).toPrecision(3)} (medians); ${log.seconds.toFixed(1)} s ` +
    `(sampling ${t.sampling.toFixed(1)}, dynamics ${t.dynamics.toFixed(1)}, LQR ${t.lqr.toFixed(1)}, policy ${t.policy.toFixed(1)})`
  );
}
