// AdaGrad scaling of the full-state history Φ (envs/history-state.ts), the full-state counterpart of
// coordinate-history.ts's: each gradient ∇f(x_{t−j}) in Φ is divided, coordinate by coordinate, by
// √(Σ_{s≤t−j} ∇f(x_s)²), the AdaGrad accumulator when it was seen, so the features do not depend on
// the gradient's scale. A rule linear in raw gradients that suits one curvature overshoots on a
// stiffer objective; in scaled ones it acts like AdaGrad (a 20-condition logreg run: 3 of 100 held-out
// runs diverged with raw features, none with scaled ones; docs/gps.md). The changes of f stay as they are.
import type { GradientScaling } from './coordinate-history.ts';

/** Per coordinate, √(Σ_{s≤t} g_s²) of the gradients added so far. */
export class AdagradAccumulator {
  private squares: Float64Array | null = null;

  /** Adds g_t; returns the new roots, written into `roots` when given. */
  add(gradient: ArrayLike<number>, roots = new Float64Array(gradient.length)): Float64Array {
    this.squares ??= new Float64Array(gradient.length);
    for (let i = 0; i < gradient.length; i++) {
      this.squares[i] += gradient[i] ** 2;
      roots[i] = Math.sqrt(this.squares[i]);
    }
    return roots;
  }
}

/** g / √(Σ g²), and 0 where a coordinate has seen no gradient yet (not NaN). */
export function divideByRoot(value: number, root: number): number {
  return root > 0 ? value / root : 0;
}

export class HistoryScaler {
  private readonly accumulator = new AdagradAccumulator();
  private readonly roots: Float64Array[] = []; // newest first, up to H: the roots at each lag

  constructor(
    readonly historyLength: number,
    readonly dim: number,
  ) {}

  /** Φ_t with its gradients scaled; call once per step, in order, from the run's first step. */
  next(state: Float64Array): Float64Array {
    const H = this.historyLength;
    const d = this.dim;
    this.roots.unshift(this.accumulator.add(state.subarray(H, H + d)));
    if (this.roots.length > H) this.roots.pop();
    const out = Float64Array.from(state);
    this.roots.forEach((r, j) => {
      for (let i = 0; i < d; i++) out[H + j * d + i] = divideByRoot(state[H + j * d + i], r[i]);
    });
    return out;
  }
}

/** A fresh scaler for one run, or null where the features stay raw. */
export function historyScaler(scaling: GradientScaling, historyLength: number, dim: number): HistoryScaler | null {
  return scaling === 'adagrad' ? new HistoryScaler(historyLength, dim) : null;
}
