// The group lasso f(x) = ½‖Ax − b‖² + λ Σ_g ‖x_g‖₂ over equal-size consecutive groups: per instance a
// Gaussian design A (m × n, entries N(0, 1/m)) and a truth whose nonzeros fill a few whole groups,
// b = Ax_true + noise. evaluate returns the subgradient Aᵀ(Ax − b) + λ·x_g/‖x_g‖ on each nonzero
// group and 0 on a zero group; `composite` carries the smooth part, L = ‖A‖₂² and the group prox
// (block soft thresholding) for ISTA/FISTA.
import { UserError } from '../src/errors.ts';
import { Rng } from '../src/random.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';
import { withLazyMinimum } from './composite-minimum.ts';
import { leastSquares, multiply, spectralNormSquared } from './sparse-coding.ts';

/**
 * The proximal map of t·Σ_g ‖v_g‖₂ over consecutive groups of `groupSize`: each group shrunk toward
 * 0 by t in norm, v_g·max(1 − t/‖v_g‖, 0). A new array.
 */
export function groupSoftThreshold(v: Float64Array, groupSize: number, t: number): Float64Array {
  if (v.length % groupSize !== 0) throw new RangeError(`length ${v.length} is not a multiple of the group size ${groupSize}`);
  const out = new Float64Array(v.length);
  for (let g = 0; g < v.length; g += groupSize) {
    const norm = groupNorm(v, g, groupSize);
    if (norm <= t) continue;
    const shrink = 1 - t / norm;
    for (let i = g; i < g + groupSize; i++) out[i] = shrink * v[i];
  }
  return out;
}

function groupNorm(v: Float64Array, start: number, size: number): number {
  let s = 0;
  for (let i = start; i < start + size; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Σ_g ‖x_g‖₂ over consecutive groups of `groupSize`. */
export function groupNormSum(x: Float64Array, groupSize: number): number {
  let s = 0;
  for (let g = 0; g < x.length; g += groupSize) s += groupNorm(x, g, groupSize);
  return s;
}

export const groupSparseRegression: FamilyDefinition = {
  name: 'group-sparse-regression',
  description: 'group lasso ½‖Ax − b‖² + λΣ‖x_g‖₂, Gaussian A, a truth nonzero on a few whole groups; d = groups·groupSize',
  params: {
    m: { kind: 'integer', default: 25, min: 1, max: 4096, description: 'observations (rows of A)' },
    groups: { kind: 'integer', default: 10, min: 1, max: 4096, description: 'number of groups' },
    groupSize: { kind: 'integer', default: 5, min: 1, max: 4096, description: 'coordinates per group' },
    activeGroups: { kind: 'integer', default: 2, description: 'groups on which the truth is nonzero, values N(0, 1)' },
    lambda: { kind: 'number', default: 0.1, description: 'group-ℓ2 weight λ' },
    noise: { kind: 'number', default: 0.01, description: 'b = Ax_true + N(0, noise²·I)' },
    initStd: { kind: 'number', default: 0, description: 'x0 ~ N(0, initStd²·I); 0 starts at x = 0' },
    ...splitParams(90, 100),
  },
  create(p) {
    const m = p.m as number;
    const groups = p.groups as number;
    const size = p.groupSize as number;
    const active = p.activeGroups as number;
    const lambda = p.lambda as number;
    const noise = p.noise as number;
    const initStd = p.initStd as number;
    const where = "env 'group-sparse-regression'";
    if (m < 1 || groups < 1 || size < 1) throw new UserError(`${where} needs m, groups and groupSize ≥ 1, got ${m}, ${groups}, ${size}`);
    if (active < 0 || active > groups) throw new UserError(`${where} needs 0 ≤ activeGroups ≤ groups (${groups}), got ${active}`);
    if (!(lambda >= 0) || !(noise >= 0)) throw new UserError(`${where} needs lambda ≥ 0 and noise ≥ 0, got ${lambda} and ${noise}`);
    const n = groups * size;
    // A: m × n numbers, drawn for every instance; past this a typo allocates past memory.
    if (m * n > 50_000_000) throw new UserError(`${where} needs m × groups × groupSize at most 50,000,000, got ${m} × ${groups} × ${size}`);
    return {
      name: 'group-sparse-regression',
      dim: n,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('group-sparse-regression', p.instanceSeed as number, split, index));
        const A = rng.normalVector(m * n, 1 / Math.sqrt(m));
        const truth = new Float64Array(n);
        for (const g of rng.permutation(groups).subarray(0, active)) for (let i = 0; i < size; i++) truth[g * size + i] = rng.normal();
        const b = multiply(A, m, n, truth);
        for (let i = 0; i < m; i++) b[i] += noise * rng.normal();
        const lipschitz = spectralNormSquared(A, m, n);
        return withLazyMinimum({
          name: `group-sparse-regression/${split}/${index}`,
          dim: n,
          start: (r) => (initStd > 0 ? r.normalVector(n, initStd) : new Float64Array(n)),
          evaluate(x) {
            const { value, gradient } = leastSquares(A, m, n, b, x);
            // A subgradient of λΣ‖x_g‖: λ·x_g/‖x_g‖ on a nonzero group, 0 on a zero one.
            for (let g = 0; g < n; g += size) {
              const norm = groupNorm(x, g, size);
              if (norm > 0) for (let i = g; i < g + size; i++) gradient[i] += (lambda * x[i]) / norm;
            }
            return { value: value + lambda * groupNormSum(x, size), gradient };
          },
          composite: {
            smooth: (x) => leastSquares(A, m, n, b, x),
            lipschitz,
            prox: (v, step) => groupSoftThreshold(v, size, step * lambda),
            regularizer: (x) => lambda * groupNormSum(x, size),
          },
        });
      },
    };
  },
};
