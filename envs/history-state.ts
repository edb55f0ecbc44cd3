// The MDP state Φ of Li & Malik (2016): the objective's recent history. With H the history length
// and d the dimension, the state vector (length H + H·d) is laid out as
//   [0, H):            f(x_t) − f(x_{t−i})        for i = 1..H   (change relative to the i-th past iterate)
//   [H + j·d, H+(j+1)·d): ∇f(x_{t−j})             for j = 0..H−1 (current gradient first)
// Entries reaching before x_0 are zero. Features are left in the objective's own units: the built-in
// families are O(1) by construction, and the GPS policy scales each feature by its RMS over its
// training states (non-padded steps only) and clips it to the range seen there.

export function stateDim(historyLength: number, dim: number): number {
  return historyLength * (1 + dim);
}

export class HistoryState {
  private readonly values: number[] = []; // newest first, up to H + 1
  private readonly gradients: Float64Array[] = []; // newest first, up to H

  constructor(
    readonly historyLength: number,
    readonly dim: number,
  ) {
    if (!Number.isInteger(historyLength) || historyLength < 1) throw new RangeError(`history length must be a positive integer, got ${historyLength}`);
  }

  push(value: number, gradient: Float64Array): void {
    this.values.unshift(value);
    this.gradients.unshift(gradient);
    if (this.values.length > this.historyLength + 1) this.values.pop();
    if (this.gradients.length > this.historyLength) this.gradients.pop();
  }

  /**
   * The state as of now, computed lazily: the copy of the (≤ H + 1) references is cheap, while
   * building the H·d vector is skipped entirely by policies that never read it.
   */
  snapshot(): () => Float64Array {
    const values = this.values.slice();
    const gradients = this.gradients.slice();
    const H = this.historyLength;
    const dim = this.dim;
    let features: Float64Array | null = null;
    return () => {
      if (features) return features;
      features = new Float64Array(stateDim(H, dim));
      for (let i = 1; i < values.length; i++) features[i - 1] = values[0] - values[i];
      for (let j = 0; j < gradients.length; j++) features.set(gradients[j], H + j * dim);
      return features;
    };
  }
}

/**
 * How many steps back feature `index` of the state looks: the change f(x_t) − f(x_{t−i}) needs i
 * past iterates, the gradient ∇f(x_{t−j}) needs j. At step t the feature is zero padding when its
 * lag exceeds t, and statistics for normalizing features must skip those entries.
 */
export function featureLag(index: number, historyLength: number, dim: number): number {
  return index < historyLength ? index + 1 : Math.floor((index - historyLength) / dim);
}
