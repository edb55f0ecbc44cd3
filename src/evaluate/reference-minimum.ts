// How far each optimizer ends from the minimum, not only from the others: per instance, f* is the
// lowest value known — every compared run's final value and a long L-BFGS search from the run's x0
// and from random restarts around it. When the search never goes below the best compared run, the
// best run is at f* and no optimizer can beat it on these instances, only tie (README, GPS results).
import type { Objective, ObjectiveFamily } from '../../envs/objective.ts';
import { Lbfgs } from '../../policies/lbfgs.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../random.ts';
import { mean, median } from '../vector.ts';
import { runProblems, type ProblemSet } from './run-problems.ts';

export interface MinimumSearch {
  /** L-BFGS runs from random starts x0 + N(0, spread²I), besides the one from x0. */
  restarts: number;
  spread: number;
  /** Iterations of each L-BFGS run. */
  iterations: number;
}

export interface ReferenceMinimum extends MinimumSearch {
  /** Mean over instances of f*. */
  meanMinimum: number;
  /** Instances on which the search went lower than every compared run: none of them is at f* there. */
  belowEveryRun: number;
}

export interface Suboptimality {
  /** Mean and median over instances of final f − f*. */
  mean: number;
  median: number;
  /** Share of instances whose final f is f* (to `sameValueTolerance`). */
  atMinimum: number;
}

export const DEFAULT_RESTART_SPREAD = 3;

/** Long enough for L-BFGS to settle on the small families, and always well past the compared runs. */
export function searchIterations(steps: number): number {
  return Math.max(1000, 10 * steps);
}

/** Two final values closer than this count as the same (a tie). */
export function sameValueTolerance(value: number): number {
  return 1e-9 * Math.max(1, Math.abs(value));
}

export function validateMinimumSearch(search: MinimumSearch): void {
  if (!Number.isInteger(search.restarts) || search.restarts < 0) throw new UserError(`--reference-minimum must be a non-negative integer of restarts, got ${search.restarts}`);
  if (!(search.spread > 0) || !Number.isFinite(search.spread)) throw new UserError(`--restart-spread must be a positive number, got ${search.spread}`);
  if (!Number.isInteger(search.iterations) || search.iterations < 1) throw new Error(`minimum search needs a positive integer of iterations, got ${search.iterations}`);
}

/** The lowest finite value the search reaches on each instance of the set (Infinity if none). */
export function searchMinima(set: Omit<ProblemSet, 'steps'>, search: MinimumSearch): number[] {
  validateMinimumSearch(search);
  const lowest = (runs: { values: Float64Array }[]) => runs.map((run) => Math.min(...Array.from(run.values).filter(Number.isFinite)));
  // The same rng stream as the compared runs (run-problems.ts), so the first search starts at their x0.
  const best = lowest(runProblems(new Lbfgs(1), { ...set, steps: search.iterations }));
  for (let r = 0; r < search.restarts; r++) {
    const rng = new Rng(`reference-minimum-${set.seed}`).fork(`restart-${r}`);
    const { family } = set;
    const displaced: ObjectiveFamily = {
      name: family.name,
      dim: family.dim,
      splitSizes: family.splitSizes,
      sample: (split, index) => displacedStart(family.sample(split, index), rng.fork(`${split}/${index}`), search.spread),
    };
    lowest(runProblems(new Lbfgs(1), { ...set, family: displaced, steps: search.iterations })).forEach((value, i) => (best[i] = Math.min(best[i], value)));
  }
  return best;
}

/** The instance with its x0 moved by N(0, spread²I); a stochastic one keeps its minibatch stream. */
function displacedStart(objective: Objective, rng: Rng, spread: number): Objective {
  return {
    name: objective.name,
    dim: objective.dim,
    evaluate: (x) => objective.evaluate(x),
    start: (runRng) => {
      const x0 = objective.start(runRng);
      const offset = rng.normalVector(x0.length, spread);
      return x0.map((v, j) => v + offset[j]);
    },
    dispose: objective.dispose ? () => objective.dispose!() : undefined,
  };
}

/**
 * f* per instance — the lowest of the search and of every run's final value — and each run set's
 * distance to it. `finals[k][i]` is run set k's final value on instance i.
 */
export function measureSuboptimality(finals: readonly (readonly number[])[], searched: readonly number[], search: MinimumSearch): { reference: ReferenceMinimum; rows: Suboptimality[] } {
  const minima = searched.map((s, i) => Math.min(s, ...finals.map((f) => f[i])));
  const bestRun = searched.map((_, i) => Math.min(...finals.map((f) => f[i])));
  const belowEveryRun = minima.filter((m, i) => m < bestRun[i] - sameValueTolerance(m)).length;
  const rows = finals.map((f) => {
    const gaps = f.map((v, i) => v - minima[i]);
    return { mean: mean(gaps), median: median(gaps), atMinimum: gaps.filter((g, i) => g <= sameValueTolerance(minima[i])).length / gaps.length };
  });
  return { reference: { ...search, meanMinimum: mean(minima), belowEveryRun }, rows };
}
