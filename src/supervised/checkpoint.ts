// A BPTT run directory: `optimizer.json` (the best weights by held-out score: what
// `l2o eval --optimizers bptt:DIR` loads), `state.json` (the current weights, Adam's moments and the
// best-so-far record: everything `--resume` needs) and `log.jsonl` (one line per meta-iteration).
// state.json is written last, so it names the last iteration whose files are complete.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../atomic-file.ts';
import { decodeRunFile, readRunFile, type RunIdentity } from '../run-directory.ts';
import { LstmPolicy } from '../../policies/lstm-policy.ts';
import { CoordinatewiseLstm, type LstmOptimizerJson } from '../../policies/coordinatewise-lstm.ts';
import type { BpttConfig } from './bptt.ts';

const FORMAT = 'l2o-bptt';
const VERSION = 1;

interface OptimizerFile extends RunIdentity {
  format: string;
  version: number;
  /** The meta-iteration after which these weights scored best on the held-out instances. */
  iteration: number;
  validation: number;
  lstm: LstmOptimizerJson;
}

/** How far a BPTT run has got: iterations done and its best held-out score so far. */
export interface BpttProgress {
  iteration: number;
  best: { iteration: number; validation: number; lstm: LstmOptimizerJson } | null;
}

interface StateFile extends RunIdentity, BpttProgress {
  format: string;
  version: number;
  config: BpttConfig;
  lstm: LstmOptimizerJson;
  /** Adam's slots in its own order (iteration count, first moments, second moments). */
  adam: { shape: number[]; values: number[] }[];
}

export const optimizerPath = (dir: string) => join(dir, 'optimizer.json');
export const statePath = (dir: string) => join(dir, 'state.json');
export const logPath = (dir: string) => join(dir, 'log.jsonl');

export function hasCheckpoint(dir: string): boolean {
  return existsSync(statePath(dir));
}

export async function saveCheckpoint(dir: string, identity: RunIdentity, config: BpttConfig, lstm: CoordinatewiseLstm, optimizer: tf.Optimizer, progress: BpttProgress): Promise<void> {
  if (progress.best) {
    const file: OptimizerFile = { format: FORMAT, version: VERSION, ...identity, iteration: progress.best.iteration, validation: progress.best.validation, lstm: progress.best.lstm };
    writeFileAtomic(optimizerPath(dir), JSON.stringify(file));
  }
  const weights = await optimizer.getWeights();
  const adam = weights.map(({ tensor }) => ({ shape: tensor.shape, values: Array.from(tensor.dataSync()) }));
  // getWeights hands out the moment variables themselves plus a new scalar for the step count:
  // that one is ours to free, or every checkpoint leaks a tensor (npm run bench -- memory).
  for (const { tensor } of weights) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  const state: StateFile = { format: FORMAT, version: VERSION, ...identity, ...progress, config, lstm: lstm.toJSON(), adam };
  writeFileAtomic(statePath(dir), JSON.stringify(state));
}

export async function loadCheckpoint(dir: string, optimizer: tf.Optimizer): Promise<{ identity: RunIdentity; config: BpttConfig; lstm: CoordinatewiseLstm; progress: BpttProgress }> {
  const path = statePath(dir);
  const file = readRunFile(path, 'BPTT checkpoint', FORMAT, VERSION) as StateFile;
  const lstm = decodeRunFile(path, () => CoordinatewiseLstm.fromJSON(file.lstm));
  await decodeRunFile(path, () => {
    if (!Array.isArray(file.adam)) throw new Error('adam must be an array');
    return optimizer.setWeights(file.adam.map((slot, i) => ({ name: `slot-${i}`, tensor: tf.tensor(slot.values, slot.shape) })));
  });
  return { identity: { env: file.env, envParams: file.envParams }, config: file.config, lstm, progress: { iteration: file.iteration, best: file.best } };
}

/** The learned optimizer of a run directory, for evaluation. */
export function loadBpttPolicy(dir: string): { policy: LstmPolicy; identity: RunIdentity; iteration: number } {
  const path = optimizerPath(dir);
  const file = readRunFile(path, 'BPTT optimizer', FORMAT, VERSION) as OptimizerFile;
  return decodeRunFile(path, () => ({ policy: new LstmPolicy(CoordinatewiseLstm.fromJSON(file.lstm)), identity: { env: file.env, envParams: file.envParams }, iteration: file.iteration }));
}
