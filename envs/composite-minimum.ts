// The minimum f* of a composite objective g + h with a known Lipschitz constant L of ∇g, for the
// families that state their instances' minimum (the 'rate' meta-objective measures f − f*:
// src/meta-objective.ts). FISTA with step 1/L and O'Donoghue & Candès's function-value restart,
// which converges linearly on a lasso once the support settles, so the gap left is rounding, not the
// O(1/k²) tail of plain FISTA.
import type { CompositeStructure, Objective } from './objective.ts';

/** min_x g(x) + h(x) from x0, to a prox-gradient step shorter than `tolerance`·max(1, ‖x‖) or `maxIterations` steps. */
export function compositeMinimum(composite: CompositeStructure, x0: Float64Array, options: { tolerance?: number; maxIterations?: number } = {}): number {
  const L = composite.lipschitz;
  if (L === undefined || !(L > 0)) throw new Error('compositeMinimum needs the Lipschitz constant of the smooth part');
  const tolerance = options.tolerance ?? 1e-13;
  const maxIterations = options.maxIterations ?? 20_000;
  const f = (x: Float64Array) => composite.smooth(x).value + composite.regularizer(x);
  let x: Float64Array = Float64Array.from(x0);
  let y: Float64Array = Float64Array.from(x0);
  let t = 1;
  let value = f(x);
  for (let k = 0; k < maxIterations; k++) {
    const { gradient } = composite.smooth(y);
    const step = Float64Array.from(y, (v, i) => v - gradient[i] / L);
    const next = composite.prox(step, 1 / L);
    const nextValue = f(next);
    let moved = 0;
    let size = 0;
    for (let i = 0; i < next.length; i++) {
      moved += (next[i] - y[i]) ** 2;
      size += next[i] ** 2;
    }
    if (Math.sqrt(moved) <= tolerance * Math.max(1, Math.sqrt(size))) return Math.min(value, nextValue);
    if (nextValue > value && t > 1) {
      // Restart: the momentum overshot; continue from x with a plain proximal-gradient step (which
      // is taken even if rounding makes f rise by an ulp: t = 1 carries no momentum).
      t = 1;
      y = Float64Array.from(x);
      continue;
    }
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    y = Float64Array.from(next, (v, i) => v + ((t - 1) / tNext) * (v - x[i]));
    x = next;
    t = tNext;
    value = nextValue;
  }
  return value;
}

/** The objective with `minimum`, computed (compositeMinimum from 0) the first time it is read and kept. */
export function withLazyMinimum(objective: Objective & { composite: CompositeStructure }): Objective {
  let minimum: number | undefined;
  return Object.defineProperty(objective, 'minimum', {
    get: () => (minimum ??= compositeMinimum(objective.composite, new Float64Array(objective.dim))),
    enumerable: true,
  });
}
