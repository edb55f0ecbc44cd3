// Trained learned optimizers as drop-in tfjs Optimizers: `model.compile({ optimizer:
// loadOptimizer(dir), loss })`. The run's kind is read from its files, as `gps:DIR` and `bptt:DIR`
// name it on the command line: a GPS run's learned optimizer is `policy.json`, a BPTT run's
// `optimizer.json` (src/gps/checkpoint.ts, src/supervised/checkpoint.ts).
import { existsSync, statSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { policyPath } from '../gps/checkpoint.ts';
import { L2OGpsOptimizer } from '../gps/learned-optimizer.ts';
import { optimizerPath } from '../supervised/checkpoint.ts';
import { LearnedOptimizer } from '../supervised/learned-optimizer.ts';
import { listaPath } from '../supervised/lista.ts';

/** The kind of training run a directory holds, from its files; null when it holds neither kind's optimizer. */
export function runKind(dir: string): 'gps' | 'bptt' | null {
  if (existsSync(policyPath(dir))) return 'gps';
  if (existsSync(optimizerPath(dir))) return 'bptt';
  return null;
}

/**
 * The learned optimizer of a training run directory as a tfjs `Optimizer`: a `LearnedOptimizer`
 * for a BPTT run (`l2o train --algo bptt`), an `L2OGpsOptimizer` for a per-coordinate GPS run
 * (`l2o train --algo gps --coordinatewise`). Both are registered with `tf.serialization`; the
 * caller disposes the optimizer (model.dispose() does not).
 *
 * @throws UserError for a full-state GPS run (its policy only fits objectives of the dimension it
 *   was trained on), a directory that holds no trained optimizer, or a malformed run file.
 */
export function loadOptimizer(dir: string): tf.Optimizer {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir} is not a directory; loadOptimizer needs the directory of a training run`);
  switch (runKind(dir)) {
    case 'gps':
      return L2OGpsOptimizer.load(dir);
    case 'bptt':
      return LearnedOptimizer.load(dir);
    default:
      if (existsSync(listaPath(dir))) throw new UserError(`${dir} holds a LISTA network (l2o train --algo lista): a policy for sparse-coding objectives, not a tfjs optimizer; run it as lista:${dir} in l2o eval or l2o run`);
      throw new UserError(
        `${dir} is not a training run with a learned optimizer: it has neither policy.json (l2o train --algo gps) nor optimizer.json (l2o train --algo bptt, written at its first held-out validation)`,
      );
  }
}
