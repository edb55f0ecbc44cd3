// Adam's bias-corrected m̂_t / √v̂_t of each coordinate's gradient (β1 0.9, β2 0.999): the entry the
// history-adam feature sets add, per coordinate (adam-ratio-history.ts) and in the full state
// (full-state-features.ts). About ±1 on a steady gradient, about 0.23 in size on pure noise, and it
// does not fade as the gradients shrink; a step linear in it is Adam without its ε.

const BETA1 = 0.9;
const BETA2 = 0.999;

export class AdamRatio {
  private m = new Float64Array(0);
  private v = new Float64Array(0);
  private steps = 0;
  /** The bias corrections 1 − β1^t and 1 − β2^t of the latest push. */
  private c1 = 1;
  private c2 = 1;

  /** Adds g_t (every push the same length; a first push of another length starts the averages afresh). */
  push(gradient: ArrayLike<number>): void {
    if (this.m.length !== gradient.length) {
      this.m = new Float64Array(gradient.length);
      this.v = new Float64Array(gradient.length);
    }
    this.steps++;
    this.c1 = 1 - BETA1 ** this.steps;
    this.c2 = 1 - BETA2 ** this.steps;
    for (let j = 0; j < gradient.length; j++) {
      this.m[j] = BETA1 * this.m[j] + (1 - BETA1) * gradient[j];
      this.v[j] = BETA2 * this.v[j] + (1 - BETA2) * gradient[j] ** 2;
    }
  }

  /** m̂_j / √v̂_j after the pushes so far; 0 before any, or where v̂_j is 0. */
  ratio(j: number): number {
    if (this.steps === 0 || this.v[j] === 0) return 0;
    return this.m[j] / this.c1 / Math.sqrt(this.v[j] / this.c2);
  }
}
