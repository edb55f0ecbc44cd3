// The GPS training loop behind `l2o train --algo gps`: iterations with progress, a JSONL log line and
// an atomic checkpoint after each, and `resume` to continue a run that was killed.
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { UserError } from '../errors.ts';
import { GuidedPolicySearch, type GpsConfig, type IterationLog } from './badmm.ts';
import { hasCheckpoint, loadCheckpoint, logPath, saveCheckpoint } from './checkpoint.ts';
import { describeIdentity, sameIdentity, trimLog, type RunIdentity } from '../run-directory.ts';

export interface TrainOptions {
  config: GpsConfig;
  family: ObjectiveFamily;
  identity: RunIdentity;
  out: string;
  resume: boolean;
  onIteration?: (log: IterationLog, config: GpsConfig) => void;
  onProgress?: (message: string) => void;
}

export function trainGps(options: TrainOptions): GuidedPolicySearch {
  const { out, family, identity } = options;
  mkdirSync(out, { recursive: true });
  let gps: GuidedPolicySearch;
  let config = options.config;
  if (options.resume && hasCheckpoint(out)) {
    const saved = loadCheckpoint(out);
    if (!sameIdentity(saved.identity, identity)) {
      throw new UserError(`${out} holds a run on env ${describeIdentity(saved.identity)}, not ${describeIdentity(identity)}`);
    }
    // The saved run's settings win, except the number of iterations, which a resume may extend.
    config = { ...saved.config, iterations: options.config.iterations };
    gps = GuidedPolicySearch.restore(config, family, saved.network, saved.conditions, saved.iteration);
    trimLog(logPath(out), saved.iteration);
    options.onProgress?.(`resuming ${out} after iteration ${saved.iteration}`);
  } else {
    if (hasCheckpoint(out)) throw new UserError(`${out} already holds a GPS run; pass --resume to continue it, or choose another --out`);
    options.onProgress?.(`initializing ${config.conditions} momentum teachers`);
    gps = GuidedPolicySearch.create(config, family);
    writeFileSync(logPath(out), '');
  }
  while (gps.iteration < config.iterations) {
    const log = gps.runIteration(options.onProgress);
    appendFileSync(logPath(out), `${JSON.stringify(log)}\n`);
    saveCheckpoint(out, identity, config, gps.iteration, gps.network, gps.conditionStates());
    options.onIteration?.(log, config);
  }
  return gps;
}
