// AdaGrad scaling of the full-state history Φ (envs/history-state.ts), the full-state counterpart of
// coordinate-history.ts's: each gradient ∇f(x_{t−j}) in Φ is divided, coordinate by coordinate, by
// √(Σ_{s≤t−j} ∇f(x_s)²), the AdaGrad accumulator when it was seen, so the features do not depend on
// the gradient's scale. A rule linear in raw gradients that suits one curvature overshoots on a
// stiffer objective; in scaled ones the same rule behaves like AdaGrad, which no test problem breaks.
// The changes of f stay as they are.
import type { GradientScaling } from './coordinate-history.ts';

export class HistoryScaler {
  private readonly squares: Float64Array;
  private readonly roots: Float64Array[] = []; // newest first, up to H: √accumulator at each lag

  constructor(
    readonly historyLength: number,
    readonly dim: number,
  ) {
    this.squares = new Float64Array(dim);
  }

  /** Φ_t with its gradients scaled; call once per step, in order, from the run's first step. */
  next(state: Float64Array): Float64Array {
    const H = this.historyLength;
    const d = this.dim;
    const root = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      this.squares[i] += state[H + i] ** 2;
      root[i] = Math.sqrt(this.squares[i]);
    }
    this.roots.unshift(root);
    if (this.roots.length > H) this.roots.pop();
    const out = Float64Array.from(state);
    this.roots.forEach((r, j) => {
      for (let i = 0; i < d; i++) out[H + j * d + i] = r[i] > 0 ? state[H + j * d + i] / r[i] : 0;
    });
    return out;
  }
}

/** A fresh scaler for one run, or null where the features stay raw. */
export function historyScaler(scaling: GradientScaling, historyLength: number, dim: number): HistoryScaler | null {
  return scaling === 'adagrad' ? new HistoryScaler(historyLength, dim) : null;
}
