// Several independent GPS trainings of one setting, and what is kept of them: the library side of
// `l2o train --restarts K --combine best|mean` (train-restarts.ts runs them in OUT/restart-k)
// and of the experiments' GPS stages. Why the full state trains three and keeps their mean by
// default: docs/gps.md, session 42.

/** The choices of `--combine`. */
export const COMBINES = ['best', 'mean'] as const;
/** What OUT/policy.json holds after the restarts: the best one's policy, or the mean of all of them. */
export type Combine = (typeof COMBINES)[number];

/**
 * Trainings by view when none are asked for: the full state trains three and keeps their mean (on
 * logreg the mean of three ends below tuned Adam from every seed tried, where single runs scatter
 * around it; on the small net it beats every single run); per coordinate one, as the MNIST recipes
 * were measured.
 */
export function defaultRestarts(coordinatewise: boolean): number {
  return coordinatewise ? 1 : 3;
}

/** What is kept of several trainings by view: the full state's mean, per coordinate the best (session 39's MNIST recipe). */
export function defaultCombine(coordinatewise: boolean): Combine {
  return coordinatewise ? 'best' : 'mean';
}

/** Restart k's seed: the run's seed for the first, then the next integers (1, 2, 3, …), or `seed.k` for a seed that is not an integer. */
export function restartSeed(seed: string, k: number): string {
  if (k === 1) return seed;
  return /^\d+$/.test(seed) ? String(Number(seed) + k - 1) : `${seed}.${k}`;
}
