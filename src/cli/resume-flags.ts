// `l2o train --resume` continues a run with the settings it was started with; a flag given on the
// command line that says otherwise would be silently ignored, so it is refused instead. Only flags
// the user typed count (a default is no contradiction), and only settings a run keeps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../atomic-file.ts';
import { UserError } from '../errors.ts';
import { camelCase } from './options.ts';
import { savedGpsSettings, type GpsConfig } from '../gps/config.ts';
import { savedBpttSettings, type BpttConfig } from '../supervised/config.ts';

/**
 * Every `l2o train --algo gps` flag whose setting state.json keeps (a checkpoint written before the
 * setting existed ran with savedGpsSettings' value). `--iterations` is not here: a resume may extend a run.
 * (test/checkpoints.test.ts checks that every saved setting is either here or set by no flag.)
 */
export const GPS_RESUMED_FLAGS: { flag: string; key: keyof GpsConfig }[] = [
  { flag: 'conditions', key: 'conditions' },
  { flag: 'validation', key: 'validation' },
  { flag: 'validation-steps', key: 'validationSteps' },
  { flag: 'horizon', key: 'horizon' },
  { flag: 'meta-objective', key: 'metaObjective' },
  { flag: 'samples', key: 'samples' },
  { flag: 'history', key: 'historyLength' },
  { flag: 'seed', key: 'seed' },
  { flag: 'kl-step', key: 'klStep' },
  { flag: 'inner', key: 'innerIterations' },
  { flag: 'initial-noise', key: 'initialNoise' },
  { flag: 'teacher-score', key: 'teacherScore' },
  { flag: 'teacher-refine', key: 'teacherRefine' },
  { flag: 'policy-iterations', key: 'policyIterations' },
  { flag: 'initial-nu', key: 'initialNu' },
  { flag: 'exploration-floor', key: 'explorationFloor' },
  { flag: 'on-policy-samples', key: 'onPolicySamples' },
  { flag: 'step-adjustment', key: 'stepAdjustment' },
  { flag: 'nu-step', key: 'nuStep' },
  { flag: 'coordinatewise', key: 'coordinatewise' },
  { flag: 'gradient-scaling', key: 'gradientScaling' },
  { flag: 'sampled-coordinates', key: 'sampledCoordinates' },
  { flag: 'parameter-groups', key: 'parameterGroups' },
  { flag: 'features', key: 'features' },
  { flag: 'gradient-dynamics', key: 'gradientDynamics' },
  { flag: 'cost-gradient', key: 'costGradient' },
  { flag: 'policy', key: 'policy' },
  { flag: 'policy-batch', key: 'policyBatch' },
  { flag: 'lstm-cells', key: 'lstmCells' },
  { flag: 'warm-start-mixtures', key: 'warmStartMixtures' },
];

/** The same for `l2o train --algo bptt`: a dotted path into BpttConfig. */
export const BPTT_RESUMED_FLAGS: { flag: string; path: string }[] = [
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
  { flag: 'meta-objective', path: 'metaObjective' },
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
  const settings = GPS_RESUMED_FLAGS.map(({ flag, key }) => ({ flag, path: key, value: config[key] }));
  refuseContradictingFlags(out, argv, settings, (saved) => savedGpsSettings(saved as Partial<GpsConfig>));
}

/** Refuses a typed BPTT flag that contradicts the run in `out`. */
export function refuseContradictingBpttFlags(out: string, argv: readonly string[], config: BpttConfig): void {
  const settings = BPTT_RESUMED_FLAGS.map(({ flag, path }) => ({ flag, path, value: lookUp(config, path) }));
  refuseContradictingFlags(out, argv, settings, (saved) => savedBpttSettings(saved as unknown as BpttConfig));
}

/** A flag and where its value sits in the saved config (a dotted path), with the value now asked for. */
export interface ResumedSetting {
  flag: string;
  path: string;
  value: unknown;
}

/** Whether `--flag` (or `--flag=…`, or `--no-flag`) is among the command-line arguments. */
export function typed(argv: readonly string[], flag: string): boolean {
  // yargs takes a flag in camelCase too (--klStep for --kl-step): both spellings count as typed.
  const camel = camelCase(flag);
  const noCamel = `no${camel[0].toUpperCase()}${camel.slice(1)}`;
  return argv.some((a) => [flag, camel].some((f) => a === `--${f}` || a.startsWith(`--${f}=`) || a === `--no-${f}`) || a === `--${noCamel}`);
}

/** `settings` against the saved ones, as `withFallbacks` completes a file written before some existed. */
export function refuseContradictingFlags(out: string, argv: readonly string[], settings: ResumedSetting[], withFallbacks: (saved: Record<string, unknown>) => object): void {
  const saved = savedConfig(out);
  if (saved === null || saved === 'unreadable') return; // the trainer reports a broken checkpoint in its own words
  const complete = withFallbacks(saved);
  for (const { flag, path: key, value } of settings) {
    if (!typed(argv, flag)) continue;
    const was = lookUp(complete, key);
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
 * The settings a resumed run goes on with, which its trainer insists on: the saved ones (completed as
 * the trainer reads them) with `config`'s number of iterations; `config` itself where nothing
 * readable is saved (the trainer then starts afresh, or reports the broken file).
 */
export function resumedGpsConfig(saved: SavedConfig, config: GpsConfig): GpsConfig {
  if (saved === null || saved === 'unreadable') return config;
  return { ...savedGpsSettings(saved as Partial<GpsConfig>), iterations: config.iterations };
}

/** The same for BPTT. */
export function resumedBpttConfig(saved: SavedConfig, config: BpttConfig): BpttConfig {
  if (saved === null || saved === 'unreadable') return config;
  return { ...savedBpttSettings(saved as unknown as BpttConfig), iterations: config.iterations };
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
