// The settings of BPTT meta-training and their defaults, apart from the training loop (bptt.ts), so
// that what only needs the defaults (the command line's help) loads no tfjs.
import { DEFAULT_LSTM_CONFIG, type LstmOptimizerConfig } from '../../policies/lstm-config.ts';
import type { MetaObjective } from '../meta-objective.ts';

/** Settings of BPTT meta-training of the coordinatewise LSTM optimizer (docs/bptt.md). */
export interface BpttConfig {
  lstm: LstmOptimizerConfig;
  /** Meta-iterations (each one batch of problems run for `horizon` steps). */
  iterations: number;
  /** Optimizee steps per problem. */
  horizon: number;
  /** Steps per truncated-BPTT unroll (one Adam step each). */
  unroll: number;
  /** Training objectives per meta-iteration, run side by side. */
  batch: number;
  learningRate: number;
  /** Held-out instances, taken from the end of the training split. */
  validationProblems: number;
  validateEvery: number;
  /** What each unroll minimizes: Σ_t f, the log-gap Σ_t log((f − f*)/(f_0 − f*)), or f at its last step (src/meta-objective.ts). */
  metaObjective: MetaObjective;
  /** Coordinates taped at once; bounds memory on large optimizees (16384: the MNIST net at batch 4 in one chunk, and a million coordinates in 2.1 GB of wasm heap; docs/performance.md). */
  chunkSize: number;
  seed: string;
}

/** The defaults of `l2o train --algo bptt`; spread it and override what you need. */
export const DEFAULT_BPTT_CONFIG: BpttConfig = {
  lstm: DEFAULT_LSTM_CONFIG,
  iterations: 300,
  horizon: 100,
  unroll: 20,
  batch: 32,
  learningRate: 0.003,
  validationProblems: 16,
  validateEvery: 25,
  metaObjective: 'sum',
  chunkSize: 16384,
  seed: '1',
};

/** The settings a checkpoint's config holds, with what runs written before a setting existed ran with. */
export function savedBpttSettings(saved: BpttConfig): BpttConfig {
  return { ...saved, metaObjective: saved.metaObjective ?? 'sum' };
}
