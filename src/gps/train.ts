// The GPS training loop behind `l2o train --algo gps`: iterations with progress, a held-out score,
// a JSONL log line and an atomic checkpoint after each, and `resume` to continue a run that was killed.
import { writeFileSync, appendFileSync } from 'node:fs';
import { withRunDirectory } from '../run-lock.ts';
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { familyIdentity } from '../../envs/registry.ts';
import { UserError } from '../errors.ts';
import { requireFamily } from '../../envs/checked-objective.ts';
import type { TaskPool } from '../parallel/worker-pool.ts';
import { DEFAULT_GPS_CONFIG, GuidedPolicySearch, checkGpsConfig, type GpsConfig, type IterationLog } from './badmm.ts';
import { gpsConfigSchema, hasCheckpoint, loadCheckpoint, logPath, savePolicy, saveState, type BestPolicy } from './checkpoint.ts';
import { checkArgument } from '../schema.ts';
import { validationScore } from './validation.ts';
import { OPTIMIZER_FILES, describeIdentity, refuseChangedSettings, refuseOtherRun, sameIdentity, trimLog, type RunIdentity } from '../run-directory.ts';

/** What trainGps needs: settings, family, output directory, and whether to resume a run found there. */
export interface TrainOptions {
  config: GpsConfig;
  family: ObjectiveFamily;
  /** What the run records of its env; by default the family's own spec (built-in name or module path, and parameters). */
  identity?: RunIdentity;
  out: string;
  resume: boolean;
  onIteration?: (log: IterationLog, config: GpsConfig, best: BestPolicy | undefined) => void | Promise<void>;
  onProgress?: (message: string) => void;
  /** Workers for each iteration's per-condition steps; the run is the same for any count. */
  pool?: TaskPool;
}

/**
 * Conditions and held-out instances of a training split, each by default: 20 conditions (at most
 * four fifths of the split, or what --validation leaves), the rest of the split held out.
 */
export function divideTrainingSplit(family: ObjectiveFamily, requested: { conditions?: number; validation?: number }): { conditions: number; validation: number } {
  const train = family.splitSizes.train;
  const conditions = requested.conditions ?? Math.min(DEFAULT_GPS_CONFIG.conditions, train - Math.max(requested.validation ?? 0, Math.floor(train / 5)));
  return { conditions, validation: requested.validation ?? Math.max(train - conditions, 0) };
}

/** Trains a policy by guided policy search (docs/design.md §2), with a checkpoint after every iteration in `out`; resumes a killed run when asked. */
export async function trainGps(given: TrainOptions): Promise<GuidedPolicySearch> {
  const options = { ...given, family: requireFamily(given.family, 'trainGps') };
  const { out, family } = options;
  // A fresh run's settings are checked before its directory exists (by the schema its files are read
  // back with, so that no run is written that cannot be resumed); a resumed run's were checked when it started.
  if (!(options.resume && hasCheckpoint(out))) {
    checkGpsConfig(options.config, family); // first: its messages say why (samples ≥ 2: the dynamics fit)
    checkArgument(gpsConfigSchema, options.config, 'config');
  }
  refuseOtherRun(out, OPTIMIZER_FILES.gps);
  return withRunDirectory(out, () => hasCheckpoint(out), () => runGps(options));
}

async function runGps(options: TrainOptions): Promise<GuidedPolicySearch> {
  const { out, family } = options;
  const identity = options.identity ?? familyIdentity(family);
  let gps: GuidedPolicySearch;
  let config = options.config;
  let best: BestPolicy | undefined;
  if (options.resume && hasCheckpoint(out)) {
    const saved = loadCheckpoint(out);
    if (!sameIdentity(saved.identity, identity)) {
      throw new UserError(`${out} holds a run on env ${describeIdentity(saved.identity)}, not ${describeIdentity(identity)}`);
    }
    // The saved run's settings go on, except the number of iterations, which a resume may extend.
    refuseChangedSettings(out, saved.config, options.config);
    config = { ...saved.config, iterations: options.config.iterations };
    best = saved.best;
    gps = GuidedPolicySearch.restore(config, family, saved.network, saved.conditions, saved.iteration, options.pool, saved.runtime);
    trimLog(logPath(out), saved.iteration);
    options.onProgress?.(`resuming ${out} after iteration ${saved.iteration}`);
  } else {
    if (hasCheckpoint(out)) throw new UserError(`${out} already holds a GPS run; resume it, or train into another directory`);
    options.onProgress?.(`initializing ${config.conditions} momentum teachers`);
    gps = await GuidedPolicySearch.create(config, family, options.pool);
    writeFileSync(logPath(out), '');
  }
  while (gps.iteration < config.iterations) {
    const log = await gps.runIteration(options.onProgress);
    if (config.validation > 0) log.validation = validationScore(gps.policy(), family, config);
    appendFileSync(logPath(out), `${JSON.stringify(log)}\n`);
    if (log.validation === undefined || best === undefined || log.validation < best.validation) {
      savePolicy(out, identity, config, gps.iteration, gps.network, log.validation);
      if (log.validation !== undefined) best = { iteration: gps.iteration, validation: log.validation };
    }
    saveState(out, identity, config, gps.iteration, gps.network, gps.conditionStates(), best, gps.runtimeState);
    await options.onIteration?.(log, config, best);
  }
  return gps;
}
