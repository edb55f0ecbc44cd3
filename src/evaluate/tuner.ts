// Fair baselines: each hand-designed optimizer's learning rate is picked from a log-spaced grid by
// its mean final objective on the *training* instances (the full-data loss where the family has
// one: selectionScore), then refined around the best point; test instances are never looked at.
// The refinement: the grid's points are a factor √10 apart, and on the MNIST net at T = 400 AdaGrad
// at lr 0.14 ends 2% lower than at the grid's 0.1 on the training instances and 4% lower on the test
// runs (docs/design.md §5, "Tuning the baselines").
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { DEFAULT_REFINE_ROUNDS, type HandDesignedOptimizer } from '../../policies/hand-designed.ts';
import { mean } from '../vector.ts';
import { selectionScore, startedBadly } from '../../policies/run-problems.ts';
import { runProblemsOn, type OnRuns } from './parallel-runs.ts';
import type { TaskPool } from '../parallel/worker-pool.ts';
import { UserError } from '../errors.ts';

/** The learning rate a tuning chose, and the score of every rate tried. */
export interface TuningResult {
  lr: number;
  /** Every rate tried, ascending: the grid's and the refinement's. */
  grid: number[];
  /** Mean final score (selectionScore) on the training instances for each rate in `grid`. */
  scores: number[];
  trainProblems: number;
}

/** Rates to tune over, refinement rounds and a fixed rate, checked before any run: a bad one is a UserError, not a failure deep in the tuning. */
export function checkRates(rates: { grid?: readonly number[]; refine?: number; lr?: number }): void {
  const { grid, refine, lr } = rates;
  if (grid !== undefined && (!Array.isArray(grid) || grid.length === 0 || !grid.every((r) => typeof r === 'number' && r > 0 && Number.isFinite(r)))) {
    throw new UserError(`grid must be a non-empty list of positive learning rates, got ${JSON.stringify(grid)}`);
  }
  if (refine !== undefined && !(Number.isInteger(refine) && refine >= 0)) throw new UserError(`refine must be a non-negative integer, got ${refine}`);
  if (lr !== undefined && !(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new UserError(`lr must be a positive number, got ${lr}`);
}

/**
 * With a pool of several workers, the grid points' runs go to its workers (the same scores for any
 * count). `onRuns` hears of the runs as they finish: grid.length × trainProblems in all.
 */
export async function tuneLearningRate(
  optimizer: HandDesignedOptimizer,
  family: ObjectiveFamily,
  options: { steps: number; seed: string; grid: readonly number[]; refine?: number; trainProblems?: number; historyLength?: number; pool?: TaskPool; onRuns?: OnRuns },
): Promise<TuningResult> {
  checkRates(options);
  const problems = options.trainProblems ?? family.splitSizes.train;
  if (problems < 1) {
    const why = family.splitSizes.train < 1 ? `${family.name} has no training instances (trainSize 0)` : `trainProblems is ${problems}`;
    throw new UserError(`cannot tune ${optimizer.name}'s learning rate: ${why}; give a learning rate, or training instances`);
  }
  const set = { family, split: 'train' as const, problems, steps: options.steps, seed: options.seed, historyLength: options.historyLength, fullDataSteps: [options.steps] };
  const tried = new Map<number, number>();
  const score = (lrs: readonly number[]) =>
    Promise.all(
      lrs.map(async (lr) => {
        const runs = await runProblemsOn(options.pool, optimizer.create(lr), { kind: 'hand', name: optimizer.name, lr }, set, options.onRuns);
        // Instances whose start is outside the domain have no run to score (run-problems.ts).
        const value = mean(runs.filter((run) => !startedBadly(run)).map((run) => selectionScore(run, options.steps)));
        tried.set(lr, Number.isFinite(value) ? value : Infinity);
      }),
    );
  await score(options.grid);
  // Ties keep the earlier rate: the grid's order, then the best so far over a refined one.
  let lr = options.grid.reduce((best, r) => (tried.get(r)! < tried.get(best)! ? r : best));
  let h = gridSpacing(options.grid, lr) / 2;
  for (let round = 0; round < (options.refine ?? DEFAULT_REFINE_ROUNDS) && h > 0; round++, h /= 2) {
    const candidates = [lr * 10 ** -h, lr * 10 ** h].map((r) => Number(r.toPrecision(2))).filter((r) => r > 0 && !tried.has(r));
    // A rate already tried (rounding can land on one) is planned work done: tuningRuns counted it.
    if (candidates.length < 2) options.onRuns?.((2 - candidates.length) * problems);
    await score(candidates);
    for (const r of candidates) if (tried.get(r)! < tried.get(lr)!) lr = r;
  }
  const grid = [...tried.keys()].sort((a, b) => a - b);
  return { lr, grid, scores: grid.map((r) => tried.get(r)!), trainProblems: problems };
}

/** How many runs tuneLearningRate makes per training instance: the distinct grid rates and the refinement's. */
export function tuningRuns(grid: readonly number[], refine: number = DEFAULT_REFINE_ROUNDS): number {
  const distinct = new Set(grid).size;
  return distinct + (distinct > 1 ? 2 * refine : 0);
}

/** The log10 distance from `lr` to its nearest neighbour on the grid (0 for a grid of one rate). */
function gridSpacing(grid: readonly number[], lr: number): number {
  const others = grid.filter((r) => r !== lr && r > 0);
  return others.length === 0 ? 0 : Math.min(...others.map((r) => Math.abs(Math.log10(r / lr))));
}
