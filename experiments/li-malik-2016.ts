// Li & Malik (2016), DESIGN §5: GPS trained on the training objectives of each family (horizon 40),
// tested on 100 held-out objectives for 100 steps against GD, momentum, CG and L-BFGS, whose step
// sizes are tuned on the training objectives. The small net's policy is also tested on 1,000
// held-out objectives: on 100 its lead is inside the paired interval's noise.
import { compareOptimizers } from '../src/evaluate/compare.ts';
import type { GpsConfig } from '../src/gps/badmm.ts';
import type { ExperimentRun } from './experiment-run.ts';
import type { ExperimentOutcome } from './experiment.ts';
import { evaluationSeed, familyOf, learnedContender, trainGpsStage, type FamilySpec, type TrainingRecord } from './learned-optimizers.ts';
import type { ProblemResult } from './results.ts';

const PROBLEMS = [
  { env: 'logreg', title: 'Logistic regression' },
  { env: 'robust-regression', title: 'Robust linear regression (Geman–McClure)' },
  { env: 'small-net', title: 'Two-layer neural net classifier' },
];
const BASELINES = ['gd', 'momentum', 'cg', 'lbfgs'];

interface Settings {
  params: Record<string, string | number>;
  gps: Partial<GpsConfig>;
  /** Overrides for one family, on top of `gps`. */
  gpsPerFamily: Record<string, Partial<GpsConfig>>;
  problems: number;
  steps: number;
  /** A family whose policy is tested once more on a larger test split (its instances are a pure function of split and index, so the first 100 are the same). */
  largerTest: { env: string; problems: number };
}

function settings(quick: boolean): Settings {
  return quick
    ? { params: { trainSize: 4, testSize: 3 }, gps: { conditions: 3, validationSteps: 12, horizon: 8, samples: 3, iterations: 1, innerIterations: 1, policyIterations: 20 }, gpsPerFamily: {}, problems: 3, steps: 12, largerTest: { env: 'small-net', problems: 5 } }
    : {
        params: {},
        gps: {},
        // The small net's full state is 12 + 5·13 = 77-dimensional with 12 actions: its LQR costs about
        // 20 s per condition and iteration on one core (logreg's: under 1 s), so 10 of the 80 objectives.
        gpsPerFamily: { 'small-net': { conditions: 10, iterations: 6 } },
        problems: 100,
        steps: 100,
        largerTest: { env: 'small-net', problems: 1000 },
      };
}

export async function liMalik2016(run: ExperimentRun, backend: string): Promise<ExperimentOutcome> {
  const s = settings(run.settings.quick);
  const problems: ProblemResult[] = [];
  const trainingRows: (string | number)[][] = [];
  const trained = new Map<string, TrainingRecord>();
  const evaluate = (name: string, title: string, spec: FamilySpec, problemCount: number) =>
    run.stage(`eval-${name}`, () => {
      const family = familyOf(spec);
      const report = compareOptimizers([learnedContender(trained.get(spec.env)!), ...BASELINES.map((b) => ({ name: b }))], {
        family,
        split: 'test',
        steps: s.steps,
        problems: Math.min(problemCount, family.splitSizes.test),
        seed: evaluationSeed(run.settings.seed),
        backend,
        onProgress: (m) => run.say(`  ${name}: ${m}`),
      });
      return { name, title, env: spec.env, params: spec.params, split: 'test' as const, steps: s.steps, problems: report.problems, results: report.results };
    });
  for (const { env, title } of PROBLEMS) {
    const spec: FamilySpec = { env, params: s.params };
    const training = await trainGpsStage(run, `gps-${env}`, spec, { ...s.gps, ...s.gpsPerFamily[env] });
    trained.set(env, training);
    trainingRows.push([env, training.seconds / 60]);
    problems.push(await evaluate(env, title, spec, s.problems));
  }
  const larger = s.largerTest;
  const largerTitle = `${PROBLEMS.find((p) => p.env === larger.env)!.title}, the same policy on ${larger.problems} test objectives`;
  problems.push(await evaluate(`${larger.env}-${larger.problems}`, largerTitle, { env: larger.env, params: { ...s.params, testSize: larger.problems } }, larger.problems));
  return {
    settings: { families: PROBLEMS.map((p) => p.env), baselines: BASELINES, ...s, evaluationSeed: evaluationSeed(run.settings.seed) },
    problems,
    tables: [{ title: 'GPS training time', columns: ['family', 'minutes'], rows: trainingRows }],
    notes: ['Each learned optimizer is trained on the training split of its family and tested on the held-out test split; baselines are tuned on the training split.'],
  };
}
