// Compares optimizers on the same instances and summarizes them in the report `l2o eval --json`
// prints. Hand-designed optimizers without a given learning rate are tuned on the training split.
import type { ObjectiveFamily, Split } from '../../envs/objective.ts';
import type { Policy } from '../../policies/policy.ts';
import { findHandDesigned, DEFAULT_LR_GRID } from '../../policies/hand-designed.ts';
import { mean, median, quantile } from '../vector.ts';
import { chargedCurve, fullDataAt, hasDiverged, startedBadly, validateProblemSet } from '../../policies/run-problems.ts';
import { UserError } from '../errors.ts';
import { requireFamily } from '../../envs/checked-objective.ts';
import { runProblemsOn, searchMinimaOn, type PolicySpec, type RunRecord } from './parallel-runs.ts';
import type { TaskPool } from '../parallel/worker-pool.ts';
import { checkRates, tuneLearningRate, tuningRuns, type TuningResult } from './tuner.ts';
import { bootstrapMean, pairedDifference, type PairedDifference } from './paired-difference.ts';
import { Rng } from '../random.ts';
import { measureSuboptimality, searchIterations, validateMinimumSearch, type ReferenceMinimum, type Suboptimality } from './reference-minimum.ts';
import { sameValueTolerance } from './same-value.ts';

/** One optimizer's results: its learning rate, mean and median final f, how often it was best, divergences, and its mean curve. */
export interface ResultRow {
  optimizer: string;
  lr: number | null;
  meanFinal: number;
  medianFinal: number;
  /** Fraction of instances on which this optimizer's final objective is the lowest (ties all count). */
  bestFraction: number;
  /** Runs that hit NaN/Inf or ended above their starting objective. */
  diverged: number;
  /** Mean (charged) objective per step, t = 0..steps. */
  curve: number[];
  /** 25th and 75th percentile over the runs of the (charged) objective per step: the spread. */
  curveLow: number[];
  curveHigh: number[];
  meanEvaluations: number;
  /**
   * Final f minus that of the row with the lowest mean final, instance by instance, with a 95%
   * bootstrap interval (paired-difference.ts); absent on that row. An interval above 0 says the
   * lower mean is not luck of the draw.
   */
  versusBest?: PairedDifference & { optimizer: string };
  /** Final f − f* over the instances; present when the report has a `reference` minimum. */
  suboptimality?: Suboptimality;
  /** The final loss on the whole data set of each run, for objectives that have it (Objective.fullValue). */
  fullData?: FullDataSummary;
  tuning?: TuningResult;
}

/**
 * One optimizer's final losses on the full data (fullDataFinal): what a minibatch run is scored by
 * once the noise of its last minibatch is taken out.
 */
export interface FullDataSummary {
  meanFinal: number;
  medianFinal: number;
  /** The central 95% bootstrap interval of the mean over the instances. */
  low: number;
  high: number;
  /** Runs that hit NaN/Inf, or ended above their starting loss on the full data. */
  diverged: number;
  /** Final full-data loss minus that of the row with the lowest full-data mean, paired by instance; absent on that row. */
  versusBest?: PairedDifference & { optimizer: string };
}

/** The outcome of compareOptimizers: one row per optimizer, ranked, with paired intervals against the best. */
export interface EvalReport {
  env: string;
  split: Split;
  steps: number;
  problems: number;
  seed: string;
  backend: string;
  /** How f* was found (`--reference-minimum`), and on how many instances it is below every row. */
  reference?: ReferenceMinimum;
  results: ResultRow[];
}

/** Where and how to compare: the family and split, problems and steps, the seed, and optional f* search and workers. */
export interface CompareOptions {
  family: ObjectiveFamily;
  split: Split;
  steps: number;
  problems: number;
  seed: string;
  backend: string;
  historyLength?: number;
  /** Learning rate for every hand-designed optimizer; tuned per optimizer when absent. */
  lr?: number;
  grid?: readonly number[];
  /** Refinement rounds after the grid (tuner.ts, DEFAULT_REFINE_ROUNDS); 0 picks from the grid alone. */
  refine?: number;
  /** Estimate each instance's minimum f* by L-BFGS from x0 and from this many random restarts. */
  referenceMinimum?: { restarts: number; spread: number };
  onProgress?: (message: string) => void;
  /**
   * Hears of the work as it gets done: `done` of `total` runs (tuning runs on the training split,
   * test runs, and one per instance for the f* search), for a progress bar.
   */
  onWork?: (done: number, total: number) => void;
  /** Workers for the runs, the tuning and the f* search; the report is the same for any count. */
  pool?: TaskPool;
}

/**
 * Something that can be compared: a hand-designed optimizer by name (tuned here), or an already-built
 * policy (a learned optimizer, lr null, or a hand-designed one whose lr was tuned elsewhere).
 */
export type Contender = { name: string } | { name: string; policy: Policy; lr: number | null; spec?: PolicySpec };

/** Each contender a hand-designed optimizer's name or a built policy, before anything runs. */
function checkContenders(contenders: Contender[]): void {
  if (!Array.isArray(contenders) || contenders.length === 0) throw new UserError('compareOptimizers needs at least one contender');
  for (const contender of contenders) {
    if (typeof contender?.name !== 'string') throw new UserError(`a contender needs a name: got ${JSON.stringify(contender)}`);
    if (!('policy' in contender)) continue;
    const { policy, lr } = contender;
    if (typeof policy?.act !== 'function' || typeof policy.reset !== 'function') throw new UserError(`contender ${contender.name}: policy must be a Policy (reset and act), got ${policy}`);
    if (lr !== null && !(typeof lr === 'number' && Number.isFinite(lr))) throw new UserError(`contender ${contender.name}: lr must be a number or null (a learned policy), got ${lr}`);
  }
}

/** Tunes each hand-designed contender on the training split, then runs every contender on the same problems from the same starts and summarizes. */
export async function compareOptimizers(contenders: Contender[], options: CompareOptions): Promise<EvalReport> {
  options = { ...options, family: requireFamily(options.family, 'compareOptimizers') };
  const set = { family: options.family, split: options.split, problems: options.problems, steps: options.steps, seed: options.seed, historyLength: options.historyLength, fullDataSteps: [options.steps] };
  const search = options.referenceMinimum && { ...options.referenceMinimum, iterations: searchIterations(options.steps) };
  // Checked before any optimizer runs, so a bad flag does not cost the whole comparison.
  if (search) validateMinimumSearch(search);
  validateProblemSet(set);
  checkRates(options);
  checkContenders(contenders);
  // A learned policy meets the first problem before anything runs, so one that cannot run on this
  // family (a full-state GPS policy trained on another dimension) fails at once, not after the tuning.
  const learned = contenders.filter((c) => 'policy' in c && c.lr === null) as { policy: Policy }[];
  if (learned.length > 0) {
    const first = options.family.sample(options.split, 0);
    try {
      for (const { policy } of learned) policy.reset(first, new Rng('compatibility'));
    } finally {
      first.dispose?.();
    }
  }
  const { pool } = options;
  const grid = options.grid ?? DEFAULT_LR_GRID;
  const tunedCount = options.lr === undefined ? contenders.filter((c) => !('policy' in c)).length : 0;
  const total = tunedCount * tuningRuns(grid, options.refine) * options.family.splitSizes.train + contenders.length * options.problems + (search ? options.problems : 0);
  let done = 0;
  const onRuns = options.onWork && ((count: number) => options.onWork!((done += count), total));
  // Every contender at once, so a pool's workers always have items; the rows keep the given order.
  const results = await Promise.all(
    contenders.map(async (contender) => {
      const started = Date.now();
      let policy: Policy;
      let spec: PolicySpec | undefined;
      let lr: number | null;
      let tuning: TuningResult | undefined;
      if ('policy' in contender) {
        ({ policy, spec, lr } = contender);
      } else {
        const optimizer = findHandDesigned(contender.name);
        if (options.lr !== undefined) lr = options.lr;
        else {
          tuning = await tuneLearningRate(optimizer, options.family, { steps: options.steps, seed: options.seed, grid, refine: options.refine, historyLength: options.historyLength, pool, onRuns });
          lr = tuning.lr;
          options.onProgress?.(`${contender.name}: tuned lr ${lr} on ${tuning.trainProblems} training instances (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        }
        policy = optimizer.create(lr);
        spec = { kind: 'hand', name: contender.name, lr };
      }
      const runs = await runProblemsOn(pool, policy, spec, set, onRuns);
      const row = summarizeRuns(contender.name, lr, runs.filter((run) => !startedBadly(run)), options.steps);
      options.onProgress?.(`${contender.name}: ${lr === null ? '' : `lr ${lr}, `}mean final ${row.meanFinal.toPrecision(4)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return { row: tuning ? { ...row, tuning } : row, runs };
    }),
  );
  // Instances whose x0 is outside the objective's domain (f not finite there) have no run to score:
  // each counts as diverged for every optimizer and stays out of the means, the ranks and f*.
  const good = Array.from({ length: options.problems }, (_, i) => i).filter((i) => results.every((r) => !startedBadly(r.runs[i])));
  const bad = options.problems - good.length;
  if (bad > 0) {
    const names = results[0].runs.filter((run, i) => !good.includes(i)).map((run) => run.objective);
    options.onProgress?.(`warning: f is not finite at the starting point of ${bad} instance${bad === 1 ? '' : 's'} (${names.slice(0, 5).join(', ')}${bad > 5 ? ', …' : ''}): counted as diverged for every optimizer and left out of the means`);
    if (good.length === 0) throw new UserError(`f is not finite at the starting point of any of the ${options.problems} instances; nothing to compare`);
  }
  const rows = results.map((r) => (bad > 0 ? { ...r.row, diverged: r.row.diverged + bad } : r.row));
  const finals = results.map((r) => good.map((i) => chargedCurve(r.runs[i])[options.steps]));
  rankRows(rows, finals, options.seed);
  const goodRuns = results.map((r) => good.map((i) => r.runs[i]));
  if (goodRuns.every((runs) => runs.every((run) => run.fullData))) markFullData(rows, goodRuns, options.steps, options.seed);
  const header = { env: options.family.name, split: options.split, steps: options.steps, problems: options.problems, seed: options.seed, backend: options.backend };
  if (!search) return { ...header, results: rows };
  const started = Date.now();
  const minima = await searchMinimaOn(pool, set, search, onRuns);
  const measured = measureSuboptimality(finals, good.map((i) => minima[i]), search);
  measured.rows.forEach((suboptimality, k) => (rows[k].suboptimality = suboptimality));
  options.onProgress?.(`reference minimum: L-BFGS from x0 and ${search.restarts} restarts, ${search.iterations} iterations each (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { ...header, reference: measured.reference, results: rows };
}

/** One optimizer's row from its runs, scored at `steps` (bestFraction and versusBest are filled in by rankRows). */
export function summarizeRuns(optimizer: string, lr: number | null, runs: RunRecord[], steps: number): ResultRow {
  const curves = runs.map(chargedCurve);
  const final = curves.map((c) => c[steps]);
  const perStep = (statistic: (values: number[]) => number) => Array.from({ length: steps + 1 }, (_, t) => statistic(curves.map((c) => c[t])));
  return {
    optimizer,
    lr,
    meanFinal: mean(final),
    medianFinal: median(final),
    bestFraction: 0,
    diverged: runs.filter((run) => hasDiverged(run, steps)).length,
    curve: perStep(mean),
    curveLow: perStep((v) => quantile(v, 0.25)),
    curveHigh: perStep((v) => quantile(v, 0.75)),
    meanEvaluations: mean(runs.map((r) => r.evaluations)),
  };
}

/** Diverged by step `at` on the full data: the run hit NaN/Inf by then, or its full-data loss stands above its start. */
export function fullDataDiverged(run: RunRecord, at: number): boolean {
  if (run.divergedAt !== null && run.divergedAt <= at) return true;
  return fullDataAt(run, at) > fullDataAt(run, 0);
}

/**
 * Fills in each row's fullData from its runs (`runs[k]` are row k's, in instance order, every one
 * with full-data losses at `at`): mean, median and bootstrap interval of the final full-data loss,
 * divergences, and the paired difference to the row with the lowest full-data mean.
 */
export function markFullData(rows: ResultRow[], runs: RunRecord[][], at: number, seed: string): void {
  const finals = runs.map((list) => list.map((run) => fullDataAt(run, at)));
  rows.forEach((row, k) => {
    // Streams of their own, so the minibatch rows' intervals are the same as without full data.
    const interval = bootstrapMean(finals[k], new Rng(`full-data-${seed}`).fork(row.optimizer));
    row.fullData = { meanFinal: interval.mean, medianFinal: median(finals[k]), low: interval.low, high: interval.high, diverged: runs[k].filter((run) => fullDataDiverged(run, at)).length };
  });
  differencesToBest(rows.map((row) => row.optimizer), rows.map((row) => row.fullData!.meanFinal), finals, `full-data-versus-best-${seed}`).forEach((difference, k) => {
    if (difference) rows[k].fullData!.versusBest = difference;
  });
}

/** Fills in what depends on all rows: bestFraction and versusBest. `finals[k]` are row k's final values. */
export function rankRows(rows: ResultRow[], finals: number[][], seed: string): void {
  markBestFractions(rows, finals);
  markDifferencesToBest(rows, finals, seed);
}

function markDifferencesToBest(rows: ResultRow[], finals: number[][], seed: string): void {
  differencesToBest(rows.map((row) => row.optimizer), rows.map((row) => row.meanFinal), finals, `versus-best-${seed}`).forEach((difference, k) => {
    if (difference) rows[k].versusBest = difference;
  });
}

/**
 * Each row's finals minus those of the row with the lowest mean, paired by instance (none for that
 * row, nor when there is one row). One stream per row, forked from `stream` by its name, so a row's
 * interval does not depend on which other rows ran.
 */
function differencesToBest(optimizers: string[], means: number[], finals: number[][], stream: string): ((PairedDifference & { optimizer: string }) | undefined)[] {
  if (optimizers.length < 2) return optimizers.map(() => undefined);
  const best = means.reduce((b, mean, k) => (mean < means[b] ? k : b), 0);
  return optimizers.map((name, k) => (k === best ? undefined : { optimizer: optimizers[best], ...pairedDifference(finals[k], finals[best], new Rng(stream).fork(name)) }));
}

/** bestFraction: the share of instances on which each row's final objective is lowest (ties count for each). */
function markBestFractions(rows: ResultRow[], finals: number[][]): void {
  const problems = finals[0]?.length ?? 0;
  // Counted, then divided once: a sum of 1/problems can end above 1 (1.0000000000000002).
  const wins = rows.map(() => 0);
  for (let i = 0; i < problems; i++) {
    const best = Math.min(...finals.map((f) => f[i]));
    const tolerance = sameValueTolerance(best);
    finals.forEach((f, k) => {
      if (f[i] <= best + tolerance) wins[k]++;
    });
  }
  if (problems > 0) rows.forEach((row, k) => (row.bestFraction = wins[k] / problems));
}
