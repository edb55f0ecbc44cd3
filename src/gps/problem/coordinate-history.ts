// The per-coordinate state of Li & Malik (2017)'s shared optimizer: coordinate j at step t sees,
// for each lag i < H, its gradient ∇_j f(x_{t−i}), its step x_{t−i,j} − x_{t−i−1,j} and the shared
// relative change of the objective (f(x_{t−i}) − f(x_{t−i−1})) / |f(x_{t−i−1})|. Layout: three
// entries per lag, [3i] gradient, [3i+1] step, [3i+2] relative change; entries before x_0 are zero.

export const FEATURES_PER_LAG = 3;

export function coordinateStateDim(historyLength: number): number {
  return FEATURES_PER_LAG * historyLength;
}

/** Zero padding at step t: the gradient at lag i needs t ≥ i, the step and the change t ≥ i + 1. */
export function coordinatePadding(index: number, t: number): boolean {
  const lag = Math.floor(index / FEATURES_PER_LAG);
  return index % FEATURES_PER_LAG === 0 ? lag > t : lag + 1 > t;
}

export class CoordinateHistory {
  private readonly gradients: Float64Array[] = []; // newest first
  private readonly steps: Float64Array[] = [];
  private readonly changes: number[] = [];
  private previous: { x: Float64Array; value: number } | null = null;

  constructor(readonly historyLength: number) {}

  /** Records x_t, f(x_t) and ∇f(x_t). */
  push(x: Float64Array, value: number, gradient: Float64Array): void {
    const H = this.historyLength;
    this.gradients.unshift(Float64Array.from(gradient));
    if (this.previous) {
      const step = new Float64Array(x.length);
      for (let j = 0; j < x.length; j++) step[j] = x[j] - this.previous.x[j];
      this.steps.unshift(step);
      this.changes.unshift((value - this.previous.value) / Math.max(Math.abs(this.previous.value), 1e-12));
    }
    this.previous = { x: Float64Array.from(x), value };
    for (const list of [this.gradients, this.steps, this.changes]) if (list.length > H) list.pop();
  }

  /** s_j of the latest step, written into `out`. */
  stateOf(j: number, out: Float64Array): Float64Array {
    out.fill(0);
    this.gradients.forEach((g, i) => (out[FEATURES_PER_LAG * i] = g[j]));
    this.steps.forEach((s, i) => (out[FEATURES_PER_LAG * i + 1] = s[j]));
    this.changes.forEach((r, i) => (out[FEATURES_PER_LAG * i + 2] = r));
    return out;
  }
}
