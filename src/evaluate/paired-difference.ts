// Whether one optimizer's lower mean is more than luck of the draw: both ran on the same instances
// from the same x0, so the per-instance differences are paired, and a percentile bootstrap over the
// instances gives an interval for their mean without assuming they are normal (a few runs that walk
// away make them heavy-tailed).
import type { Rng } from '../random.ts';
import { mean, quantile } from '../vector.ts';

export interface PairedDifference {
  /** Mean over instances of (this run's value − the other's). */
  mean: number;
  /** The central 95% bootstrap interval of that mean. */
  low: number;
  high: number;
}

export const BOOTSTRAP_RESAMPLES = 2000;

export function pairedDifference(values: readonly number[], reference: readonly number[], rng: Rng, resamples = BOOTSTRAP_RESAMPLES): PairedDifference {
  if (values.length !== reference.length || values.length === 0) {
    throw new Error(`paired difference needs two equally long, non-empty samples (got ${values.length} and ${reference.length})`);
  }
  return bootstrapMean(values.map((v, i) => v - reference[i]), rng, resamples);
}

/** The mean of `values` and its central 95% percentile-bootstrap interval over them. */
export function bootstrapMean(values: readonly number[], rng: Rng, resamples = BOOTSTRAP_RESAMPLES): PairedDifference {
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += values[rng.int(n)];
    means[r] = total / n;
  }
  return { mean: mean(values), low: quantile(means, 0.025), high: quantile(means, 0.975) };
}
