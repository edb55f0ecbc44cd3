// What GPS needs of the global policy it distills the teachers into (docs/design.md §2 step 5):
// the feed-forward network of Li & Malik 2016 (policy-network.ts) or, per coordinate, Li & Malik
// 2017's LSTM (lstm-policy-network.ts), which carries a hidden state through a run.
import type { Rng } from '../src/random.ts';
import type { StartGradientHelper } from '../src/kernels/split-gradient.ts';

/** One distillation data set: rows are (observation, target mean, target precision factor, weight). */
export interface DistillationData {
  observations: Float64Array[];
  targets: Float64Array[];
  /** Uᵀ with P = U·Uᵀ, row-major dU×dU, so that dᵀPd = ‖Uᵀd‖². */
  precisionFactors: Float64Array[];
  weights: Float64Array;
  /**
   * Which sample sequence each row belongs to and at which step: a recurrent policy is fitted on
   * whole sequences (rows of one sequence cover its steps 0..T−1 once each); a feed-forward one
   * ignores them.
   */
  sequences?: Int32Array;
  steps?: Int32Array;
  /**
   * The same rows in contiguous row-major arrays, where the producer has them (GPS does): row r's
   * observation at r·inputs, its target at r·outputs, its factor at r·outputs². A fit reads these in
   * order instead of a million small arrays (per coordinate at T = 400, building and reading those
   * took seconds of each iteration).
   */
  contiguous?: { observations: Float64Array; targets: Float64Array; precisionFactors: Float64Array };
}

/** A feature divided by its training RMS and clipped to the range seen in training: what both policies read. */
export function scaledFeature(value: number, scale: number, bound: number): number {
  const z = value / scale;
  return z > bound ? bound : z < -bound ? -bound : z;
}

export interface FitOptions {
  iterations: number;
  batchSize: number;
  learningRate: number;
  rng: Rng;
  /**
   * Whether to compute the full-data loss after the last step (default true); false returns NaN. GPS
   * logs only its last distillation's, and per coordinate at T = 400 one pass over the 1M rows took
   * about 3 s, four times per iteration.
   */
  finalLoss?: boolean;
  /**
   * Starts a thread that computes the second half of each minibatch's gradient beside this one
   * (src/kernels/split-gradient.ts; the feed-forward network's fit): the fit is the same to the bit
   * with it or without.
   */
  gradientHelper?: StartGradientHelper;
}

/** Steps every row of a states array (row j: one coordinate's state) at each call, keeping any recurrent state between calls. */
export interface PolicyStepper {
  step(states: Float64Array, rows: number, width: number): Float64Array;
  /** Where to write the next step's rows so that step reads them without a copy (or null: any array). */
  input?(rows: number, width: number): Float64Array | null;
  /** Frees what the stepper holds outside the JS heap (an LSTM's tfjs hidden state). */
  dispose(): void;
}

export interface DistilledPolicy {
  readonly kind: 'mlp' | 'lstm';
  readonly inputDim: number;
  readonly outputDim: number;
  /** Per-feature RMS of the training observations (padding excluded). */
  inputScale: Float64Array;
  /** Per-feature bound on |o / scale|: the largest seen in training. */
  inputBound: Float64Array;
  /** The diagonal of Σ_π. */
  variance: Float64Array;
  /** Minimizes the precision-weighted loss of docs/design.md §2 step 5; returns the final full-data loss. */
  fit(data: DistillationData, options: FitOptions): number;
  /** μ_θ at every step of each observation sequence, [n][t]: a recurrent policy's state runs along each. */
  sequenceMeans(observations: Float64Array[][]): Float64Array[][];
  /** A fresh stepper for one run over `rows`-coordinate objectives (a recurrent policy starts from a zero state). */
  stepper(): PolicyStepper;
  toJSON(): object;
  /** Frees the tensors the policy keeps for its tfjs passes. */
  disposeTensors(): void;
}
