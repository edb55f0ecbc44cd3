// Fair baselines: each hand-designed optimizer's learning rate is picked from a log-spaced grid by
// its mean final objective on the *training* instances (the full-data loss where the family has
// one: selectionScore); test instances are never looked at.
import type { ObjectiveFamily } from '../../envs/objective.ts';
import type { HandDesignedOptimizer } from '../../policies/hand-designed.ts';
import { mean } from '../vector.ts';
import { selectionScore, startedBadly } from '../../policies/run-problems.ts';
import { runProblemsOn, type OnRuns } from './parallel-runs.ts';
import type { TaskPool } from '../parallel/worker-pool.ts';

/** The learning rate a tuning chose, and the score of every rate on the grid. */
export interface TuningResult {
  lr: number;
  grid: number[];
  /** Mean final score (selectionScore) on the training instances for each grid point. */
  scores: number[];
  trainProblems: number;
}

/**
 * With a pool of several workers, the grid points' runs go to its workers (the same scores for any
 * count). `onRuns` hears of the runs as they finish: grid.length × trainProblems in all.
 */
export async function tuneLearningRate(
  optimizer: HandDesignedOptimizer,
  family: ObjectiveFamily,
  options: { steps: number; seed: string; grid: readonly number[]; trainProblems?: number; historyLength?: number; pool?: TaskPool; onRuns?: OnRuns },
): Promise<TuningResult> {
  const problems = options.trainProblems ?? family.splitSizes.train;
  const set = { family, split: 'train' as const, problems, steps: options.steps, seed: options.seed, historyLength: options.historyLength, fullDataSteps: [options.steps] };
  const scores = await Promise.all(
    options.grid.map(async (lr) => {
      const runs = await runProblemsOn(options.pool, optimizer.create(lr), { kind: 'hand', name: optimizer.name, lr }, set, options.onRuns);
      // Instances whose start is outside the domain have no run to score (run-problems.ts).
      const score = mean(runs.filter((run) => !startedBadly(run)).map((run) => selectionScore(run, options.steps)));
      return Number.isFinite(score) ? score : Infinity;
    }),
  );
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k] < scores[best]) best = k;
  return { lr: options.grid[best], grid: [...options.grid], scores, trainProblems: problems };
}
