// The 'history-adam' per-coordinate features: coordinate-history.ts's H lags, plus one entry, Adam's
// bias-corrected m̂_t / √v̂_t of the coordinate's raw gradient (β1 0.9, β2 0.999). Under minibatch
// noise the averaged gradient m̂ cancels while √v̂ does not, so the ratio falls from about 1 on a
// steady gradient to about √((1 − β1)/(1 + β1)) ≈ 0.23 on zero-mean noise: a signal of the noise
// level that the 5 lags alone give a shared policy only weakly (docs/gps.md, "A noise signal for
// the policy").
//
// Row layout: the history's 3H observed features, then the ratio (also observed), then the raw
// gradient where the history carries one (AdaGrad scaling), as the cost model reads it.

import { CoordinateHistory, type GradientScaling } from './coordinate-history.ts';
import type { CoordinateFeatures } from './coordinate-features.ts';

const BETA1 = 0.9;
const BETA2 = 0.999;

export class AdamRatioHistory implements CoordinateFeatures {
  private readonly history: CoordinateHistory;
  private m = new Float64Array(0);
  private v = new Float64Array(0);
  private steps = 0;

  readonly stateDim: number;
  readonly observationDim: number;
  readonly rawGradientIndex: number;
  /** Where each row holds the ratio: right after the history's observed features. */
  readonly ratioIndex: number;

  constructor(historyLength: number, scaling: GradientScaling = 'none') {
    this.history = new CoordinateHistory(historyLength, scaling);
    this.ratioIndex = this.history.observationDim;
    this.stateDim = this.history.stateDim + 1;
    this.observationDim = this.history.observationDim + 1;
    // Unscaled, the history's lag-0 gradient is the raw one (index 0, before the ratio).
    const raw = this.history.rawGradientIndex;
    this.rawGradientIndex = raw < this.ratioIndex ? raw : raw + 1;
  }

  isPadding(index: number, t: number): boolean {
    if (index === this.ratioIndex) return false;
    return this.history.isPadding(index < this.ratioIndex ? index : index - 1, t);
  }

  push(x: Float64Array, value: number, gradient: Float64Array): void {
    this.history.push(x, value, gradient);
    if (this.m.length !== gradient.length) {
      this.m = new Float64Array(gradient.length);
      this.v = new Float64Array(gradient.length);
    }
    this.steps++;
    for (let j = 0; j < gradient.length; j++) {
      this.m[j] = BETA1 * this.m[j] + (1 - BETA1) * gradient[j];
      this.v[j] = BETA2 * this.v[j] + (1 - BETA2) * gradient[j] ** 2;
    }
  }

  /** m̂_j / √v̂_j after the pushes so far; 0 before any, or where v̂_j is 0. */
  ratio(j: number): number {
    return this.steps === 0 ? 0 : this.corrected(j, 1 - BETA1 ** this.steps, 1 - BETA2 ** this.steps);
  }

  /** m̂_j / √v̂_j given the bias corrections 1 − β1^t and 1 − β2^t, computed once per step by the caller. */
  private corrected(j: number, c1: number, c2: number): number {
    if (this.v[j] === 0) return 0;
    return this.m[j] / c1 / Math.sqrt(this.v[j] / c2);
  }

  statesInto(out: Float64Array, dim: number): Float64Array {
    const width = this.stateDim;
    const k = this.ratioIndex;
    // The history writes its entries straight into the wider rows, its raw gradient one past the
    // ratio: its rows copied over made this 1.6 ms on the 22k-weight net, in place 0.67 (AdaGrad
    // scaling; docs/performance.md).
    this.history.statesInto(out, dim, width, this.rawGradientIndex);
    const [c1, c2] = [1 - BETA1 ** this.steps, 1 - BETA2 ** this.steps];
    for (let j = 0, at = k; j < dim; j++, at += width) out[at] = this.steps === 0 ? 0 : this.corrected(j, c1, c2);
    return out;
  }
}
