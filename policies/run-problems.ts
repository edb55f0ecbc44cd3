// Runs one policy over N consecutive instances of a split (by default the first N). Instance i
// always starts from the same x0 for a given seed, whichever policy runs, so optimizers are compared
// on identical runs.
import { SPLITS, type Objective, type ObjectiveFamily, type Split } from '../envs/objective.ts';
import { OptimizationEnv, type Trajectory } from '../envs/optimization-env.ts';
import { requireFamily } from '../envs/checked-objective.ts';
import type { Policy } from './policy.ts';
import { NonFiniteStartError, UserError } from '../src/errors.ts';
import { Rng } from '../src/random.ts';
import { rollout } from './rollout.ts';

/** Which runs to make: instances 0..problems−1 of a split, each for `steps` steps, with starts drawn from `seed`. */
export interface ProblemSet {
  family: ObjectiveFamily;
  split: Split;
  problems: number;
  /** Index of the first instance run (default 0). */
  first?: number;
  steps: number;
  seed: string;
  historyLength?: number;
  /**
   * Steps t at which a run of an objective with `fullValue` also records fullValue(x_t), the loss on
   * its whole data set (step 0 always); objectives without it record nothing.
   */
  fullDataSteps?: readonly number[];
}

/** fullValue(x_t) of one run at the steps asked for, and where a run that broke down left off. */
export interface FullDataRecord {
  /** 0 and the steps asked for, ascending. */
  steps: number[];
  /** fullValue(x_t) at each of `steps`; NaN at the steps after the run broke down. */
  values: number[];
  /** fullValue at the last finite iterate of a run that broke down (NaN/Inf) before its last step. */
  atBreakdown?: number;
}

/** A run, with its full-data losses when they were asked for and the objective has them. */
export type ProblemRun = Trajectory & { fullData?: FullDataRecord };

/** A problem set's split and counts, checked against its family (which requireFamily has checked). */
export function validateProblemSet(set: ProblemSet): void {
  if (!(SPLITS as readonly unknown[]).includes(set.split)) throw new UserError(`split must be one of ${SPLITS.join(', ')}, got '${set.split}'`);
  for (const [key, value] of [['problems', set.problems], ['steps', set.steps]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new UserError(`${key} must be a positive integer, got ${value}`);
  }
  // Past its size a split would still hand out instances, but ones no other run calls that split's.
  const first = set.first ?? 0;
  const available = set.family.splitSizes[set.split];
  if (first + set.problems > available) {
    const which = first > 0 ? `instances ${first}..${first + set.problems - 1}` : `${set.problems} problems`;
    throw new UserError(`${which} exceed the ${available} ${set.split} instances of ${set.family.name}`);
  }
}

/** Runs a policy on every problem of a set; problem i starts from the same x0 for every policy with the same seed. */
export function runProblems(policy: Policy, problems: ProblemSet): ProblemRun[] {
  const set = { ...problems, family: requireFamily(problems.family, 'runProblems') };
  validateProblemSet(set);
  const env = new OptimizationEnv({ historyLength: policy.historyLength ?? set.historyLength });
  const root = new Rng(`run-${set.seed}`);
  const trajectories: ProblemRun[] = [];
  const first = set.first ?? 0;
  try {
    for (let i = first; i < first + set.problems; i++) {
      const objective = set.family.sample(set.split, i);
      try {
        const rng = root.fork(`${set.split}/${i}`);
        trajectories.push(set.fullDataSteps && objective.fullValue ? withFullData(env, policy, objective, set.steps, rng, set.fullDataSteps) : rollout(env, policy, objective, set.steps, rng));
      } catch (err) {
        // A start where f is not finite (a random x0 outside the domain): this run diverged at step 0,
        // and the evaluation goes on (compare.ts leaves the instance out of the means and says so).
        if (!(err instanceof NonFiniteStartError)) throw err;
        trajectories.push(badStart(objective.name, set.steps));
      } finally {
        objective.dispose?.();
      }
    }
  } finally {
    // Each reset frees the run before; the last run's state (an LSTM's tensors) is freed here.
    policy.release?.();
  }
  return trajectories;
}

/**
 * A rollout that also evaluates fullValue at the iterates of the steps asked for, and at the last
 * finite iterate if the run breaks down; the run itself is the same as without (fullValue draws no
 * minibatch).
 */
function withFullData(env: OptimizationEnv, policy: Policy, objective: Objective, steps: number, rng: Rng, fullDataSteps: readonly number[]): ProblemRun {
  const fullValue = objective.fullValue!.bind(objective);
  const wanted = [...new Set([0, ...fullDataSteps.filter((t) => t >= 0 && t <= steps)])].sort((a, b) => a - b);
  const values = new Array<number>(wanted.length).fill(NaN);
  const last = new Float64Array(objective.dim);
  const run = rollout(env, policy, objective, steps, rng, {
    onIterate: (t, x) => {
      const k = wanted.indexOf(t);
      if (k >= 0) values[k] = fullValue(x);
      last.set(x);
    },
  });
  const fullData: FullDataRecord = { steps: wanted, values };
  if (run.divergedAt !== null) fullData.atBreakdown = fullValue(last);
  return { ...run, fullData };
}

/** The record of a run whose starting point is not finite: NaN throughout, diverged at step 0. */
function badStart(objective: string, steps: number): Trajectory {
  const nan = new Float64Array(steps + 1).fill(NaN);
  return { objective, values: nan, gradientNorms: Float64Array.from(nan), states: null, iterates: null, actions: null, divergedAt: 0, evaluations: 1 };
}

/** Whether a run never had a finite objective: its start was outside the objective's domain. */
export function startedBadly(trajectory: Pick<Trajectory, 'values'>): boolean {
  return !Number.isFinite(trajectory.values[0]);
}

/**
 * The objective curve a run is scored by: once a run breaks down (NaN/Inf), it is charged
 * max(f(x0), its last finite value) for the remaining steps, so a blow-up never looks like progress.
 */
export function chargedCurve(trajectory: Pick<Trajectory, 'values' | 'divergedAt'>): Float64Array {
  const curve = Float64Array.from(trajectory.values);
  if (trajectory.divergedAt === null) return curve;
  // No finite value to charge: the worst there is (compare.ts keeps such runs out of its means).
  if (startedBadly(trajectory)) return curve.fill(Infinity);
  let charge = curve[0];
  for (let t = 0; t < trajectory.divergedAt; t++) charge = Math.max(charge, curve[t]);
  for (let t = trajectory.divergedAt; t < curve.length; t++) curve[t] = charge;
  return curve;
}

type ScoredRun = Pick<Trajectory, 'objective' | 'values' | 'divergedAt'> & Pick<ProblemRun, 'fullData'>;

/**
 * A run's loss on the full data at step `at` (which its record must hold): fullValue(x_at), or for a
 * run that broke down by then, the larger of its full-data loss at x_0 and at its last finite iterate
 * (as chargedCurve charges the minibatch loss).
 */
export function fullDataAt(run: ScoredRun, at: number): number {
  const record = run.fullData;
  const k = record ? record.steps.indexOf(at) : -1;
  if (!record || k < 0) throw new Error(`${run.objective}: no full-data loss recorded at step ${at}`);
  if (run.divergedAt === null || run.divergedAt > at) return record.values[k];
  const start = record.values[0];
  return Number.isFinite(record.atBreakdown) ? Math.max(start, record.atBreakdown!) : start;
}

/**
 * What a selection on training instances (a baseline's learning rate, GPS's kept iteration) scores a
 * run by at step `at`: its full-data loss where recorded, else its charged objective. On a minibatch
 * family the last minibatch's loss is noise of the size of the differences being selected on, and
 * the full-data loss is what the evaluation reports (docs/design.md §5).
 */
export function selectionScore(run: ScoredRun, at: number): number {
  return run.fullData?.steps.includes(at) ? fullDataAt(run, at) : chargedCurve(run)[at];
}

/** Diverged by step `at` (default: the end): the run hit NaN/Inf by then, or stands above where it started. */
export function hasDiverged(trajectory: Pick<Trajectory, 'values' | 'divergedAt'>, at: number = trajectory.values.length - 1): boolean {
  if (trajectory.divergedAt !== null && trajectory.divergedAt <= at) return true;
  return trajectory.values[at] > trajectory.values[0];
}
