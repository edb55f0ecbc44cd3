// Sparse coding (issue 25; docs/sparse.md): how close each method's iterate comes to the true code
// z* on held-out signals, per iteration or layer, and whether training for the convergence rate
// instead of the sum of losses changes what GPS and BPTT do beyond their training horizon.
// - LISTA with K layers for each K in `depths`, against ISTA and FISTA at K and 10K iterations
//   (Gregor & LeCun's depth-for-iterations comparison), NMSE = 10·log10(Σ‖x − z*‖²/Σ‖z*‖²);
// - per-coordinate GPS and BPTT, each trained at horizon T with the sum and with the rate
//   meta-objective (docs/design.md §8), run to 10T: the log-gap log10((f − f*)/(f0 − f*)) and the
//   NMSE at T and 10T, with paired bootstrap intervals of rate − sum.
// ISTA and FISTA step with lr/L, lr tuned at horizon T on training instances as every baseline is.
import { rmSync, existsSync } from 'node:fs';
import type { ObjectiveFamily } from '../envs/objective.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { DEFAULT_LR_GRID, findHandDesigned } from '../policies/hand-designed.ts';
import type { Policy } from '../policies/policy.ts';
import { rollout } from '../policies/rollout.ts';
import { chargedCurve } from '../policies/run-problems.ts';
import { rankRows, summarizeRuns, type ResultRow } from '../src/evaluate/compare.ts';
import { pairedDifference } from '../src/evaluate/paired-difference.ts';
import { tuneLearningRate } from '../src/evaluate/tuner.ts';
import type { GpsConfig } from '../src/gps/config.ts';
import type { MetaObjective } from '../src/meta-objective.ts';
import { Rng } from '../src/random.ts';
import type { BpttConfig } from '../src/supervised/config.ts';
import { DEFAULT_LISTA_CONFIG, listaPath, loadListaPolicy, trainListaRun, type ListaConfig } from '../src/supervised/lista.ts';
import { median, quantile } from '../src/vector.ts';
import type { ExperimentRun } from './experiment-run.ts';
import type { ExperimentOutcome } from './experiment.ts';
import { evaluationSeed, familyOf, identityOf, learnedContender, trainBpttStage, trainGpsStage, type FamilySpec } from './learned-optimizers.ts';
import type { Figure, ProblemResult, SummaryTable } from './results.ts';

interface Settings {
  family: FamilySpec;
  /** T: GPS's and BPTT's training horizon; everything runs to `multiple`·T. */
  horizon: number;
  multiple: number;
  /** The LISTA depths K, each a network of its own. */
  depths: number[];
  lista: Omit<ListaConfig, 'layers' | 'seed'>;
  gps: Partial<GpsConfig>;
  bptt: Partial<BpttConfig>;
  /** Held-out signals (the first of the test split). */
  signals: number;
  /** Training instances ISTA's and FISTA's lr is tuned on. */
  tuneProblems: number;
}

const META_OBJECTIVES_COMPARED: MetaObjective[] = ['sum', 'rate'];

function settings(quick: boolean): Settings {
  if (quick) {
    const horizon = 4;
    return {
      family: { env: 'sparse-coding', params: { trainSize: 40, testSize: 6 } },
      horizon,
      multiple: 10,
      depths: [2, 4],
      lista: { iterations: 20, batch: 8, learningRate: DEFAULT_LISTA_CONFIG.learningRate, validationProblems: 4, validateEvery: 10 },
      gps: { coordinatewise: true, conditions: 3, validation: 2, validationSteps: horizon, horizon, samples: 3, iterations: 1, innerIterations: 1, policyIterations: 20, sampledCoordinates: 8 },
      bptt: { horizon, unroll: horizon, iterations: 2, batch: 2, validationProblems: 2, validateEvery: 1, lstm: { hidden: 4, layers: 2, preprocessP: 10, outputScale: 0.1 } },
      signals: 6,
      tuneProblems: 3,
    };
  }
  const horizon = 20;
  return {
    // Ten thousand training signals: with the default thousand LISTA overfits (docs/sparse.md).
    family: { env: 'sparse-coding', params: { trainSize: 10000, testSize: 1000 } },
    horizon,
    multiple: 10,
    depths: [4, 8, 16],
    lista: { iterations: DEFAULT_LISTA_CONFIG.iterations, batch: DEFAULT_LISTA_CONFIG.batch, learningRate: DEFAULT_LISTA_CONFIG.learningRate, validationProblems: DEFAULT_LISTA_CONFIG.validationProblems, validateEvery: DEFAULT_LISTA_CONFIG.validateEvery },
    // The policy is chosen on runs of T steps, so nothing beyond T is seen in training.
    gps: { coordinatewise: true, horizon, validation: 50, validationSteps: horizon },
    bptt: { horizon, unroll: horizon },
    signals: 1000,
    tuneProblems: 100,
  };
}

/** What one method's runs on the held-out signals leave for the tables and plots. */
interface MethodRuns {
  name: string;
  lr: number | null;
  row: ResultRow;
  /** f at the last step, per signal (for the paired ranking). */
  finals: number[];
  /** Σ_i‖x_t − z*_i‖²/Σ_i‖z*_i‖² per step t. */
  nmse: number[];
  /** Median over the signals of (f_t − f*)/(f_0 − f*) per step. */
  medianGap: number[];
  /** Per signal: ‖x_t − z*‖² at the steps the tables read. */
  errorsAt: Record<string, number[]>;
  /** Per signal: log10((f_t − f*)/(f_0 − f*)) at T and at the end. */
  logGapAt: Record<string, number[]>;
}

/** f* and ‖z*‖² of each held-out signal: shared by every method. */
interface Truths {
  minima: number[];
  energies: number[];
}

function truthsOf(family: ObjectiveFamily, signals: number): Truths {
  const minima: number[] = [];
  const energies: number[] = [];
  for (let i = 0; i < signals; i++) {
    const objective = family.sample('test', i);
    minima.push(objective.minimum!);
    energies.push(objective.sparseCode!.zStar.reduce((s, v) => s + v * v, 0));
  }
  return { minima, energies };
}

/**
 * Runs a method on the first `signals` test instances for `steps` steps (as runProblems does: the
 * same starts for every method), recording each iterate's squared error against z*. A run that
 * breaks down keeps, for the rest, the largest error it had (as chargedCurve does for f).
 */
function runMethod(name: string, lr: number | null, policy: Policy, family: ObjectiveFamily, s: Settings, seed: string, truths: Truths, readAt: number[]): MethodRuns {
  const steps = s.horizon * s.multiple;
  const env = new OptimizationEnv({ historyLength: policy.historyLength });
  const root = new Rng(`run-${seed}`);
  const runs = [];
  const errors: Float64Array[] = [];
  for (let i = 0; i < s.signals; i++) {
    const objective = family.sample('test', i);
    const zStar = objective.sparseCode!.zStar;
    const error = new Float64Array(steps + 1).fill(NaN);
    try {
      runs.push(
        rollout(env, policy, objective, steps, root.fork(`test/${i}`), {
          onIterate: (t, x) => {
            let e = 0;
            for (let j = 0; j < x.length; j++) e += (x[j] - zStar[j]) ** 2;
            error[t] = e;
          },
        }),
      );
    } finally {
      objective.dispose?.();
    }
    let worst = error[0];
    for (let t = 0; t <= steps; t++) {
      if (Number.isFinite(error[t])) worst = Math.max(worst, error[t]);
      else error[t] = worst;
    }
    errors.push(error);
  }
  const energy = truths.energies.reduce((a, b) => a + b, 0);
  const curves = runs.map(chargedCurve);
  const gap = (i: number, t: number) => (curves[i][t] - truths.minima[i]) / (curves[i][0] - truths.minima[i]);
  const T = s.horizon;
  return {
    name,
    lr,
    row: summarizeRuns(name, lr, runs, steps),
    finals: curves.map((c) => c[steps]),
    nmse: Array.from({ length: steps + 1 }, (_, t) => errors.reduce((sum, e) => sum + e[t], 0) / energy),
    medianGap: Array.from({ length: steps + 1 }, (_, t) => median(curves.map((_c, i) => gap(i, t)))),
    errorsAt: Object.fromEntries(readAt.filter((t) => t <= steps).map((t) => [String(t), errors.map((e) => e[t])])),
    logGapAt: Object.fromEntries([T, steps].map((t) => [String(t), curves.map((_c, i) => Math.log10(Math.max(gap(i, t), 1e-300)))])),
  };
}

/** NMSE in dB of per-signal squared errors, with a 95% bootstrap interval over the signals. */
function nmseWithInterval(errors: number[], energies: number[], rng: Rng, resamples = 1000): { db: number; low: number; high: number } {
  const db = (pick: (k: number) => number) => {
    let error = 0;
    let energy = 0;
    for (let k = 0; k < errors.length; k++) {
      const i = pick(k);
      error += errors[i];
      energy += energies[i];
    }
    return 10 * Math.log10(error / energy);
  };
  const samples = Array.from({ length: resamples }, () => db(() => rng.int(errors.length)));
  return { db: db((k) => k), low: quantile(samples, 0.025), high: quantile(samples, 0.975) };
}

const interval = (d: { mean: number; low: number; high: number }) => `${d.mean.toPrecision(3)} [${d.low.toPrecision(3)}, ${d.high.toPrecision(3)}]`;
const formatDb = (v: { db: number; low: number; high: number }) => `${v.db.toFixed(2)} [${v.low.toFixed(2)}, ${v.high.toFixed(2)}]`;

export async function sparseCodingExperiment(run: ExperimentRun): Promise<ExperimentOutcome> {
  const s = settings(run.settings.quick);
  const T = s.horizon;
  const steps = T * s.multiple;
  const seed = evaluationSeed(run.settings.seed);
  const identity = identityOf(s.family);

  // 1. Training: a LISTA network per depth, GPS and BPTT per meta-objective.
  const listaDirs: Record<number, string> = {};
  const listaSeconds: Record<number, number> = {};
  for (const K of s.depths) {
    const dir = run.trainingDir(`lista-${K}`);
    listaDirs[K] = dir;
    listaSeconds[K] = await run.stage(`train-lista-${K}`, async () => {
      const started = Date.now();
      if (existsSync(dir) && !existsSync(listaPath(dir))) rmSync(dir, { recursive: true, force: true }); // an attempt killed before it saved
      if (existsSync(listaPath(dir))) return 0;
      const config: ListaConfig = { ...s.lista, layers: K, seed: run.settings.seed };
      const result = await trainListaRun({
        family: familyOf(s.family),
        config,
        identity,
        out: dir,
        onValidation: (log) => run.work(log.iteration, config.iterations, `held-out NMSE ${log.validationNmseDb.toFixed(2)} dB`),
      });
      run.say(`  lista-${K}: held-out NMSE ${result.initialNmseDb.toFixed(2)} dB at its ISTA initialization, ${result.validationNmseDb.toFixed(2)} dB trained`);
      return (Date.now() - started) / 1000;
    });
  }
  const learned: { name: string; algo: 'gps' | 'bptt'; meta: MetaObjective; record: Awaited<ReturnType<typeof trainGpsStage>> }[] = [];
  for (const meta of META_OBJECTIVES_COMPARED) {
    learned.push({ name: `gps-${meta}`, algo: 'gps', meta, record: await trainGpsStage(run, `gps-${meta}`, s.family, { ...s.gps, metaObjective: meta }) });
    learned.push({ name: `bptt-${meta}`, algo: 'bptt', meta, record: await trainBpttStage(run, `bptt-${meta}`, s.family, { ...s.bptt, metaObjective: meta }) });
  }

  // 2. The baselines' learning rates, tuned at T on training instances.
  const tuned = await run.stage('tune-proximal', async () => {
    const family = familyOf(s.family);
    const lrs: Record<string, number> = {};
    for (const name of ['ista', 'fista']) lrs[name] = (await tuneLearningRate(findHandDesigned(name), family, { steps: T, seed, grid: DEFAULT_LR_GRID, trainProblems: s.tuneProblems, pool: run.pool })).lr;
    return lrs;
  });

  // 3. Every method on the held-out signals, to 10T.
  const truths = await run.stage('held-out-minima', () => truthsOf(familyOf(s.family), s.signals));
  const readAt = [...new Set([T, steps, ...s.depths, ...s.depths.map((K) => s.multiple * K)])].sort((a, b) => a - b);
  const methods: { name: string; lr: number | null; policy: () => Policy }[] = [
    ...(['ista', 'fista'] as const).map((name) => ({ name, lr: tuned[name], policy: () => findHandDesigned(name).create(tuned[name]) })),
    ...s.depths.map((K) => ({ name: `lista-${K}`, lr: null, policy: () => loadListaPolicy(listaDirs[K]).policy as Policy })),
    ...learned.map((l) => ({ name: l.name, lr: null, policy: () => learnedContender(l.record).policy })),
  ];
  const results: MethodRuns[] = [];
  for (const m of methods) {
    results.push(
      await run.stage(`held-out-${m.name}`, () => {
        const started = Date.now();
        const out = runMethod(m.name, m.lr, m.policy(), familyOf(s.family), s, seed, truths, readAt);
        run.say(`  ${m.name}: ${s.signals} signals × ${steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return out;
      }),
    );
  }
  const byName = (name: string) => results.find((r) => r.name === name)!;
  const rng = new Rng(`sparse-coding-bootstrap-${seed}`);

  // 4. Tables, figures and what they say.
  const depthRows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const K of s.depths) {
    const lista = nmseWithInterval(byName(`lista-${K}`).errorsAt[K], truths.energies, rng);
    const fista = nmseWithInterval(byName('fista').errorsAt[K], truths.energies, rng);
    const ista = nmseWithInterval(byName('ista').errorsAt[K], truths.energies, rng);
    const istaLong = nmseWithInterval(byName('ista').errorsAt[s.multiple * K], truths.energies, rng);
    depthRows.push([String(K), formatDb(lista), formatDb(fista), formatDb(ista), formatDb(istaLong)]);
    const verdict = (a: number, b: number) => (a < b ? 'lower than' : 'not lower than');
    notes.push(
      `K = ${K}: LISTA-${K}'s NMSE (${lista.db.toFixed(2)} dB) is ${verdict(lista.db, fista.db)} FISTA's after ${K} iterations (${fista.db.toFixed(2)} dB) and ${verdict(lista.db, istaLong.db)} ISTA's after ${s.multiple * K} (${istaLong.db.toFixed(2)} dB).`,
    );
  }
  const depthTable: SummaryTable = {
    title: `NMSE (dB, 95% bootstrap interval over ${s.signals} held-out signals) after K layers or iterations`,
    columns: ['K', 'LISTA, K layers', 'FISTA, K iterations', 'ISTA, K iterations', `ISTA, ${s.multiple}K iterations`],
    rows: depthRows,
  };

  const metaRows: (string | number)[][] = [];
  const metaRow = (r: MethodRuns, label = r.name) => [
    label,
    median(r.logGapAt[T]),
    median(r.logGapAt[steps]),
    nmseWithInterval(r.errorsAt[T], truths.energies, rng).db,
    nmseWithInterval(r.errorsAt[steps], truths.energies, rng).db,
    `${r.row.diverged} of ${s.signals}`,
  ];
  for (const algo of ['gps', 'bptt'] as const) {
    const sum = byName(`${algo}-sum`);
    const rate = byName(`${algo}-rate`);
    metaRows.push(metaRow(sum), metaRow(rate));
    const atEnd = pairedDifference(rate.logGapAt[steps], sum.logGapAt[steps], rng);
    const atT = pairedDifference(rate.logGapAt[T], sum.logGapAt[T], rng);
    const changes = (d: { low: number; high: number }) => (d.high < 0 ? 'lower (faster convergence)' : d.low > 0 ? 'higher (slower convergence)' : 'not distinguishable from zero');
    notes.push(
      `${algo.toUpperCase()}, rate − sum meta-objective, mean paired difference of log10((f − f*)/(f0 − f*)) over the signals: at T = ${T} ${interval(atT)}, ${changes(atT)}; at ${s.multiple}T = ${steps} ${interval(atEnd)}, ${changes(atEnd)}.`,
    );
  }
  for (const name of ['ista', 'fista']) metaRows.push(metaRow(byName(name), `${name} (lr ${byName(name).lr})`));
  const metaTable: SummaryTable = {
    title: `Sum vs rate meta-objective: trained at T = ${T}, run to ${s.multiple}T = ${steps}`,
    columns: ['method', `median log10 gap at T`, `median log10 gap at ${s.multiple}T`, 'NMSE dB at T', `NMSE dB at ${s.multiple}T`, `diverged by ${s.multiple}T`],
    rows: metaRows,
  };

  const deepest = Math.max(...s.depths);
  const nan = () => new Array<number>(steps + 1).fill(NaN);
  const listaPoints = nan();
  for (const K of s.depths) listaPoints[K] = byName(`lista-${K}`).nmse[K];
  const figures: Figure[] = [
    {
      name: 'nmse-vs-iterations',
      title: `NMSE on ${s.signals} held-out signals (10 dB per decade)`,
      xLabel: 'iteration or layer',
      yLabel: 'NMSE Σ‖x − z*‖²/Σ‖z*‖²',
      series: [
        { label: 'LISTA-K at K', values: listaPoints },
        { label: `LISTA-${deepest} → ISTA`, values: byName(`lista-${deepest}`).nmse },
        ...['ista', 'fista', 'gps-sum', 'bptt-sum'].map((name) => ({ label: name, values: byName(name).nmse })),
      ],
    },
    {
      name: 'meta-objectives',
      title: `Sum vs rate: median (f − f*)/(f0 − f*), trained at T = ${T}`,
      xLabel: 'step',
      yLabel: 'median (f − f*)/(f0 − f*)',
      series: ['gps-sum', 'gps-rate', 'bptt-sum', 'bptt-rate', 'fista'].map((name) => ({ label: name, values: byName(name).medianGap })),
    },
  ];

  const rows = results.map((r) => r.row);
  rankRows(rows, results.map((r) => r.finals), seed);
  const problem: ProblemResult = {
    name: `sparse-coding-${steps}-steps`,
    title: `sparse-coding: the lasso f on ${s.signals} held-out signals, ${steps} steps`,
    env: s.family.env,
    params: s.family.params,
    split: 'test',
    steps,
    problems: s.signals,
    results: rows,
  };
  notes.push(
    `ISTA and FISTA step with lr/L (L = ‖D‖₂²), lr tuned over the default grid at horizon ${T} on ${s.tuneProblems} training instances. LISTA's policy takes its K layers and then ISTA steps with 1/L. A run that breaks down keeps its largest error and loss for the rest. f* per signal: restarted FISTA to rounding (docs/design.md §8).`,
  );
  return {
    settings: { ...s, evaluationSeed: seed },
    problems: [problem],
    tables: [depthTable, metaTable, { title: 'Training time', columns: ['method', 'minutes'], rows: [...s.depths.map((K) => [`lista-${K}`, listaSeconds[K] / 60]), ...learned.map((l) => [l.name, l.record.seconds / 60])] }],
    notes,
    figures,
  };
}
