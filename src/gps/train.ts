// The GPS training loop behind `l2o train --algo gps`: iterations with progress, a JSONL log line and
// an atomic checkpoint after each, and `resume` to continue a run that was killed.
import { mkdirSync, readFileSync, writeFileSync, existsSync, appendFileSync } from 'node:fs';
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { UserError } from '../errors.ts';
import { GuidedPolicySearch, type GpsConfig, type IterationLog } from './badmm.ts';
import { hasCheckpoint, loadCheckpoint, logPath, saveCheckpoint, type RunIdentity } from './checkpoint.ts';

export interface TrainOptions {
  config: GpsConfig;
  family: ObjectiveFamily;
  identity: RunIdentity;
  out: string;
  resume: boolean;
  onIteration?: (log: IterationLog, config: GpsConfig) => void;
  onProgress?: (message: string) => void;
}

/** Drops log lines of iterations the checkpoint does not cover (a kill between log and checkpoint). */
function trimLog(path: string, iterations: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        return (JSON.parse(line) as { iteration: number }).iteration < iterations;
      } catch {
        return false;
      }
    });
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
}

export function trainGps(options: TrainOptions): GuidedPolicySearch {
  const { out, family, identity } = options;
  mkdirSync(out, { recursive: true });
  let gps: GuidedPolicySearch;
  let config = options.config;
  if (options.resume && hasCheckpoint(out)) {
    const saved = loadCheckpoint(out);
    if (saved.identity.env !== identity.env || JSON.stringify(saved.identity.envParams) !== JSON.stringify(identity.envParams)) {
      throw new UserError(`${out} holds a run on env '${saved.identity.env}' ${JSON.stringify(saved.identity.envParams)}, not '${identity.env}' ${JSON.stringify(identity.envParams)}`);
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
