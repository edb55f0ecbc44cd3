// Long-horizon behaviour (docs/design.md §5). Li & Malik (2017) report that the supervised (BPTT)
// optimizer diverges when run beyond its training horizon on the larger net and at minibatch 10,
// and the GPS one does not. Here per-coordinate GPS and BPTT are meta-trained on the MNIST objective
// at horizon T, then run to 10T on held-out MNIST runs, on the larger net and at minibatch 10, with
// Adam and L-BFGS tuned at T on the training instances as references. Per optimizer, test problem and
// horizon: the fraction of runs that diverged (NaN/Inf, or a loss above the start) with Wilson's
// interval, the mean loss with a bootstrap interval, the median ratios f(x_h)/f(x_T) and f(x_h)/f(x_0);
// and BPTT against GPS at 10T, paired by instance. The logistic-regression version (trained at T,
// run to 100T, L-BFGS as the reference) is the second table: on that convex family nothing diverges.
import { findHandDesigned, DEFAULT_LR_GRID } from '../policies/hand-designed.ts';
import { tuneLearningRate } from '../src/evaluate/tuner.ts';
import { formatNumber } from '../src/evaluate/format.ts';
import { DEFAULT_GPS_CONFIG, type GpsConfig } from '../src/gps/config.ts';
import type { BpttConfig } from '../src/supervised/config.ts';
import { Rng } from '../src/random.ts';
import { median } from '../src/vector.ts';
import type { ExperimentRun } from './experiment-run.ts';
import type { ExperimentOutcome } from './experiment.ts';
import { bootstrapMean, mcnemarExactP, stratifiedPairedDifference, wilsonInterval } from './intervals.ts';
import { evaluationSeed, familyOf, learnedContender, trainBpttStage, trainGpsStage, type FamilySpec, type TrainingRecord } from './learned-optimizers.ts';
import { longRuns, type LongRunContender, type LongRunsResult, type OptimizerLongRuns } from './long-runs.ts';
import type { Figure, SummaryTable } from './results.ts';

interface Net {
  project: number;
  hidden: string;
}

interface NeuralNetSettings {
  /** The training objective (MNIST) and the first test problem: Li & Malik's 48-48-10 net, minibatch 64. */
  base: Net & { batchSize: number };
  /** The larger net of the second test problem, at the base minibatch. */
  larger: Net;
  /** The third test problem's minibatch, on the base net. */
  noisyBatch: number;
  /** T: GPS's and BPTT's training horizon, and the baselines' tuning horizon. */
  horizon: number;
  multiples: number[];
  /** The first instances of MNIST's training split: BPTT's problems and the baselines' tuning runs (GPS's conditions are the first of them). */
  trainInstances: number;
  /** The last instances of the training split, after those: both learners pick their policy by runs of T steps on them. */
  validationInstances: number;
  /** Held-out runs per test problem. */
  testInstances: number;
  baselines: string[];
  grid: readonly number[];
  gps: Partial<GpsConfig>;
  bptt: Partial<BpttConfig>;
}

interface LogregSettings {
  family: FamilySpec;
  horizon: number;
  gps: Partial<GpsConfig>;
  bptt: Partial<BpttConfig>;
  problems: number;
  multiples: number[];
}

interface Settings {
  neuralNets: NeuralNetSettings;
  logreg: LogregSettings;
}

function settings(quick: boolean): Settings {
  if (quick) {
    const horizon = 2;
    const logregHorizon = 2;
    return {
      neuralNets: {
        base: { project: 8, hidden: '8', batchSize: 16 },
        // The base net's projection, so the quick run fits one.
        larger: { project: 8, hidden: '16' },
        noisyBatch: 4,
        horizon,
        multiples: [1, 10],
        trainInstances: 2,
        validationInstances: 1,
        testInstances: 1,
        baselines: ['adam', 'lbfgs'],
        // 1e-4, 0.01 and 1: the quick run checks the plumbing, in npm test's time.
        grid: DEFAULT_LR_GRID.filter((_, k) => k % 4 === 0),
        gps: { coordinatewise: true, conditions: 2, samples: 3, iterations: 1, historyLength: 3, innerIterations: 1, policyIterations: 20, sampledCoordinates: 8 },
        bptt: { iterations: 2, batch: 2, unroll: horizon, validateEvery: 1, lstm: { hidden: 4, layers: 2, preprocessP: 10, outputScale: 0.1 } },
      },
      logreg: {
        family: { env: 'logreg', params: { trainSize: 6, testSize: 2 } },
        horizon: logregHorizon,
        gps: { conditions: 3, validationSteps: 2 * logregHorizon, horizon: logregHorizon, samples: 3, iterations: 1, innerIterations: 1, policyIterations: 20 },
        bptt: { horizon: logregHorizon, iterations: 2, batch: 2, unroll: logregHorizon, validationProblems: 2, validateEvery: 1 },
        problems: 2,
        multiples: [1, 10, 100],
      },
    };
  }
  const horizon = 40;
  return {
    // T = 40, not the paper's 400: at 400 the runs to 10T and BPTT's training would take hours on
    // two cores, at 40 the whole run takes about 20 minutes. The GPS settings are generalization's
    // with today's feature defaults, not the raw features it keeps for its recorded run.
    neuralNets: {
      base: { project: 48, hidden: '48', batchSize: 64 },
      larger: { project: 100, hidden: '200' },
      noisyBatch: 10,
      horizon,
      multiples: [1, 10],
      trainInstances: 10,
      validationInstances: 4,
      testInstances: 20,
      baselines: ['adam', 'lbfgs'],
      grid: DEFAULT_LR_GRID,
      gps: { coordinatewise: true, conditions: 4, samples: 5, iterations: 8, policyIterations: 300, sampledCoordinates: 32 },
      bptt: { iterations: 100, batch: 4, validateEvery: 10 },
    },
    logreg: { family: { env: 'logreg', params: {} }, horizon, gps: { horizon }, bptt: { horizon }, problems: 100, multiples: [1, 10, 100] },
  };
}

interface NetProblem {
  name: string;
  title: string;
  spec: FamilySpec;
}

function imageMlpSpec(s: NeuralNetSettings, net: Net, batchSize: number, trainSize: number): FamilySpec {
  return { env: 'image-mlp', params: { dataset: 'mnist', project: net.project, hidden: net.hidden, batchSize, trainSize, testSize: s.testInstances } };
}

function netProblems(s: NeuralNetSettings): NetProblem[] {
  const shape = (net: Net) => `${net.project}-${net.hidden.replace(/,/g, '-')}-10`;
  return [
    { name: 'mnist', title: `MNIST, ${shape(s.base)}, minibatch ${s.base.batchSize}`, spec: imageMlpSpec(s, s.base, s.base.batchSize, s.trainInstances) },
    { name: 'mnist-larger', title: `MNIST, larger net ${shape(s.larger)}, minibatch ${s.base.batchSize}`, spec: imageMlpSpec(s, s.larger, s.base.batchSize, s.trainInstances) },
    { name: 'mnist-noisy', title: `MNIST, ${shape(s.base)}, minibatch ${s.noisyBatch}`, spec: imageMlpSpec(s, s.base, s.noisyBatch, s.trainInstances) },
  ];
}

const percent = (x: number, digits = 0) => `${(100 * x).toFixed(digits)}%`;
const count = (diverged: boolean[]) => diverged.filter(Boolean).length;

function divergedCell(diverged: boolean[]): string {
  const k = count(diverged);
  const w = wilsonInterval(k, diverged.length);
  return `${k}/${diverged.length} = ${percent(k / diverged.length)} [${percent(w.low, 1)}, ${percent(w.high, 1)}]`;
}

/** One row per optimizer and horizon: diverged, mean loss with its interval, median ratios, runs above their loss at T. */
function horizonRows(problem: string, result: LongRunsResult, T: number, rng: Rng): (string | number)[][] {
  return result.optimizers.flatMap((o) =>
    o.readings.map((r) => {
      const loss = bootstrapMean(r.loss, rng.fork(`${problem}/${o.optimizer}/${r.horizon}`));
      // Below the start but above f(x_T): a run that lost ground after T without counting as diverged.
      const rose = r.horizon === T ? '-' : divergedCell(r.ratioToT.map((ratio) => ratio > 1));
      return [problem, o.optimizer, `${r.horizon / T}T = ${r.horizon}`, divergedCell(r.diverged), loss.mean, `[${formatNumber(loss.low)}, ${formatNumber(loss.high)}]`, median(r.ratioToT), median(r.ratioToStart), rose];
    }),
  );
}

const HORIZON_COLUMNS = ['test problem', 'optimizer', 'horizon', 'diverged (95% Wilson)', 'mean loss', 'mean loss 95% CI', 'median f(x_h)/f(x_T)', 'median f(x_h)/f(x_0)', 'f(x_h) > f(x_T) (95% Wilson)'];

function readingAt(o: OptimizerLongRuns, horizon: number) {
  return o.readings.find((r) => r.horizon === horizon)!;
}

/** BPTT − GPS in runs diverged at `horizon`, per problem and over all of them, paired by instance. */
function pairedDivergence(results: { name: string; result: LongRunsResult }[], horizon: number, rng: Rng): { table: SummaryTable; notes: string[] } {
  const groups = results.map(({ name, result }) => {
    const of = (optimizer: string) => readingAt(result.optimizers.find((o) => o.optimizer === optimizer)!, horizon).diverged;
    return { name, bptt: of('bptt'), gps: of('gps') };
  });
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const compare = (label: string, members: typeof groups) => {
    const bptt = members.flatMap((g) => g.bptt);
    const gps = members.flatMap((g) => g.gps);
    const onlyBptt = bptt.filter((d, i) => d && !gps[i]).length;
    const onlyGps = gps.filter((d, i) => d && !bptt[i]).length;
    const difference = stratifiedPairedDifference(members.map((g) => ({ values: g.bptt.map(Number), reference: g.gps.map(Number) })), rng.fork(label));
    const p = mcnemarExactP(onlyBptt, onlyGps);
    const points = (x: number) => `${x > 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
    rows.push([label, divergedCell(gps), divergedCell(bptt), `${points(difference.mean)} [${points(difference.low)}, ${points(difference.high)}] points`, `${onlyBptt} / ${onlyGps}`, p]);
    const verdict = p < 0.05 ? (onlyBptt > onlyGps ? 'BPTT diverges more often than GPS' : 'BPTT diverges less often than GPS') : 'no difference at the 5% level';
    notes.push(
      `At ${horizon} steps, ${label}: BPTT diverged in ${count(bptt)} of ${bptt.length} runs (${divergedCell(bptt).split(' = ')[1]}), GPS in ${count(gps)} of ${gps.length} (${divergedCell(gps).split(' = ')[1]}); BPTT − GPS ${points(difference.mean)} percentage points, 95% bootstrap interval [${points(difference.low)}, ${points(difference.high)}]; ${onlyBptt} runs diverged with BPTT only and ${onlyGps} with GPS only, McNemar's exact p = ${p.toPrecision(2)}: ${verdict}.`,
    );
  };
  for (const g of groups) compare(g.name, [g]);
  compare(`all ${groups.length} problems`, groups);
  return {
    table: {
      title: `BPTT against GPS at 10T = ${horizon}: runs diverged, paired by instance`,
      columns: ['test problem', 'gps diverged', 'bptt diverged', 'bptt − gps, 95% bootstrap CI', 'runs diverged with bptt only / gps only', "McNemar's exact p"],
      rows,
    },
    notes,
  };
}

function ratioFigure(name: string, title: string, result: LongRunsResult, T: number): Figure {
  const gap = new Array<number>(T).fill(NaN);
  return {
    name: `ratio-${name}`,
    title: `${title}: median f(x_t)/f(x_T), T = ${T}`,
    xLabel: 'step',
    yLabel: 'median f(x_t)/f(x_T)',
    series: result.optimizers.map((o) => ({ label: o.optimizer, values: [...gap, ...o.medianRatioFromT] })),
  };
}

function contender(record: TrainingRecord): LongRunContender {
  const c = learnedContender(record);
  return { name: c.name, lr: null, policy: c.policy, spec: c.spec! };
}

function handDesigned(name: string, lr: number): LongRunContender {
  return { name, lr, policy: findHandDesigned(name).create(lr), spec: { kind: 'hand', name, lr } };
}

export async function divergence(run: ExperimentRun): Promise<ExperimentOutcome> {
  const { neuralNets: n, logreg: l } = settings(run.settings.quick);
  const seed = evaluationSeed(run.settings.seed);
  const rng = new Rng(`divergence-bootstrap-${seed}`);
  const say = (m: string) => run.say(m);

  // 1. Neural nets: both learners meta-trained on MNIST at T, both picking their policy on runs of T steps.
  const T = n.horizon;
  const training = imageMlpSpec(n, n.base, n.base.batchSize, n.trainInstances + n.validationInstances);
  const gps = await trainGpsStage(run, 'gps-mnist', training, { ...n.gps, horizon: T, validation: n.validationInstances, validationSteps: T });
  const bptt = await trainBpttStage(run, 'bptt-mnist', training, { ...n.bptt, horizon: T, validationProblems: n.validationInstances });
  const tuned = await run.stage('tune-on-mnist', async () => {
    const family = familyOf(training);
    const lrs: { name: string; lr: number }[] = [];
    for (const name of n.baselines) {
      const t = await tuneLearningRate(findHandDesigned(name), family, { steps: T, seed, grid: n.grid, trainProblems: n.trainInstances, pool: run.pool });
      run.say(`  ${name}: lr ${t.lr} on MNIST at T = ${T}`);
      lrs.push({ name, lr: t.lr });
    }
    return lrs;
  });
  const horizons = n.multiples.map((m) => m * T);
  const problems = netProblems(n);
  const netResults = await run.stages(
    problems.map((p) => ({
      key: `long-runs-${p.name}`,
      compute: () =>
        longRuns([contender(gps), contender(bptt), ...tuned.map((t) => handDesigned(t.name, t.lr))], {
          name: p.name,
          title: `${p.title}: trained at T = ${T}, run to ${Math.max(...horizons)} steps`,
          spec: p.spec,
          family: familyOf(p.spec),
          horizon: T,
          horizons,
          problems: n.testInstances,
          seed,
          pool: run.pool,
          say,
        }),
    })),
  );

  // 2. Logistic regression: L-BFGS tuned at T on the training objectives is the reference; Adam tuned
  // at T shows what the hand-designed rule the GPS policy starts from does past T.
  const lT = l.horizon;
  const lHorizons = l.multiples.map((m) => m * lT);
  const gpsLogreg = await trainGpsStage(run, 'gps-logreg', l.family, l.gps);
  const bpttLogreg = await trainBpttStage(run, 'bptt-logreg', l.family, l.bptt);
  const logreg = await run.stage('long-runs-logreg', async () => {
    const family = familyOf(l.family);
    const lbfgs = await tuneLearningRate(findHandDesigned('lbfgs'), family, { steps: lT, seed, grid: DEFAULT_LR_GRID, pool: run.pool });
    const adam = await tuneLearningRate(findHandDesigned('adam'), family, { steps: lT, seed, grid: DEFAULT_LR_GRID, pool: run.pool });
    const result = await longRuns([contender(gpsLogreg), contender(bpttLogreg), handDesigned('adam', adam.lr), handDesigned('lbfgs', lbfgs.lr)], {
      name: `logreg-${Math.max(...lHorizons)}-steps`,
      title: `logreg: trained at T = ${lT}, run to ${Math.max(...lHorizons)} steps`,
      spec: l.family,
      family,
      horizon: lT,
      horizons: lHorizons,
      problems: Math.min(l.problems, family.splitSizes.test),
      seed,
      pool: run.pool,
      say,
    });
    return { ...result, lbfgsLr: lbfgs.lr, adamLr: adam.lr };
  });

  const named = problems.map((p, k) => ({ name: p.name, result: netResults[k] }));
  const paired = pairedDivergence(named, Math.max(...horizons), rng.fork('paired'));
  const tables: SummaryTable[] = [
    {
      title: `Neural nets: trained on MNIST at T = ${T}, ${n.testInstances} held-out runs per test problem`,
      columns: HORIZON_COLUMNS,
      rows: named.flatMap(({ name, result }) => horizonRows(name, result, T, rng)),
    },
    paired.table,
    { title: `Logistic regression: trained at T = ${lT}, ${logreg.problem.problems} held-out objectives`, columns: HORIZON_COLUMNS, rows: horizonRows('logreg', logreg, lT, rng) },
    {
      title: 'Learning rates tuned at T on the training instances',
      columns: ['optimizer', 'family', 'lr'],
      rows: [...tuned.map((t) => [t.name, 'MNIST', t.lr]), ['adam', 'logreg', logreg.adamLr], ['lbfgs', 'logreg', logreg.lbfgsLr]],
    },
    {
      title: 'Training time',
      columns: ['optimizer', 'family', 'minutes'],
      rows: [['gps (per coordinate)', 'MNIST', gps.seconds / 60], ['bptt', 'MNIST', bptt.seconds / 60], ['gps', 'logreg', gpsLogreg.seconds / 60], ['bptt', 'logreg', bpttLogreg.seconds / 60]],
    },
  ];
  const figures = [...named.map(({ name, result }) => ratioFigure(name, problems.find((p) => p.name === name)!.title, result, T)), ratioFigure('logreg', 'logreg', logreg, lT)];
  return {
    settings: { neuralNets: n, logreg: l, evaluationSeed: seed },
    problems: [...netResults.map((r) => r.problem), logreg.problem],
    tables,
    notes: [
      ...paired.notes,
      `A run counts as diverged at horizon h if it hit NaN/Inf by step h or its loss at h is above its starting loss. On the nets the loss is that of the step's minibatch (of ${n.base.batchSize}, or ${n.noisyBatch} on mnist-noisy), so "above the start" compares two minibatches. A run that broke down keeps max(f(x_0), its last finite f) for the rest (docs/design.md §5). Wilson score intervals for the fractions; percentile bootstrap (2,000 resamples) for the means and the paired difference, which resamples instances within each test problem.`,
      `GPS runs per coordinate (Li & Malik 2017) with its current feature defaults (AdaGrad-scaled gradients, relative ν step), BPTT is the coordinatewise LSTM of Andrychowicz et al.; both train on the first ${n.trainInstances} MNIST training instances (GPS on the first ${n.gps.conditions} as conditions) and choose their policy by the mean loss after T = ${T} steps on the ${n.validationInstances} after them, so neither sees a step beyond T. ${n.baselines.join(' and ')} are tuned at T on the same ${n.trainInstances} training instances and used unchanged on every test problem. Test runs draw their minibatches from MNIST's test images.`,
      `T = ${T} for both learners (Li & Malik's is 400) and ${n.testInstances} runs per test problem, so that the full run fits in 30 minutes on two cores.`,
      `Logistic regression: GPS (full state, the defaults otherwise: its policy is chosen on runs of ${l.gps.validationSteps ?? DEFAULT_GPS_CONFIG.validationSteps} steps) and BPTT trained at T = ${lT}, Adam and L-BFGS tuned at T on the training objectives.`,
    ],
    figures,
  };
}
