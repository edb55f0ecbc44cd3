// Fair baselines: each hand-designed optimizer's learning rate is picked from a log-spaced grid by
// its mean final objective on the *training* instances; test instances are never looked at.
import type { ObjectiveFamily } from '../../envs/objective.ts';
import type { HandDesignedOptimizer } from '../../policies/hand-designed.ts';
import { mean } from '../vector.ts';
import { chargedCurve, runProblems } from './run-problems.ts';

export interface TuningResult {
  lr: number;
  grid: number[];
  /** Mean final (charged) objective on the training instances for each grid point. */
  scores: number[];
  trainProblems: number;
}

export function tuneLearningRate(
  optimizer: HandDesignedOptimizer,
  family: ObjectiveFamily,
  options: { steps: number; seed: string; grid: readonly number[]; trainProblems?: number; historyLength?: number },
): TuningResult {
  const problems = options.trainProblems ?? family.splitSizes.train;
  const scores = options.grid.map((lr) => {
    const runs = runProblems(optimizer.create(lr), { family, split: 'train', problems, steps: options.steps, seed: options.seed, historyLength: options.historyLength });
    const finals = runs.map((run) => chargedCurve(run)[options.steps]);
    const score = mean(finals);
    return Number.isFinite(score) ? score : Infinity;
  });
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k] < scores[best]) best = k;
  return { lr: options.grid[best], grid: [...options.grid], scores, trainProblems: problems };
}
