// Training stages the experiments share: a GPS or BPTT run in the experiment's directory (resumed
// if a previous attempt was killed), loaded back as a contender for the comparisons.
import { createFamily } from '../envs/registry.ts';
import type { ObjectiveFamily } from '../envs/objective.ts';
import { defaultGpsConfig, type GpsConfig } from '../src/gps/badmm.ts';
import { divideTrainingSplit } from '../src/gps/train.ts';
import { trainGpsRestarts } from '../src/gps/train-restarts.ts';
import { loadGpsPolicy } from '../src/gps/checkpoint.ts';
import { defaultRestarts } from '../src/gps/restarts.ts';
import { DEFAULT_BPTT_CONFIG, type BpttConfig } from '../src/supervised/bptt.ts';
import { trainBptt } from '../src/supervised/train.ts';
import { loadBpttPolicy } from '../src/supervised/checkpoint.ts';
import type { Contender } from '../src/evaluate/compare.ts';
import { describeIteration } from '../src/gps/iteration-summary.ts';
import type { ExperimentRun } from './experiment-run.ts';
import { learnedPolicySpec } from '../src/evaluate/parallel-runs.ts';

export interface FamilySpec {
  env: string;
  params: Record<string, string | number>;
}

export function familyOf(spec: FamilySpec): ObjectiveFamily {
  return createFamily(spec.env, spec.params);
}

/** What a training run records of its family: the env's name and its parameters as strings. */
export function identityOf(spec: FamilySpec) {
  return { env: spec.env, envParams: Object.fromEntries(Object.entries(spec.params).map(([k, v]) => [k, String(v)])) };
}

export interface TrainingRecord {
  algo: 'gps' | 'bptt';
  dir: string;
  seconds: number;
}

/**
 * A GPS training as `l2o train` runs it by default (trainGpsRestarts): in the full state the mean of
 * `restarts` trainings (defaultRestarts: three, seeds S, S + 1, S + 2, in dir/restart-k), per
 * coordinate one.
 */
export async function trainGpsStage(run: ExperimentRun, key: string, spec: FamilySpec, overrides: Partial<GpsConfig>, restarts = defaultRestarts(overrides.coordinatewise ?? false)): Promise<TrainingRecord> {
  const dir = run.trainingDir(key);
  return run.stage(`train-${key}`, async () => {
    const family = familyOf(spec);
    const config: GpsConfig = { ...defaultGpsConfig(overrides.coordinatewise ?? false), ...divideTrainingSplit(family, overrides), seed: run.settings.seed, ...overrides };
    const started = Date.now();
    let k = 0; // restarts finished
    let label = key;
    let done = 0;
    await trainGpsRestarts({
      config,
      family,
      identity: identityOf(spec),
      out: dir,
      resume: true,
      restarts,
      combine: 'mean',
      pool: run.pool,
      onRestart: (restart, total) => {
        k = restart.index - 1;
        done = 0;
        label = `${key} restart ${restart.index}/${total}`;
      },
      onIteration: (log, trained, best) => {
        done = log.iteration + 1;
        run.work(k * config.iterations + done, restarts * config.iterations);
        run.say(`  ${label} ${describeIteration(log, trained, best)}`);
      },
      onProgress: (message) => run.work(k * config.iterations + done, restarts * config.iterations, message),
    });
    return { algo: 'gps' as const, dir, seconds: (Date.now() - started) / 1000 };
  });
}

export async function trainBpttStage(run: ExperimentRun, key: string, spec: FamilySpec, overrides: Partial<BpttConfig>): Promise<TrainingRecord> {
  const dir = run.trainingDir(key);
  return run.stage(`train-${key}`, async () => {
    const config: BpttConfig = { ...DEFAULT_BPTT_CONFIG, seed: run.settings.seed, ...overrides };
    const started = Date.now();
    await trainBptt({
      config,
      family: familyOf(spec),
      identity: identityOf(spec),
      out: dir,
      resume: true,
      onIteration: (log) => {
        run.work(log.iteration + 1, config.iterations, `meta-loss ${log.metaLoss.toPrecision(4)}`);
        if (log.validation !== undefined) run.say(`  ${key} meta-iteration ${log.iteration + 1}/${config.iterations}: held-out final f ${log.validation.toPrecision(4)}`);
      },
    });
    return { algo: 'bptt' as const, dir, seconds: (Date.now() - started) / 1000 };
  });
}

export function learnedContender(record: TrainingRecord): Extract<Contender, { policy: unknown }> {
  const policy = record.algo === 'gps' ? loadGpsPolicy(record.dir).policy : loadBpttPolicy(record.dir).policy;
  return { name: record.algo, policy, lr: null, spec: learnedPolicySpec(record.algo, record.dir) };
}

/** Held-out comparisons use a seed of their own, as in the issues' protocol (train with 1, test with 2). */
export function evaluationSeed(seed: string): string {
  return /^\d+$/.test(seed) ? String(Number(seed) + 1) : `${seed}-eval`;
}
