// Strong-Wolfe line search (Nocedal & Wright, Algorithms 3.5 and 3.6) for L-BFGS and nonlinear CG.
// A non-finite trial value is treated as "too far" so the search backs off instead of failing.
import type { Objective } from '../envs/objective.ts';
import { axpy, dot } from '../src/vector.ts';

export interface LineSearchOptions {
  c1?: number;
  c2?: number;
  maxEvaluations?: number;
}

export interface LineSearchResult {
  /** The accepted step length; 0 when no point with lower f was found. */
  alpha: number;
  /** Whether the strong Wolfe conditions hold at alpha. */
  wolfe: boolean;
}

interface Trial {
  alpha: number;
  phi: number;
  dphi: number;
}

export function strongWolfeSearch(
  objective: Objective,
  x: Float64Array,
  f0: number,
  g0: Float64Array,
  direction: Float64Array,
  initialStep: number,
  options: LineSearchOptions = {},
): LineSearchResult {
  const c1 = options.c1 ?? 1e-4;
  const c2 = options.c2 ?? 0.9;
  const maxEvaluations = options.maxEvaluations ?? 25;
  const dphi0 = dot(g0, direction);
  if (!(dphi0 < 0)) return { alpha: 0, wolfe: false };
  let evaluations = 0;
  let best: Trial = { alpha: 0, phi: f0, dphi: dphi0 };

  const probe = (alpha: number): Trial => {
    evaluations += 1;
    const { value, gradient } = objective.evaluate(axpy(x, alpha, direction));
    const finite = Number.isFinite(value);
    const trial = { alpha, phi: finite ? value : Infinity, dphi: finite ? dot(gradient, direction) : NaN };
    if (trial.phi < best.phi) best = trial;
    return trial;
  };
  const sufficientDecrease = (t: Trial) => t.phi <= f0 + c1 * t.alpha * dphi0;
  const curvature = (t: Trial) => Math.abs(t.dphi) <= -c2 * dphi0;
  const fallback = (): LineSearchResult => ({ alpha: best.alpha, wolfe: false });

  const zoom = (lo: Trial, hi: Trial): LineSearchResult => {
    while (evaluations < maxEvaluations) {
      // Minimizer of the quadratic through φ(lo), φ'(lo), φ(hi), kept inside the middle 80%.
      const width = hi.alpha - lo.alpha;
      // A bracket narrower than float64 resolution cannot improve any further.
      if (Math.abs(width) <= 1e-12 * Math.max(lo.alpha, hi.alpha)) break;
      let alpha = lo.alpha + width / 2;
      if (Number.isFinite(hi.phi)) {
        const denom = 2 * (hi.phi - lo.phi - lo.dphi * width);
        if (denom > 0) alpha = lo.alpha - (lo.dphi * width * width) / denom;
      }
      const lower = Math.min(lo.alpha, hi.alpha) + 0.1 * Math.abs(width);
      const upper = Math.max(lo.alpha, hi.alpha) - 0.1 * Math.abs(width);
      if (!(alpha >= lower && alpha <= upper)) alpha = lo.alpha + width / 2;
      const trial = probe(alpha);
      if (!sufficientDecrease(trial) || trial.phi >= lo.phi) {
        hi = trial;
      } else {
        if (curvature(trial)) return { alpha, wolfe: true };
        if (trial.dphi * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = trial;
      }
    }
    return fallback();
  };

  let previous: Trial = { alpha: 0, phi: f0, dphi: dphi0 };
  let alpha = initialStep;
  for (let i = 0; evaluations < maxEvaluations; i++) {
    const trial = probe(alpha);
    if (!sufficientDecrease(trial) || (i > 0 && trial.phi >= previous.phi)) return zoom(previous, trial);
    if (curvature(trial)) return { alpha, wolfe: true };
    if (trial.dphi >= 0) return zoom(trial, previous);
    previous = trial;
    alpha *= 2;
  }
  return fallback();
}
