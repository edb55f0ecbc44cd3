// Adam's bias-corrected m̂_t / √v̂_t of each coordinate's gradient (β1 0.9, β2 0.999): the entry the
// history-adam feature sets add, per coordinate (adam-ratio-history.ts) and in the full state
// (full-state-features.ts). About ±1 on a steady gradient, about 0.23 in size on pure noise, and it
// does not fade as the gradients shrink; a step linear in it is Adam without its ε.
//
// 'held' (the history-adam-held sets) divides by the largest v̂ since step 40 instead of the
// current one; up to step 40 the two are the same number. As the gradients shrink, Adam's v̂ falls
// behind the large early ones (its bias-corrected mean dilutes them, and later β2 forgets them), so
// the ratio's gain on what remains grows, about 7× by step 4000, and a rule that was stable at its
// horizon turns the minimum unstable: on logreg, Adam at its 100-step rate and the policies learned
// in these features leave f* after about 600 steps. Held, the gain never exceeds the one at step
// 40, the full state's training horizon (docs/design.md §1, "Adam's ratio").

const BETA1 = 0.9;
const BETA2 = 0.999;
/** From this step on, the held estimate never falls: the full state's default horizon T (config.ts). */
export const RATIO_HOLD_STEP = 40;

/** Which v̂ the ratio divides by: Adam's own ('ema'), or the largest since step 40 ('held'). */
export type MeanSquare = 'ema' | 'held';

export class AdamRatio {
  private m = new Float64Array(0);
  private v = new Float64Array(0);
  /** v̂ as the ratio reads it: Adam's v̂, or with 'held' its running maximum past step 40. */
  private vHat = new Float64Array(0);
  private steps = 0;
  /** The bias correction 1 − β1^t of the latest push. */
  private c1 = 1;

  constructor(readonly meanSquare: MeanSquare = 'ema') {}

  /** Adds g_t (every push the same length; a first push of another length starts the averages afresh). */
  push(gradient: ArrayLike<number>): void {
    if (this.m.length !== gradient.length) {
      this.m = new Float64Array(gradient.length);
      this.v = new Float64Array(gradient.length);
      this.vHat = new Float64Array(gradient.length);
    }
    this.steps++;
    this.c1 = 1 - BETA1 ** this.steps;
    const c2 = 1 - BETA2 ** this.steps;
    const hold = this.meanSquare === 'held' && this.steps > RATIO_HOLD_STEP;
    for (let j = 0; j < gradient.length; j++) {
      this.m[j] = BETA1 * this.m[j] + (1 - BETA1) * gradient[j];
      this.v[j] = BETA2 * this.v[j] + (1 - BETA2) * gradient[j] ** 2;
      const vHat = this.v[j] / c2;
      this.vHat[j] = hold ? Math.max(this.vHat[j], vHat) : vHat;
    }
  }

  /** m̂_j / √v̂_j after the pushes so far; 0 before any, or where v̂_j is 0. */
  ratio(j: number): number {
    if (this.steps === 0 || this.vHat[j] === 0) return 0;
    return this.m[j] / this.c1 / Math.sqrt(this.vHat[j]);
  }
}
