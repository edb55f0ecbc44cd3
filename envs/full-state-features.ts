// What full-state GPS's teacher and policy read of the history Φ (history-state.ts): Φ as the env
// records it, its gradients AdaGrad-scaled where asked (history-scaling.ts), and with
// `history-adam` d more entries after it, Adam's bias-corrected m̂/√v̂ of each coordinate's raw
// gradient (β1 0.9, β2 0.999; adam-ratio-history.ts holds the per-coordinate twin). The ratio does
// not fade as the gradients shrink, unlike an AdaGrad-scaled gradient, and a rule linear in it is
// Adam, so a first teacher can start from tuned Adam (initial-teacher.ts; docs/design.md §1).
import type { GradientScaling } from './coordinate-history.ts';
import { featureLag, stateDim } from './history-state.ts';
import { historyScaler, type HistoryScaler } from './history-scaling.ts';

/** The full-state feature sets: the history alone, or it and Adam's ratio per coordinate. */
export const FULL_STATE_FEATURE_SETS = ['history', 'history-adam'] as const;
export type FullStateFeatureSet = (typeof FULL_STATE_FEATURE_SETS)[number];

const BETA1 = 0.9;
const BETA2 = 0.999;

/** Entries of the full-state observation: H·(1 + d), plus d with the ratio. */
export function fullStateDim(features: FullStateFeatureSet, historyLength: number, dim: number): number {
  return stateDim(historyLength, dim) + (features === 'history-adam' ? dim : 0);
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
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private steps = 0;

  constructor(
    readonly features: FullStateFeatureSet,
    readonly gradientScaling: GradientScaling,
    readonly historyLength: number,
    readonly dim: number,
  ) {
    this.scaler = historyScaler(gradientScaling, historyLength, dim);
    this.m = new Float64Array(features === 'history-adam' ? dim : 0);
    this.v = new Float64Array(this.m.length);
  }

  /** The observation of raw Φ_t. */
  next(state: Float64Array): Float64Array {
    const history = this.scaler ? this.scaler.next(state) : state;
    if (this.features === 'history') return history;
    const H = this.historyLength;
    const d = this.dim;
    const out = new Float64Array(history.length + d);
    out.set(history);
    this.steps++;
    const c1 = 1 - BETA1 ** this.steps;
    const c2 = 1 - BETA2 ** this.steps;
    for (let i = 0; i < d; i++) {
      const g = state[H + i]; // the raw lag-0 gradient
      this.m[i] = BETA1 * this.m[i] + (1 - BETA1) * g;
      this.v[i] = BETA2 * this.v[i] + (1 - BETA2) * g * g;
      out[history.length + i] = this.v[i] > 0 ? this.m[i] / c1 / Math.sqrt(this.v[i] / c2) : 0;
    }
    return out;
  }
}

/** A fresh view for one run, or null where the observation is raw Φ itself. */
export function fullStateView(features: FullStateFeatureSet, scaling: GradientScaling, historyLength: number, dim: number): FullStateView | null {
  return features === 'history' && scaling === 'none' ? null : new FullStateView(features, scaling, historyLength, dim);
}
