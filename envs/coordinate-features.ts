// What per-coordinate GPS needs from a per-coordinate state (docs/design.md §1 "Per-coordinate
// state" and §2 "Views"): every coordinate j of the objective is a sample of one small MDP, so the
// features are recorded once per step for all coordinates and read back one row per coordinate.
// The policy sees a prefix of each row, the cost model reads the raw gradient at a known index, and
// the dynamics fit must know which entries are zero padding because no data reaches that far back.

import { CoordinateHistory, type GradientScaling } from './coordinate-history.ts';
import { LiMalik2017Features } from './li-malik-2017-features.ts';
import { AdamRatioHistory } from './adam-ratio-history.ts';

/**
 * The per-coordinate feature sets: 'history', H lags of each coordinate's gradient and step and the
 * relative change of f (coordinate-history.ts); 'history-adam', those and Adam's m̂/√v̂
 * (adam-ratio-history.ts); 'history-adam-held', the same with v̂ held from step 40 on, so the
 * ratio's gain never grows past step 40 (adam-ratio.ts); 'history-adam-mean', those of
 * 'history-adam' and the mean |m̂/√v̂| over all coordinates; 'li-malik-2017', the paper's
 * observation and its 25 stride-5 lags of 3-step averages (li-malik-2017-features.ts).
 */
export const FEATURE_SETS = ['history', 'history-adam', 'history-adam-held', 'history-adam-mean', 'li-malik-2017'] as const;
export type FeatureSet = (typeof FEATURE_SETS)[number];

/** Whether the set's rows start with the history's layout (lag-0 gradient at 0, last step at 1), and H and the gradient scaling apply. */
export function extendsHistory(set: FeatureSet): boolean {
  return set !== 'li-malik-2017';
}

/** A fresh, empty feature history of the set; H and the gradient scaling apply to the history sets only. */
export function createCoordinateFeatures(set: FeatureSet, historyLength: number, scaling: GradientScaling): CoordinateFeatures {
  if (set === 'history') return new CoordinateHistory(historyLength, scaling);
  if (set === 'history-adam' || set === 'history-adam-mean') return new AdamRatioHistory(historyLength, scaling, set === 'history-adam-mean');
  if (set === 'history-adam-held') return new AdamRatioHistory(historyLength, scaling, false, 'held');
  return new LiMalik2017Features();
}

export interface CoordinateFeatures {
  /** Entries of one coordinate's teacher state: the width of each row statesInto writes. */
  readonly stateDim: number;
  /** The policy observes the first observationDim entries of each row (≤ stateDim). */
  readonly observationDim: number;
  /** Where each row holds the raw ∇_j f(x_t), which the GPS cost model reads. */
  readonly rawGradientIndex: number;
  /** Whether entry `index` of every row is zero padding at step t (t = pushes so far − 1). */
  isPadding(index: number, t: number): boolean;
  /** Records x_t, f(x_t) and ∇f(x_t). */
  push(x: Float64Array, value: number, gradient: Float64Array): void;
  /** Every coordinate's state of the latest step, row j of `out` (stateDim entries each). */
  statesInto(out: Float64Array, dim: number): Float64Array;
}
