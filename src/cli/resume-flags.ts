// `l2o train --resume` continues a run with the settings it was started with; a flag given on the
// command line that says otherwise would be silently ignored, so it is refused instead. Only flags
// the user typed count (a default is no contradiction), and only settings a run keeps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../atomic-file.ts';
import { UserError } from '../errors.ts';
import { camelCase } from './options.ts';
import type { GpsConfig } from '../gps/config.ts';
import type { BpttConfig } from '../supervised/config.ts';

/**
 * Every `l2o train --algo gps` flag whose setting state.json keeps, with what a checkpoint written
 * before the setting existed ran with. `--iterations` is not here: a resume may extend a run.
 * (test/checkpoints.test.ts checks that every saved setting is either here or set by no flag.)
 */
export const GPS_RESUMED_FLAGS: { flag: string; key: keyof GpsConfig; fallback?: unknown }[] = [
  { flag: 'conditions', key: 'conditions' },
  { flag: 'validation', key: 'validation', fallback: 0 },
  { flag: 'validation-steps', key: 'validationSteps' },
  { flag: 'horizon', key: 'horizon' },
  { flag: 'meta-objective', key: 'metaObjective', fallback: 'sum' },
  { flag: 'samples', key: 'samples' },
  { flag: 'history', key: 'historyLength' },
  { flag: 'seed', key: 'seed' },
  { flag: 'kl-step', key: 'klStep' },
  { flag: 'inner', key: 'innerIterations' },
  { flag: 'initial-noise', key: 'initialNoise' },
  { flag: 'teacher-score', key: 'teacherScore', fallback: 'sum' },
  { flag: 'teacher-refine', key: 'teacherRefine', fallback: 0 },
  { flag: 'policy-iterations', key: 'policyIterations' },
  { flag: 'initial-nu', key: 'initialNu' },
  { flag: 'exploration-floor', key: 'explorationFloor', fallback: 0 },
  { flag: 'on-policy-samples', key: 'onPolicySamples', fallback: 0 },
  { flag: 'step-adjustment', key: 'stepAdjustment', fallback: 'cost' },
  { flag: 'nu-step', key: 'nuStep', fallback: 'gradient' },
  { flag: 'coordinatewise', key: 'coordinatewise', fallback: false },
  { flag: 'gradient-scaling', key: 'gradientScaling', fallback: 'none' },
  { flag: 'sampled-coordinates', key: 'sampledCoordinates' },
  { flag: 'parameter-groups', key: 'parameterGroups', fallback: false },
  { flag: 'features', key: 'features', fallback: 'history' },
  { flag: 'gradient-dynamics', key: 'gradientDynamics', fallback: 'fitted' },
  { flag: 'cost-gradient', key: 'costGradient', fallback: 'minibatch' },
  { flag: 'policy', key: 'policy', fallback: 'mlp' },
  { flag: 'policy-batch', key: 'policyBatch' },
  { flag: 'lstm-cells', key: 'lstmCells' },
  { flag: 'warm-start-mixtures', key: 'warmStartMixtures', fallback: true },
];

/** The same for `l2o train --algo bptt`: a dotted path into BpttConfig. */
export const BPTT_RESUMED_FLAGS: { flag: string; path: string; fallback?: unknown }[] = [
  { flag: 'hidden', path: 'lstm.hidden' },
  { flag: 'preprocess-p', path: 'lstm.preprocessP' },
  { flag: 'output-scale', path: 'lstm.outputScale' },
  { flag: 'horizon', path: 'horizon' },
  { flag: 'unroll', path: 'unroll' },
  { flag: 'batch', path: 'batch' },
  { flag: 'lr', path: 'learningRate' },
  { flag: 'validation', path: 'validationProblems' },
  { flag: 'validate-every', path: 'validateEvery' },
  { flag: 'chunk-size', path: 'chunkSize' },
  { flag: 'meta-objective', path: 'metaObjective', fallback: 'sum' },
  { flag: 'seed', path: 'seed' },
];

/** The value at a dotted path. */
function lookUp(value: unknown, path: string): unknown {
  let found = value;
  for (const part of path.split('.')) found = (found as Record<string, unknown> | undefined)?.[part];
  return found;
}

/** Refuses a typed GPS flag that contradicts the run in `out` (`config`: the settings the command line asks for). */
export function refuseContradictingGpsFlags(out: string, argv: readonly string[], config: GpsConfig): void {
  refuseContradictingFlags(out, argv, GPS_RESUMED_FLAGS.map(({ flag, key, fallback }) => ({ flag, path: key, value: config[key], fallback })));
}

/** Refuses a typed BPTT flag that contradicts the run in `out`. */
export function refuseContradictingBpttFlags(out: string, argv: readonly string[], config: BpttConfig): void {
  refuseContradictingFlags(out, argv, BPTT_RESUMED_FLAGS.map(({ flag, path, fallback }) => ({ flag, path, value: lookUp(config, path), fallback })));
}

/** A flag and where its value sits in the saved config (a dotted path), with the value now asked for. */
export interface ResumedSetting {
  flag: string;
  path: string;
  value: unknown;
  /** What a checkpoint written before the setting existed ran with. */
  fallback: unknown;
}

/** Whether `--flag` (or `--flag=…`, or `--no-flag`) is among the command-line arguments. */
export function typed(argv: readonly string[], flag: string): boolean {
  // yargs takes a flag in camelCase too (--klStep for --kl-step): both spellings count as typed.
  const camel = camelCase(flag);
  const noCamel = `no${camel[0].toUpperCase()}${camel.slice(1)}`;
  return argv.some((a) => [flag, camel].some((f) => a === `--${f}` || a.startsWith(`--${f}=`) || a === `--no-${f}`) || a === `--${noCamel}`);
}

export function refuseContradictingFlags(out: string, argv: readonly string[], settings: ResumedSetting[]): void {
  const path = join(out, 'state.json');
  if (!existsSync(path)) return;
  let saved: { config?: Record<string, unknown> };
  try {
    saved = readJsonFile(path, 'checkpoint') as { config?: Record<string, unknown> };
  } catch {
    return; // the trainer reports a broken checkpoint in its own words
  }
  for (const { flag, path: key, value, fallback } of settings) {
    if (!typed(argv, flag)) continue;
    const was = lookUp(saved.config, key) ?? fallback;
    if (was !== value) {
      throw new UserError(`--${flag} ${String(value)} contradicts the run in ${out}, which was started with ${String(was)}; --resume keeps a run's settings (drop the flag, or train into another --out)`);
    }
  }
}

/** What `out`'s state.json saved as its settings: null without the file, 'unreadable' when it has no readable settings. */
export type SavedConfig = Record<string, unknown> | null | 'unreadable';

/** Reads the settings a run in `out` was started with, once, for what a resume decides before the trainer reads the file itself. */
export function savedConfig(out: string): SavedConfig {
  const path = join(out, 'state.json');
  if (!existsSync(path)) return null;
  try {
    const { config } = readJsonFile(path, 'checkpoint') as { config?: unknown };
    return typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : 'unreadable';
  } catch {
    return 'unreadable'; // the trainer reports a broken checkpoint in its own words
  }
}

/**
 * The settings a resumed GPS run goes on with, for the command's header: the saved ones (with the
 * fallbacks of older files), `config`'s number of iterations, and `config`'s settings where nothing
 * readable is saved.
 */
export function resumedGpsConfig(saved: SavedConfig, config: GpsConfig): GpsConfig {
  if (saved === null || saved === 'unreadable') return config;
  const resumed: Record<string, unknown> = { ...config };
  for (const { key, fallback } of GPS_RESUMED_FLAGS) {
    const was = saved[key] ?? fallback;
    if (was !== undefined) resumed[key] = was;
  }
  return resumed as unknown as GpsConfig;
}

/** The iteration a run's state.json was saved after (GPS and BPTT alike), or 0 without one: where a resumed run starts. */
export function savedIteration(out: string): number {
  const path = join(out, 'state.json');
  if (!existsSync(path)) return 0;
  try {
    const { iteration } = readJsonFile(path, 'checkpoint') as { iteration?: unknown };
    return typeof iteration === 'number' && Number.isFinite(iteration) ? iteration : 0;
  } catch {
    return 0; // the trainer reports a broken checkpoint in its own words
  }
}

/**
 * The iteration count a run was started with (its state.json's config, or restart 1's in a run of
 * restarts): what a plain --resume trains to, where --iterations is not given again.
 */
export function savedTargetIterations(out: string): number | undefined {
  for (const path of [join(out, 'state.json'), join(out, 'restart-1', 'state.json')]) {
    if (!existsSync(path)) continue;
    try {
      const { config } = readJsonFile(path, 'checkpoint') as { config?: { iterations?: unknown } };
      return Number.isInteger(config?.iterations) ? (config!.iterations as number) : undefined;
    } catch {
      return undefined; // the trainer reports a broken checkpoint in its own words
    }
  }
  return undefined;
}
