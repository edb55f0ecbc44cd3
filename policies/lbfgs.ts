// L-BFGS (memory 10) with the two-loop recursion and a strong-Wolfe line search. The tuned
// learning rate is the first trial step of a run (the memory is empty then, so the direction is
// −∇f and its scale unknown); afterwards the scaled quasi-Newton step 1 is tried first.
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import { dot, equalVectors, scale, sub } from '../src/vector.ts';
import { strongWolfeSearch } from './line-search.ts';
import type { Observation, Policy } from './policy.ts';

/** L-BFGS with memory 10 and a strong-Wolfe line search; lr is the first trial step. */
export class Lbfgs implements Policy {
  readonly name = 'lbfgs';
  private objective: Objective | null = null;
  private pairs: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  private previous: { x: Float64Array; g: Float64Array } | null = null;
  /** The gradient at which every search failed: at a minimum to float64 precision, so stay put. */
  private stuckAt: Float64Array | null = null;

  constructor(
    readonly lr: number,
    readonly memory = 10,
  ) {}

  reset(objective: Objective, _rng: Rng): void {
    this.objective = objective;
    this.pairs = [];
    this.previous = null;
    this.stuckAt = null;
  }

  act(observation: Observation): Float64Array {
    const { x, gradient: g, value } = observation;
    // A deterministic objective gives back the same gradient after a zero step; a stochastic one need not.
    if (this.stuckAt && equalVectors(this.stuckAt, g)) return new Float64Array(x.length);
    if (this.previous) {
      const s = sub(x, this.previous.x);
      const y = sub(g, this.previous.g);
      const sy = dot(s, y);
      // Skip pairs without positive curvature: they would make the inverse Hessian indefinite.
      if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
        this.pairs.push({ s, y, rho: 1 / sy });
        if (this.pairs.length > this.memory) this.pairs.shift();
      }
    }
    this.previous = { x, g };
    let step = this.searchAlong(this.direction(g), this.pairs.length ? 1 : this.lr, x, value, g);
    if (!step && this.pairs.length) {
      // The quasi-Newton model was wrong here: forget it and fall back to steepest descent.
      this.pairs = [];
      step = this.searchAlong(scale(g, -1), this.lr, x, value, g);
    }
    if (step) return step;
    this.stuckAt = g;
    return new Float64Array(x.length);
  }

  private direction(g: Float64Array): Float64Array {
    const q = Float64Array.from(g);
    const alphas: number[] = [];
    for (let k = this.pairs.length - 1; k >= 0; k--) {
      const { s, y, rho } = this.pairs[k];
      const a = rho * dot(s, q);
      alphas[k] = a;
      for (let i = 0; i < q.length; i++) q[i] -= a * y[i];
    }
    if (this.pairs.length) {
      const { s, y } = this.pairs[this.pairs.length - 1];
      const gamma = dot(s, y) / dot(y, y);
      for (let i = 0; i < q.length; i++) q[i] *= gamma;
    }
    for (let k = 0; k < this.pairs.length; k++) {
      const { s, y, rho } = this.pairs[k];
      const b = rho * dot(y, q);
      for (let i = 0; i < q.length; i++) q[i] += (alphas[k] - b) * s[i];
    }
    return scale(q, -1);
  }

  private searchAlong(d: Float64Array, initialStep: number, x: Float64Array, f: number, g: Float64Array): Float64Array | null {
    const { alpha } = strongWolfeSearch(this.objective!, x, f, g, d, initialStep, { c2: 0.9 });
    return alpha > 0 ? scale(d, alpha) : null;
  }
}
