// Proximal gradient methods for composite objectives f = g + h (Objective.composite): ISTA,
// x_{k+1} = prox_{s·h}(x_k − s∇g(x_k)), and FISTA (Beck & Teboulle 2009), the same step taken from an
// extrapolated point y_k. The step is s = lr/L when the objective knows the Lipschitz constant L of
// ∇g (lr = 1 is the textbook step 1/L); otherwise s = 1/L_k by Beck & Teboulle's backtracking, which
// starts at L_0 = 1/lr (lr = the first trial step) and multiplies L_k by 2 until the sufficient-
// decrease test g(p) ≤ g(y) + ⟨∇g(y), p − y⟩ + (L_k/2)‖p − y‖² holds, L_k never decreasing (where
// that test is lost in the rounding of g's values, its curvature form: see proximalStep).
// Each step calls composite.smooth (once with a known L; twice or more per backtracking trial).
import type { CompositeStructure, Objective } from '../envs/objective.ts';
import { UserError } from '../src/errors.ts';
import type { Rng } from '../src/random.ts';
import type { Observation, Policy } from './policy.ts';

/** The factor by which backtracking raises its estimate of L after a failed sufficient-decrease test. */
const BACKTRACK_FACTOR = 2;
/** Trials per step before backtracking gives up and takes its last (smallest) step. */
const MAX_BACKTRACKS = 60;
/** Below this many ulps of g's value, the sufficient-decrease test is decided by rounding: test its curvature form. */
const RESOLVABLE = 1e4 * Number.EPSILON;

/** The composite structure of `objective`, or a UserError saying which objectives have one. */
export function compositeOf(objective: Objective, method: string): CompositeStructure {
  if (!objective.composite) {
    throw new UserError(
      `${method} is a proximal method and needs an objective with a composite structure (a smooth part and a prox), such as the sparse-coding or group-sparse-regression families; ${objective.name} has none`,
    );
  }
  return objective.composite;
}

abstract class ProximalGradient implements Policy {
  abstract readonly name: string;
  protected composite: CompositeStructure | null = null;
  /** L_k: the known Lipschitz constant over lr, or backtracking's current estimate. */
  private lipschitz = 1;
  private backtracking = false;

  constructor(readonly lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`the step multiplier lr must be positive and finite, got ${lr}`);
  }

  reset(objective: Objective, _rng: Rng): void {
    this.composite = compositeOf(objective, this.name);
    const known = this.composite.lipschitz;
    this.backtracking = !(known !== undefined && known > 0 && Number.isFinite(known));
    this.lipschitz = this.backtracking ? 1 / this.lr : known! / this.lr;
    this.start();
  }

  abstract act(observation: Observation): Float64Array;

  protected abstract start(): void;

  /** p = prox_{h/L}(y − ∇g(y)/L) with L known or found by backtracking. */
  protected proximalStep(y: Float64Array): Float64Array {
    const composite = this.composite;
    if (!composite) throw new Error(`${this.name}: act() called before reset()`);
    const { value: gy, gradient } = composite.smooth(y);
    const trial = () => {
      const step = 1 / this.lipschitz;
      const v = new Float64Array(y.length);
      for (let i = 0; i < y.length; i++) v[i] = y[i] - step * gradient[i];
      return composite.prox(v, step);
    };
    if (!this.backtracking) return trial();
    let p = trial();
    for (let i = 0; i < MAX_BACKTRACKS; i++) {
      let linear = 0;
      let squared = 0;
      for (let j = 0; j < y.length; j++) {
        const d = p[j] - y[j];
        linear += gradient[j] * d;
        squared += d * d;
      }
      if (squared === 0) return p;
      const { value: gp, gradient: gradientP } = composite.smooth(p);
      const quadratic = 0.5 * this.lipschitz * squared;
      if (quadratic > RESOLVABLE * Math.max(Math.abs(gy), Math.abs(gp))) {
        if (Number.isFinite(gp) && gp <= gy + linear + quadratic) return p;
      } else {
        // Near the minimum the test's terms fall below the rounding of g's values (a spurious
        // failure would raise L for the rest of the run): its curvature form instead,
        // ⟨∇g(p) − ∇g(y), p − y⟩ ≤ L‖p − y‖², equal to it to second order and exactly for least squares.
        let curvature = 0;
        for (let j = 0; j < y.length; j++) curvature += (gradientP[j] - gradient[j]) * (p[j] - y[j]);
        if (Number.isFinite(curvature) && curvature <= 2 * quadratic) return p;
      }
      this.lipschitz *= BACKTRACK_FACTOR;
      p = trial();
    }
    return p;
  }
}

/** ISTA: x_{k+1} = prox_{s·h}(x_k − s∇g(x_k)), s = lr/L (or backtracking from 1/lr when L is unknown). */
export class Ista extends ProximalGradient {
  readonly name = 'ista';

  protected start(): void {}

  act(observation: Observation): Float64Array {
    const x = observation.x;
    const p = this.proximalStep(x);
    for (let i = 0; i < p.length; i++) p[i] -= x[i];
    return p;
  }
}

/**
 * FISTA: x_k = prox step from y_k, t_{k+1} = (1 + √(1 + 4t_k²))/2,
 * y_{k+1} = x_k + ((t_k − 1)/t_{k+1})(x_k − x_{k−1}), y_1 = x_0, t_1 = 1. The env's iterate is x_k.
 */
export class Fista extends ProximalGradient {
  readonly name = 'fista';
  private t = 1;
  private previous: Float64Array | null = null;

  protected start(): void {
    this.t = 1;
    this.previous = null;
  }

  act(observation: Observation): Float64Array {
    const x = observation.x;
    let y = x;
    if (this.previous) {
      const tNext = (1 + Math.sqrt(1 + 4 * this.t * this.t)) / 2;
      const momentum = (this.t - 1) / tNext;
      y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = x[i] + momentum * (x[i] - this.previous[i]);
      this.t = tNext;
    }
    this.previous = Float64Array.from(x);
    const p = this.proximalStep(y);
    for (let i = 0; i < p.length; i++) p[i] -= x[i];
    return p;
  }
}
