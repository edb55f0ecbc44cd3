// The 95% intervals of the divergence tables (docs/design.md §5): a fraction of runs that diverged
// gets Wilson's score interval, which stays inside [0, 1] and is not empty at 0 of n, where the normal
// approximation is; a mean gets a percentile bootstrap over the runs; and two optimizers run on the
// same instances are compared pair by pair (a bootstrap of the mean difference that resamples within
// each test problem, and McNemar's exact test on the instances where only one of them diverged).
import type { Rng } from '../src/random.ts';
import { quantile } from '../src/vector.ts';
import { BOOTSTRAP_RESAMPLES } from '../src/evaluate/paired-difference.ts';

export { bootstrapMean } from '../src/evaluate/paired-difference.ts';

export interface Interval {
  low: number;
  high: number;
}

const Z95 = 1.959963984540054;

/** Wilson's 95% score interval for a binomial proportion of `successes` in `n` trials. */
export function wilsonInterval(successes: number, n: number): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Mean over all pairs of (value − reference), pairs grouped by test problem, with a 95% bootstrap
 * interval that resamples pairs within each group, so every resample keeps each problem's share.
 */
export function stratifiedPairedDifference(groups: readonly { values: readonly number[]; reference: readonly number[] }[], rng: Rng, resamples = BOOTSTRAP_RESAMPLES): Interval & { mean: number } {
  const differences = groups.map((g) => {
    if (g.values.length !== g.reference.length || g.values.length === 0) throw new Error(`paired difference needs two equally long, non-empty samples (got ${g.values.length} and ${g.reference.length})`);
    return g.values.map((v, i) => v - g.reference[i]);
  });
  const n = differences.reduce((sum, d) => sum + d.length, 0);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (const d of differences) for (let i = 0; i < d.length; i++) total += d[rng.int(d.length)];
    means[r] = total / n;
  }
  return { mean: differences.flat().reduce((a, b) => a + b, 0) / n, low: quantile(means, 0.025), high: quantile(means, 0.975) };
}

/**
 * McNemar's exact two-sided test: of the `onlyA + onlyB` discordant pairs, the chance under "A and B
 * diverge equally often" (each discordant pair is A's with probability ½) of a split at least as
 * uneven as the one seen.
 */
export function mcnemarExactP(onlyA: number, onlyB: number): number {
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  // P(X ≤ k) for X ~ Binomial(n, ½), summed in logs so that n in the hundreds does not overflow.
  let logChoose = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logChoose += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logChoose - n * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}
