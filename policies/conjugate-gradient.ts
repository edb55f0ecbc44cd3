// Nonlinear conjugate gradient, Polak–Ribière+ with a restart every `dim` steps or whenever the
// direction is not a descent direction, and a strong-Wolfe line search (c2 = 0.1, as CG needs).
// The tuned learning rate is the first trial step; later ones follow Nocedal & Wright (3.60).
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import { dot, equalVectors, scale } from '../src/vector.ts';
import { strongWolfeSearch } from './line-search.ts';
import type { Observation, Policy } from './policy.ts';

/** Nonlinear conjugate gradient (Polak–Ribière+, restarted) with a strong-Wolfe line search; lr is the first trial step. */
export class ConjugateGradient implements Policy {
  readonly name = 'cg';
  private objective: Objective | null = null;
  private previous: { g: Float64Array; d: Float64Array; alpha: number; slope: number } | null = null;
  private sinceRestart = 0;
  /** The gradient at which a steepest-descent search failed: a minimum to float64 precision. */
  private stuckAt: Float64Array | null = null;

  constructor(readonly lr: number) {}

  reset(objective: Objective, _rng: Rng): void {
    this.objective = objective;
    this.previous = null;
    this.sinceRestart = 0;
    this.stuckAt = null;
  }

  act(observation: Observation): Float64Array {
    const { x, gradient: g, value } = observation;
    if (this.stuckAt && equalVectors(this.stuckAt, g)) return new Float64Array(x.length);
    let d = scale(g, -1);
    let initialStep = this.lr;
    const prev = this.previous;
    if (prev && this.sinceRestart < x.length) {
      let beta = 0;
      const gg = dot(prev.g, prev.g);
      if (gg > 0) for (let i = 0; i < g.length; i++) beta += (g[i] * (g[i] - prev.g[i])) / gg;
      beta = Math.max(beta, 0);
      const candidate = Float64Array.from(d);
      for (let i = 0; i < d.length; i++) candidate[i] += beta * prev.d[i];
      if (dot(candidate, g) < 0) d = candidate;
      const slope = dot(g, d);
      if (prev.alpha > 0 && slope < 0) initialStep = (prev.alpha * prev.slope) / slope;
      this.sinceRestart += 1;
    } else {
      this.sinceRestart = 0;
    }
    const slope = dot(g, d);
    const { alpha } = strongWolfeSearch(this.objective!, x, value, g, d, initialStep, { c2: 0.1 });
    this.previous = { g, d, alpha, slope };
    if (alpha === 0) {
      if (this.sinceRestart === 0) this.stuckAt = g; // even −∇f gave no decrease
      this.sinceRestart = x.length; // otherwise restart along −∇f next time
    }
    return scale(d, alpha);
  }
}
