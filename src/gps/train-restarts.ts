// Several GPS trainings of one setting and what is kept of them, as a library call: what
// `l2o train --algo gps --restarts K --combine best|mean` and the experiments' GPS stages run. The
// directory's files are restarts-directory.ts's; each restart is trainGps (or the caller's own
// training of one restart, the CLI's with its log), so the CLI, the experiments and the API share
// one way of running them. Why the full state trains three and keeps their mean: docs/gps.md,
// session 42.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { defaultCombine, defaultRestarts, restartSeed, type Combine } from './restarts.ts';
import { lockRunDirectory } from '../run-lock.ts';
import { abandonRestarts, checkRestartsDirectory, combineRestarts, restartDir, startRestarts, type RestartsFile } from './restarts-directory.ts';
import { hasCheckpoint, loadCheckpoint, loadGpsPolicy, saveAveragedPolicy } from './checkpoint.ts';
import { refuseChangedSettings } from '../run-directory.ts';
import { trainGps, type TrainOptions } from './train.ts';
import { validationScore } from './validation.ts';

/** One restart to train: its 1-based index, directory and seed, and whether it has a checkpoint to resume. */
export interface Restart {
  index: number;
  dir: string;
  seed: string;
  resume: boolean;
}

/**
 * Trains restarts 1..K into OUT/restart-k (seeds from `seed`: restarts.ts's restartSeed), each by
 * `train`, in order, then keeps what `combine` says of them (keepRestarts), all under OUT's lock so
 * that no other process resumes OUT between the last training and the kept policy. With `resume`, a
 * directory already started continues: its restarts.json fixes the seeds, and a restart with a
 * checkpoint resumes it. A failure before any restart has a checkpoint leaves nothing behind.
 */
export async function runRestarts(out: string, seed: string, restarts: number, resume: boolean, train: (restart: Restart) => Promise<void>, combine: Combine, family: ObjectiveFamily): Promise<RestartsFile> {
  checkRestartsDirectory(out, restarts, resume);
  // One writer per run of restarts, as per training: a second process on OUT is refused before it
  // touches restarts.json (a losing resume removed it on its way out).
  // The lock makes OUT, so it is what a failure removes again (startRestarts then finds OUT there).
  const lock = lockRunDirectory(out);
  try {
    const { records } = startRestarts(out, seed, restarts, combine);
    for (const [i, record] of records.entries()) {
      const dir = restartDir(out, i + 1);
      await train({ index: i + 1, dir, seed: record.seed, resume: resume && existsSync(join(dir, 'state.json')) });
    }
    const kept = keepRestarts(out, combine, family);
    lock();
    return kept;
  } catch (error) {
    lock(); // first: OUT holding only its .lock is a directory to remove
    abandonRestarts(out, restarts, lock.created);
    throw error;
  }
}

/**
 * After every restart is done: each one's policy scored on the same held-out runs (restart 1's
 * settings and seed), and OUT/policy.json the best of them or their mean (restarts.json says which).
 */
function keepRestarts(out: string, combine: Combine, family: ObjectiveFamily): RestartsFile {
  const settings = loadCheckpoint(restartDir(out, 1)).config;
  return combineRestarts(out, combine, (dir) => validationScore(loadGpsPolicy(dir).policy, family, settings), saveAveragedPolicy);
}

/** trainGps's options, and how many trainings to run and what to keep of them. */
export interface RestartsOptions extends TrainOptions {
  /** Trainings, each in OUT/restart-k (default by view: defaultRestarts). 1 is trainGps into OUT itself. */
  restarts?: number;
  /** What OUT/policy.json holds: the best restart's policy by the held-out score, or their mean (default by view: defaultCombine). */
  combine?: Combine;
  /** Called before each restart trains. */
  onRestart?: (restart: Restart, restarts: number) => void;
}

/**
 * Trains GPS as `l2o train --algo gps` does by default: in the full state three trainings (seeds
 * config.seed, +1, +2) whose policies' mean becomes OUT/policy.json, per coordinate one training.
 * `gps:OUT` and loadGpsPolicy(OUT) read the kept policy. Returns what restarts.json records, or null
 * for a single training (which writes none).
 */
export async function trainGpsRestarts(options: RestartsOptions): Promise<RestartsFile | null> {
  const { config, out } = options;
  if (typeof out !== 'string' || out.trim() === '') throw new UserError(`out must name a directory, got ${JSON.stringify(out)}`);
  const restarts = options.restarts ?? defaultRestarts(config.coordinatewise);
  const combine = options.combine ?? defaultCombine(config.coordinatewise);
  if (!Number.isInteger(restarts) || restarts < 1) throw new UserError(`restarts must be a positive integer, got ${restarts}`);
  if (restarts === 1) {
    await trainGps(options);
    return null;
  }
  if (combine === 'best' && config.validation === 0) throw new UserError('choosing the best of several restarts needs held-out instances (validation > 0); keep their mean instead');
  if (combine === 'mean' && config.policy === 'lstm') throw new UserError("the mean of several restarts averages feed-forward policies; an LSTM policy carries its own state (keep the best)");
  if (options.resume) {
    // Before any restart goes on: each one started must have been started with these settings (and
    // its seed), as its own trainGps insists only when its turn comes. The restarts not started then
    // train as the started ones did.
    for (let k = 1; k <= restarts; k++) {
      const dir = restartDir(out, k);
      if (hasCheckpoint(dir)) refuseChangedSettings(dir, loadCheckpoint(dir).config, { ...config, seed: restartSeed(config.seed, k) });
    }
  }
  return runRestarts(out, config.seed, restarts, options.resume, async (restart) => {
    options.onRestart?.(restart, restarts);
    await trainGps({ ...options, config: { ...config, seed: restart.seed }, out: restart.dir, resume: restart.resume });
  }, combine, options.family);
}
