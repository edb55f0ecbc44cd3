// The 'history-adam' per-coordinate features: coordinate-history.ts's H lags, plus one entry, Adam's
// bias-corrected m̂_t / √v̂_t of the coordinate's raw gradient (β1 0.9, β2 0.999). Under minibatch
// noise the averaged gradient m̂ cancels while √v̂ does not, so the ratio falls from about 1 on a
// steady gradient to about √((1 − β1)/(1 + β1)) ≈ 0.23 on zero-mean noise: a signal of the noise
// level that the 5 lags alone give a shared policy only weakly (docs/gps.md, "A noise signal for
// the policy").
//
// Row layout: the history's 3H observed features, then the ratio (also observed), then the raw
// gradient where the history carries one (AdaGrad scaling), as the cost model reads it.
//
// 'history-adam-mean' adds, after the ratio, the mean of |m̂/√v̂| over all coordinates: the same
// signal pooled, the same in every row, since one coordinate's ratio is itself noisy. Measured
// along 400-step runs, neither reads the minibatch noise: pooled it is 0.03–0.21 at minibatch 64 and
// 10 alike, below pure noise's 0.23, because the steps' own oscillation sets it (docs/gps.md, "A
// pooled noise level").

import { CoordinateHistory, type GradientScaling } from './coordinate-history.ts';
import type { CoordinateFeatures } from './coordinate-features.ts';
import { AdamRatio, type MeanSquare } from './adam-ratio.ts';

export class AdamRatioHistory implements CoordinateFeatures {
  private readonly history: CoordinateHistory;
  private readonly adam: AdamRatio;
  /** Mean |m̂_j / √v̂_j| over every coordinate after the latest push (the pooled entry). */
  private meanRatio = 0;
  /** Entries this class inserts after the history's observed ones: the ratio, and the pooled mean if asked. */
  private readonly inserted: number;

  readonly stateDim: number;
  readonly observationDim: number;
  readonly rawGradientIndex: number;
  /** Where each row holds the ratio: right after the history's observed features. */
  readonly ratioIndex: number;

  /** With `pooled`, each row also holds the mean |ratio| over all coordinates, right after the ratio. */
  constructor(historyLength: number, scaling: GradientScaling = 'none', private readonly pooled = false, meanSquare: MeanSquare = 'ema') {
    this.adam = new AdamRatio(meanSquare);
    this.history = new CoordinateHistory(historyLength, scaling);
    this.inserted = pooled ? 2 : 1;
    this.ratioIndex = this.history.observationDim;
    this.stateDim = this.history.stateDim + this.inserted;
    this.observationDim = this.history.observationDim + this.inserted;
    // Unscaled, the history's lag-0 gradient is the raw one (index 0, before the ratio).
    const raw = this.history.rawGradientIndex;
    this.rawGradientIndex = raw < this.ratioIndex ? raw : raw + this.inserted;
  }

  isPadding(index: number, t: number): boolean {
    if (index >= this.ratioIndex && index < this.ratioIndex + this.inserted) return false;
    return this.history.isPadding(index < this.ratioIndex ? index : index - this.inserted, t);
  }

  push(x: Float64Array, value: number, gradient: Float64Array): void {
    this.history.push(x, value, gradient);
    this.adam.push(gradient);
    if (!this.pooled) return;
    let sum = 0;
    for (let j = 0; j < gradient.length; j++) sum += Math.abs(this.adam.ratio(j));
    this.meanRatio = gradient.length > 0 ? sum / gradient.length : 0;
  }

  /** m̂_j / √v̂_j after the pushes so far; 0 before any, or where v̂_j is 0. */
  ratio(j: number): number {
    return this.adam.ratio(j);
  }

  statesInto(out: Float64Array, dim: number): Float64Array {
    const width = this.stateDim;
    const k = this.ratioIndex;
    // The history writes its entries straight into the wider rows, its raw gradient one past the
    // ratio: its rows copied over made this 1.6 ms on the 22k-weight net, in place 0.67 (AdaGrad
    // scaling; docs/performance.md).
    this.history.statesInto(out, dim, width, this.rawGradientIndex);
    for (let j = 0, at = k; j < dim; j++, at += width) out[at] = this.adam.ratio(j);
    if (this.pooled) for (let j = 0, at = k + 1; j < dim; j++, at += width) out[at] = this.meanRatio;
    return out;
  }
}
