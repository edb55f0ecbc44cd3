// How far each optimizer ends from the minimum, not only from the others: per instance, f* is the
// lowest value known — every compared run's final value and the final values of long L-BFGS runs
// from the run's x0 and from random restarts around it. Where no search goes below the best
// compared run, that run is at the lowest minimum the search knows (docs/gps.md, results).
import type { Objective, ObjectiveFamily } from '../../envs/objective.ts';
import { Lbfgs } from '../../policies/lbfgs.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../random.ts';
import { mean, median } from '../vector.ts';
import { runProblems, type ProblemSet } from '../../policies/run-problems.ts';
import { sameValueTolerance } from './same-value.ts';

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

/**
 * Long enough for L-BFGS to settle on the small families (from x0 on the 100 test problems of
 * logreg, robust regression and the small net, 5,000 iterations end at most 4e-12 lower than
 * 1,000), and always well past the compared runs.
 */
export function searchIterations(steps: number): number {
  return Math.max(1000, 10 * steps);
}

export function validateMinimumSearch(search: MinimumSearch): void {
  if (!Number.isInteger(search.restarts) || search.restarts < 0) throw new UserError(`the minimum search's restarts must be a non-negative integer, got ${search.restarts}`);
  if (!(search.spread > 0) || !Number.isFinite(search.spread)) throw new UserError(`the minimum search's restart spread must be a positive number, got ${search.spread}`);
}

/**
 * The lowest final value the search reaches on each instance of the set (Infinity where every run
 * broke down). Final values, not the lowest along the way: L-BFGS's line search only descends on a
 * deterministic objective, and on a stochastic one each value is one minibatch draw, like the finals
 * it is compared with.
 */
export function searchMinima(set: Omit<ProblemSet, 'steps'>, search: MinimumSearch): number[] {
  const steps = search.iterations;
  const finalValue = (run: { values: Float64Array }) => {
    const value = run.values[steps];
    return Number.isFinite(value) ? value : Infinity;
  };
  // The same rng stream as the compared runs (run-problems.ts), so this search starts at their x0.
  const best = runProblems(new Lbfgs(1), { ...set, steps }).map(finalValue);
  const root = new Rng(`reference-minimum-${set.seed}`);
  const { family } = set;
  for (let r = 0; r < search.restarts; r++) {
    const rng = root.fork(`restart-${r}`);
    const displaced: ObjectiveFamily = {
      name: family.name,
      dim: family.dim,
      splitSizes: family.splitSizes,
      sample: (split, index) => displacedStart(family.sample(split, index), rng.fork(`${split}/${index}`), search.spread),
    };
    best.forEach((value, i) => {
      const first = (set.first ?? 0) + i;
      // A random start can land where the objective is not finite: runProblems records it as a run
      // that never began (NaN throughout), whose final value counts as +∞, so it finds nothing.
      best[i] = Math.min(value, finalValue(runProblems(new Lbfgs(1), { ...set, family: displaced, first, problems: 1, steps })[0]));
    });
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
  const bestRun = searched.map((_, i) => finals.reduce((low, f) => Math.min(low, f[i]), Infinity));
  const minima = searched.map((s, i) => Math.min(s, bestRun[i]));
  const belowEveryRun = minima.filter((m, i) => m < bestRun[i] - sameValueTolerance(m)).length;
  const rows = finals.map((f) => {
    const gaps = f.map((v, i) => v - minima[i]);
    return { mean: mean(gaps), median: median(gaps), atMinimum: gaps.filter((g, i) => g <= sameValueTolerance(minima[i])).length / gaps.length };
  });
  return { reference: { ...search, meanMinimum: mean(minima), belowEveryRun }, rows };
}
