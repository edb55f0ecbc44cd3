// Optimizers run far beyond a training horizon T on the same held-out instances (docs/design.md §5),
// and what their runs say at each horizon h: which diverged by h (NaN/Inf by then, or f(x_h) above
// f(x_0)), the loss at h, and the ratios f(x_h)/f(x_0) and f(x_h)/f(x_T). A stage keeps these readings
// and the comparison's rows, not the trajectories.
import type { ObjectiveFamily } from '../envs/objective.ts';
import type { Policy } from '../policies/policy.ts';
import { chargedCurve, hasDiverged } from '../policies/run-problems.ts';
import { rankRows, summarizeRuns } from '../src/evaluate/compare.ts';
import { runProblemsOn, type PolicySpec } from '../src/evaluate/parallel-runs.ts';
import type { TaskPool } from '../src/parallel/worker-pool.ts';
import { median } from '../src/vector.ts';
import type { FamilySpec } from './learned-optimizers.ts';
import type { ProblemResult } from './results.ts';

export interface LongRunContender {
  name: string;
  lr: number | null;
  policy: Policy;
  /** How a worker rebuilds the policy; the runs are the same in any thread. */
  spec: PolicySpec;
}

/** One optimizer's runs read at one horizon; the arrays are per run, in instance order. */
export interface HorizonReading {
  horizon: number;
  diverged: boolean[];
  /** f(x_h) of the charged curve: a run that broke down keeps max(f(x_0), its last finite f). */
  loss: number[];
  ratioToStart: number[];
  ratioToT: number[];
}

export interface OptimizerLongRuns {
  optimizer: string;
  lr: number | null;
  readings: HorizonReading[];
  /** Median over the runs of f(x_t)/f(x_T) for t = T, T + 1, …, the last step. */
  medianRatioFromT: number[];
}

export interface LongRunsResult {
  problem: ProblemResult;
  optimizers: OptimizerLongRuns[];
}

export interface LongRunsSetup {
  name: string;
  title: string;
  spec: FamilySpec;
  family: ObjectiveFamily;
  /** The training horizon T; `horizons` are read, and the runs go to the largest. */
  horizon: number;
  horizons: number[];
  problems: number;
  seed: string;
  pool: TaskPool;
  say: (message: string) => void;
}

/** Every contender on test instances 0..problems−1 from the same starts, side by side on the pool. */
export async function longRuns(contenders: LongRunContender[], setup: LongRunsSetup): Promise<LongRunsResult> {
  const T = setup.horizon;
  const steps = Math.max(...setup.horizons);
  const set = { family: setup.family, split: 'test' as const, problems: setup.problems, steps, seed: setup.seed };
  const all = await Promise.all(
    contenders.map(async (c) => {
      const runs = await runProblemsOn(setup.pool, c.policy, c.spec, set);
      setup.say(`  ${setup.name}: ${c.name}'s ${setup.problems} runs of ${steps} steps done`);
      return runs;
    }),
  );
  const rows = contenders.map((c, k) => summarizeRuns(c.name, c.lr, all[k], steps));
  const curves = all.map((runs) => runs.map(chargedCurve));
  rankRows(rows, curves.map((cs) => cs.map((c) => c[steps])), setup.seed);
  const optimizers = contenders.map((c, k) => ({
    optimizer: c.name,
    lr: c.lr,
    readings: setup.horizons.map((h) => ({
      horizon: h,
      diverged: all[k].map((run) => hasDiverged(run, h)),
      loss: curves[k].map((curve) => curve[h]),
      ratioToStart: curves[k].map((curve) => curve[h] / curve[0]),
      ratioToT: curves[k].map((curve) => curve[h] / curve[T]),
    })),
    medianRatioFromT: Array.from({ length: steps - T + 1 }, (_, t) => median(curves[k].map((curve) => curve[T + t] / curve[T]))),
  }));
  const problem: ProblemResult = { name: setup.name, title: setup.title, env: setup.spec.env, params: setup.spec.params, split: 'test', steps, problems: setup.problems, results: rows };
  return { problem, optimizers };
}
