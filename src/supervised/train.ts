// The BPTT training loop behind `l2o train --algo bptt`: meta-iterations with progress, a JSONL log
// line each, held-out validation with an atomic checkpoint every `validateEvery` iterations, and
// `resume` to continue a run that was killed.
import { appendFileSync, writeFileSync } from 'node:fs';
import { withRunDirectory } from '../run-lock.ts';
import { tf } from '../tf.ts';
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { familyIdentity } from '../../envs/registry.ts';
import { UserError } from '../errors.ts';
import { requireFamily } from '../../envs/checked-objective.ts';
import { OPTIMIZER_FILES, describeIdentity, refuseChangedSettings, refuseOtherRun, sameIdentity, trimLog, type RunIdentity } from '../run-directory.ts';
import { createLstm, metaIteration, validateBpttConfig, validationScore, type BpttConfig, type BpttIterationLog } from './bptt.ts';
import { bpttConfigSchema, hasCheckpoint, loadCheckpoint, logPath, saveCheckpoint, type Adam, type BpttProgress } from './checkpoint.ts';
import { checkArgument } from '../schema.ts';
import type { CoordinatewiseLstm } from '../../policies/coordinatewise-lstm.ts';

/** What trainBptt needs: settings, family, output directory, and whether to resume a run found there. */
export interface BpttTrainOptions {
  config: BpttConfig;
  family: ObjectiveFamily;
  /** What the run records of its env; by default the family's own spec (built-in name or module path, and parameters). */
  identity?: RunIdentity;
  out: string;
  resume: boolean;
  onIteration?: (log: BpttIterationLog, progress: BpttProgress) => void;
}

/**
 * Meta-trains the coordinatewise LSTM optimizer by truncated BPTT, checkpointing to `out`; resumes a
 * killed run when asked. The returned `lstm` holds tfjs variables: the caller owns it, and frees it
 * with `lstm.dispose()` (the run directory keeps the optimizer for loadOptimizer or loadBpttPolicy).
 */
export async function trainBptt(given: BpttTrainOptions): Promise<{ lstm: CoordinatewiseLstm; progress: BpttProgress }> {
  const options = { ...given, family: requireFamily(given.family, 'trainBptt') };
  // By the schema state.json is read back with: no run is written that cannot be resumed or loaded.
  checkArgument(bpttConfigSchema, options.config, 'config');
  validateBpttConfig(options.config, options.family);
  refuseOtherRun(options.out, OPTIMIZER_FILES.bptt);
  return withRunDirectory(options.out, () => hasCheckpoint(options.out), () => runBptt(options));
}

async function runBptt(options: BpttTrainOptions): Promise<{ lstm: CoordinatewiseLstm; progress: BpttProgress }> {
  const { out, family } = options;
  const identity = options.identity ?? familyIdentity(family);
  let config = options.config;
  let optimizer: Adam;
  let lstm: CoordinatewiseLstm;
  let progress: BpttProgress;
  if (options.resume && hasCheckpoint(out)) {
    const saved = await loadCheckpoint(out);
    try {
      if (!sameIdentity(saved.identity, identity)) throw new UserError(`${out} holds a run on env ${describeIdentity(saved.identity)}, not ${describeIdentity(identity)}`);
      refuseChangedSettings(out, saved.config, options.config);
    } catch (error) {
      // Refused: the checkpoint's tensors are this call's to free.
      saved.optimizer.dispose();
      saved.lstm.dispose();
      throw error;
    }
    // The saved run's settings go on (Adam's learning rate among them: loadCheckpoint's optimizer has
    // it), except the number of iterations, which a resume may extend.
    config = { ...saved.config, iterations: options.config.iterations };
    ({ lstm, optimizer, progress } = saved);
    trimLog(logPath(out), progress.iteration);
  } else {
    if (hasCheckpoint(out)) throw new UserError(`${out} already holds a BPTT run; resume it, or train into another directory`);
    optimizer = tf.train.adam(config.learningRate);
    lstm = createLstm(config);
    progress = { iteration: 0, best: null };
    writeFileSync(logPath(out), '');
  }
  try {
    while (progress.iteration < config.iterations) {
      const log = metaIteration(lstm, optimizer, family, config, progress.iteration);
      progress.iteration++;
      const checkpointDue = progress.iteration % config.validateEvery === 0 || progress.iteration === config.iterations;
      if (checkpointDue) {
        log.validation = validationScore(lstm, family, config);
        if (Number.isFinite(log.validation) && (progress.best === null || log.validation < progress.best.validation)) {
          progress.best = { iteration: progress.iteration, validation: log.validation, lstm: lstm.toJSON() };
        }
      }
      appendFileSync(logPath(out), `${JSON.stringify(log)}\n`);
      if (checkpointDue) await saveCheckpoint(out, identity, config, lstm, optimizer, progress);
      options.onIteration?.(log, progress);
    }
  } finally {
    optimizer.dispose();
  }
  if (progress.best === null) {
    // Every held-out run broke down: there is no optimizer to save, and `bptt:DIR` would find none.
    throw new UserError(`BPTT training on ${family.name} produced no usable optimizer: every held-out validation broke down (NaN/Inf) after ${progress.iteration} iterations, so ${out} has no optimizer.json`);
  }
  return { lstm, progress };
}
