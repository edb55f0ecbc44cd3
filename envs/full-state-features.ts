// What full-state GPS's teacher and policy read of the history Φ (history-state.ts): Φ as the env
// records it, its gradients AdaGrad-scaled where asked (history-scaling.ts), and with
// `history-adam` d more entries after it, Adam's bias-corrected m̂/√v̂ of each coordinate's raw
// gradient (adam-ratio.ts, as the per-coordinate set adds it); `history-adam-held` is the same
// ratio with its v̂ held from step 40 on, so its gain never grows past step 40. The ratio does
// not fade as the gradients shrink, unlike an AdaGrad-scaled gradient, and a rule linear in it is
// Adam, so a first teacher can start from tuned Adam (initial-teacher.ts; docs/design.md §1).
import type { GradientScaling } from './coordinate-history.ts';
import { featureLag, stateDim } from './history-state.ts';
import { historyScaler, type HistoryScaler } from './history-scaling.ts';
import { AdamRatio, type MeanSquare } from './adam-ratio.ts';

/** The full-state feature sets: the history alone, or it and Adam's ratio per coordinate (two estimates of its mean square). */
export const FULL_STATE_FEATURE_SETS = ['history', 'history-adam', 'history-adam-held'] as const;
export type FullStateFeatureSet = (typeof FULL_STATE_FEATURE_SETS)[number];

/** Whether a feature set (of the per-coordinate ones, or these) can be read in the full state. */
export function isFullStateFeatureSet(set: string): set is FullStateFeatureSet {
  return (FULL_STATE_FEATURE_SETS as readonly string[]).includes(set);
}

/** Which mean square a set's Adam ratio uses, or null where the set has no ratio. */
export function ratioMeanSquare(features: FullStateFeatureSet): MeanSquare | null {
  return features === 'history-adam' ? 'ema' : features === 'history-adam-held' ? 'held' : null;
}

/** Entries of the full-state observation: H·(1 + d), plus d with the ratio. */
export function fullStateDim(features: FullStateFeatureSet, historyLength: number, dim: number): number {
  return stateDim(historyLength, dim) + (ratioMeanSquare(features) ? dim : 0);
}

/** Whether observation entry `index` is zero padding at step t: the ratio is lag 0, never padding. */
export function fullStatePadding(index: number, t: number, historyLength: number, dim: number): boolean {
  return index < stateDim(historyLength, dim) && featureLag(index, historyLength, dim) > t;
}

/** Where the ratio of coordinate 0 sits in the observation (the others follow it). */
export function adamRatioOffset(historyLength: number, dim: number): number {
  return stateDim(historyLength, dim);
}

/** One run's view: call next() once per step, in order, from the run's first step. */
export class FullStateView {
  private readonly scaler: HistoryScaler | null;
  private readonly adam: AdamRatio | null;

  constructor(
    readonly features: FullStateFeatureSet,
    readonly gradientScaling: GradientScaling,
    readonly historyLength: number,
    readonly dim: number,
  ) {
    this.scaler = historyScaler(gradientScaling, historyLength, dim);
    const meanSquare = ratioMeanSquare(features);
    this.adam = meanSquare ? new AdamRatio(meanSquare) : null;
  }

  /** The observation of raw Φ_t. */
  next(state: Float64Array): Float64Array {
    const history = this.scaler ? this.scaler.next(state) : state;
    if (!this.adam) return history;
    const H = this.historyLength;
    const d = this.dim;
    this.adam.push(state.subarray(H, H + d)); // the raw lag-0 gradient
    const out = new Float64Array(history.length + d);
    out.set(history);
    for (let i = 0; i < d; i++) out[history.length + i] = this.adam.ratio(i);
    return out;
  }
}

/** A fresh view for one run, or null where the observation is raw Φ itself. */
export function fullStateView(features: FullStateFeatureSet, scaling: GradientScaling, historyLength: number, dim: number): FullStateView | null {
  return features === 'history' && scaling === 'none' ? null : new FullStateView(features, scaling, historyLength, dim);
}
