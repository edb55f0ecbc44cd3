// Long-horizon behaviour (docs/design.md §5): the GPS and BPTT optimizers, trained at horizon T,
// run to 10T and 100T on held-out objectives. Reported per horizon: the fraction of runs that
// diverged (NaN/Inf, or a loss above the start), the mean loss, and the median ratios f(x_h)/f(x_0)
// and f(x_h)/f(x_T). L-BFGS, tuned at horizon T on the training objectives, is the hand-designed
// reference.
import { rankRows, summarizeRuns } from '../src/evaluate/compare.ts';
import { chargedCurve, hasDiverged, runProblems } from '../policies/run-problems.ts';
import { tuneLearningRate } from '../src/evaluate/tuner.ts';
import { DEFAULT_LR_GRID, findHandDesigned } from '../policies/hand-designed.ts';
import type { Policy } from '../policies/policy.ts';
import type { GpsConfig } from '../src/gps/badmm.ts';
import type { BpttConfig } from '../src/supervised/bptt.ts';
import { median } from '../src/vector.ts';
import type { ExperimentRun } from './experiment-run.ts';
import type { ExperimentOutcome } from './experiment.ts';
import { evaluationSeed, familyOf, learnedContender, trainBpttStage, trainGpsStage, type FamilySpec } from './learned-optimizers.ts';
import type { ProblemResult, SummaryTable } from './results.ts';

interface Settings {
  family: FamilySpec;
  horizon: number;
  gps: Partial<GpsConfig>;
  bptt: Partial<BpttConfig>;
  problems: number;
  multiples: number[];
}

function settings(quick: boolean): Settings {
  if (quick) {
    const horizon = 8;
    return {
      family: { env: 'logreg', params: { trainSize: 6, testSize: 3 } },
      horizon,
      gps: { conditions: 3, validationSteps: 2 * horizon, horizon, samples: 3, iterations: 1, innerIterations: 1, policyIterations: 20 },
      bptt: { horizon, iterations: 2, batch: 2, unroll: 4, validationProblems: 2, validateEvery: 1 },
      problems: 3,
      multiples: [1, 10, 100],
    };
  }
  const horizon = 40;
  return { family: { env: 'logreg', params: {} }, horizon, gps: { horizon }, bptt: { horizon }, problems: 100, multiples: [1, 10, 100] };
}

interface HorizonRow {
  optimizer: string;
  horizon: number;
  divergedFraction: number;
  meanLoss: number;
  medianRatioToStart: number;
  medianRatioToT: number;
}

export async function divergence(run: ExperimentRun, backend: string): Promise<ExperimentOutcome> {
  const s = settings(run.settings.quick);
  const T = s.horizon;
  const longest = T * Math.max(...s.multiples);
  const gps = await trainGpsStage(run, 'gps', s.family, s.gps);
  const bptt = await trainBpttStage(run, 'bptt', s.family, s.bptt);
  const seed = evaluationSeed(run.settings.seed);
  const { problem, horizons } = await run.stage('long-runs', async () => {
    const family = familyOf(s.family);
    const lbfgs = findHandDesigned('lbfgs');
    const tuned = await tuneLearningRate(lbfgs, family, { steps: T, seed, grid: DEFAULT_LR_GRID, pool: run.pool });
    const contenders: { name: string; lr: number | null; policy: Policy }[] = [
      { name: 'gps', lr: null, policy: learnedContender(gps).policy },
      { name: 'bptt', lr: null, policy: learnedContender(bptt).policy },
      { name: 'lbfgs', lr: tuned.lr, policy: lbfgs.create(tuned.lr) },
    ];
    const problems = Math.min(s.problems, family.splitSizes.test);
    const rows = [];
    const finals: number[][] = [];
    const horizons: HorizonRow[] = [];
    for (const c of contenders) {
      const started = Date.now();
      const runs = runProblems(c.policy, { family, split: 'test', problems, steps: longest, seed });
      rows.push(summarizeRuns(c.name, c.lr, runs, longest));
      finals.push(runs.map((r) => chargedCurve(r)[longest]));
      for (const multiple of s.multiples) {
        const h = T * multiple;
        const curves = runs.map(chargedCurve);
        horizons.push({
          optimizer: c.name,
          horizon: h,
          divergedFraction: runs.filter((r) => hasDiverged(r, h)).length / problems,
          meanLoss: curves.reduce((sum, curve) => sum + curve[h], 0) / problems,
          medianRatioToStart: median(curves.map((curve) => curve[h] / curve[0])),
          medianRatioToT: median(curves.map((curve) => curve[h] / curve[T])),
        });
      }
      run.say(`  ${c.name}: ${problems} runs of ${longest} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      run.work(rows.length, contenders.length);
    }
    rankRows(rows, finals, seed);
    const result: ProblemResult = {
      name: `${s.family.env}-${longest}-steps`,
      title: `${s.family.env}: trained at T = ${T}, run to ${longest} steps`,
      env: s.family.env,
      params: s.family.params,
      split: 'test',
      steps: longest,
      problems,
      results: rows,
    };
    return { problem: result, horizons };
  });
  const table: SummaryTable = {
    title: `Divergence beyond the training horizon (T = ${T})`,
    columns: ['optimizer', 'horizon', 'diverged', 'mean loss', 'median f(x_h)/f(x_0)', 'median f(x_h)/f(x_T)'],
    rows: horizons.map((h) => [h.optimizer, `${h.horizon / T}T = ${h.horizon}`, `${(100 * h.divergedFraction).toFixed(0)}%`, h.meanLoss, h.medianRatioToStart, h.medianRatioToT]),
  };
  return {
    settings: { ...s, evaluationSeed: seed },
    problems: [problem],
    tables: [table, { title: 'Training time', columns: ['optimizer', 'minutes'], rows: [['gps', gps.seconds / 60], ['bptt', bptt.seconds / 60]] }],
    notes: ['A run counts as diverged at horizon h if it hit NaN/Inf by step h or its loss at h is above its starting loss. L-BFGS is tuned at horizon T on the training objectives.'],
  };
}
