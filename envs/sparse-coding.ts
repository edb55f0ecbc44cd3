// Sparse coding as in Gregor & LeCun's LISTA (ICML 2010): a fixed dictionary D (m × n, unit-norm
// Gaussian columns, one per family) and per instance a k-sparse code z* with y = Dz* + noise. The
// objective is the lasso f(z) = ½‖Dz − y‖² + λ‖z‖₁; evaluate returns the subgradient
// Dᵀ(Dz − y) + λ·sign(z) with sign(0) = 0, and `composite` its split into the smooth part and the
// ℓ1 term (prox: soft thresholding) for ISTA/FISTA. `sparseCode` carries D, y, z* and λ for LISTA.
import { UserError } from '../src/errors.ts';
import { Rng } from '../src/random.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { withLazyMinimum } from './composite-minimum.ts';
import { instanceSeed, type CompositeStructure, type Evaluation, type Objective, type SparseCodeInstance } from './objective.ts';

/** soft(v, t)_i = sign(v_i)·max(|v_i| − t, 0): the proximal map of t‖·‖₁, a new array. */
export function softThreshold(v: Float64Array, t: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]) - t;
    out[i] = a > 0 ? Math.sign(v[i]) * a : 0;
  }
  return out;
}

/**
 * The largest eigenvalue of a symmetric n × n matrix (row-major), by cyclic Jacobi rotations to
 * float64 precision: exact enough for a step 1/L that must not exceed the true 1/L.
 */
export function largestEigenvalue(symmetric: Float64Array, n: number): number {
  const a = Float64Array.from(symmetric);
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off <= 1e-32 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // The rotation that zeroes a_pq (Numerical Recipes §11.1): A ← JᵀAJ.
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  let largest = -Infinity;
  for (let i = 0; i < n; i++) largest = Math.max(largest, a[i * n + i]);
  return largest;
}

/** ‖A‖₂² = λ_max(AᵀA) of a rows × cols row-major matrix, from the Gram matrix of its shorter side. */
export function spectralNormSquared(A: Float64Array, rows: number, cols: number): number {
  const byRows = rows <= cols;
  const size = byRows ? rows : cols;
  const gram = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = i; j < size; j++) {
      let s = 0;
      if (byRows) for (let k = 0; k < cols; k++) s += A[i * cols + k] * A[j * cols + k];
      else for (let k = 0; k < rows; k++) s += A[k * cols + i] * A[k * cols + j];
      gram[i * size + j] = s;
      gram[j * size + i] = s;
    }
  }
  return largestEigenvalue(gram, size);
}

/** A·x for a rows × cols row-major A. */
export function multiply(A: Float64Array, rows: number, cols: number, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += A[i * cols + j] * x[j];
    out[i] = s;
  }
  return out;
}

/** Aᵀ·r for a rows × cols row-major A. */
export function multiplyTransposed(A: Float64Array, rows: number, cols: number, r: ArrayLike<number>): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const ri = r[i];
    if (ri === 0) continue;
    for (let j = 0; j < cols; j++) out[j] += A[i * cols + j] * ri;
  }
  return out;
}

/** ½‖Ax − b‖² and its gradient Aᵀ(Ax − b): the smooth part of both sparse families. */
export function leastSquares(A: Float64Array, rows: number, cols: number, b: Float64Array, x: Float64Array): Evaluation {
  const r = multiply(A, rows, cols, x);
  let value = 0;
  for (let i = 0; i < rows; i++) {
    r[i] -= b[i];
    value += r[i] * r[i];
  }
  return { value: 0.5 * value, gradient: multiplyTransposed(A, rows, cols, r) };
}

/** An m × n dictionary with N(0, 1) entries and every column scaled to unit ℓ2 norm (row-major). */
export function randomDictionary(rng: Rng, m: number, n: number): Float64Array {
  const D = new Float64Array(m * n);
  for (let i = 0; i < D.length; i++) D[i] = rng.normal();
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += D[i * n + j] ** 2;
    const scale = 1 / Math.sqrt(s);
    for (let i = 0; i < m; i++) D[i * n + j] *= scale;
  }
  return D;
}

/** What lassoObjective builds an objective from. */
export interface LassoSpec {
  name: string;
  /** D (m × n, row-major), the signal y, λ; z* when known (then the objective has `sparseCode`). */
  D: Float64Array;
  m: number;
  n: number;
  y: Float64Array;
  lambda: number;
  zStar?: Float64Array;
  /** ‖D‖₂², computed when not given. */
  lipschitz?: number;
  /** x0 ~ N(0, initStd²·I); 0 (the default) starts at z = 0, as ISTA and LISTA do. */
  initStd?: number;
}

/** The lasso ½‖Dz − y‖² + λ‖z‖₁ as an Objective with its composite structure (and its sparse code when z* is given). */
export function lassoObjective(spec: LassoSpec): Objective {
  const { D, m, n, y, lambda } = spec;
  const initStd = spec.initStd ?? 0;
  const lipschitz = spec.lipschitz ?? spectralNormSquared(D, m, n);
  const l1 = (z: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(z[i]);
    return lambda * s;
  };
  const sparseCode: SparseCodeInstance | undefined = spec.zStar ? { D, m, n, y, zStar: spec.zStar, lambda } : undefined;
  const objective: Objective & { composite: CompositeStructure } = {
    name: spec.name,
    dim: n,
    start: (rng) => (initStd > 0 ? rng.normalVector(n, initStd) : new Float64Array(n)),
    evaluate(z) {
      const { value, gradient } = leastSquares(D, m, n, y, z);
      // A subgradient of λ‖z‖₁: λ·sign(z_i), with 0 where z_i = 0.
      for (let i = 0; i < n; i++) gradient[i] += lambda * Math.sign(z[i]);
      return { value: value + l1(z), gradient };
    },
    composite: {
      smooth: (z) => leastSquares(D, m, n, y, z),
      lipschitz,
      prox: (v, step) => softThreshold(v, step * lambda),
      regularizer: l1,
    },
    ...(sparseCode ? { sparseCode } : {}),
  };
  return withLazyMinimum(objective);
}

/** The family's dictionary: a pure function of (m, n, instanceSeed), the same for every instance and both splits. */
export function sparseCodingDictionary(m: number, n: number, seed: number): Float64Array {
  return randomDictionary(new Rng(`sparse-coding/instances-${seed}/dictionary-${m}x${n}`), m, n);
}

export const sparseCoding: FamilyDefinition = {
  name: 'sparse-coding',
  description: 'lasso ½‖Dz − y‖² + λ‖z‖₁ with a fixed unit-norm Gaussian dictionary and k-sparse codes (Gregor & LeCun 2010), d = atoms',
  params: {
    m: { kind: 'integer', default: 25, min: 1, max: 4096, description: 'signal length (rows of the dictionary D)' },
    atoms: { kind: 'integer', default: 50, min: 1, max: 4096, description: 'dictionary atoms n (columns of D): the dimension' },
    sparsity: { kind: 'integer', default: 3, description: 'nonzeros k of each true code z*, values N(0, 1)' },
    lambda: { kind: 'number', default: 0.1, description: 'ℓ1 weight λ' },
    noise: { kind: 'number', default: 0.01, description: 'y = Dz* + N(0, noise²·I)' },
    initStd: { kind: 'number', default: 0, description: 'x0 ~ N(0, initStd²·I); 0 starts at z = 0 (the ISTA/LISTA convention)' },
    ...splitParams(1000, 100),
  },
  create(p) {
    const m = p.m as number;
    const n = p.atoms as number;
    const k = p.sparsity as number;
    const lambda = p.lambda as number;
    const noise = p.noise as number;
    if (m < 1 || n < 1) throw new UserError(`env 'sparse-coding' needs m ≥ 1 and atoms ≥ 1, got m = ${m}, atoms = ${n}`);
    if (k < 0 || k > n) throw new UserError(`env 'sparse-coding' needs 0 ≤ sparsity ≤ atoms (${n}), got ${k}`);
    if (!(lambda >= 0) || !(noise >= 0)) throw new UserError(`env 'sparse-coding' needs lambda ≥ 0 and noise ≥ 0, got ${lambda} and ${noise}`);
    const D = sparseCodingDictionary(m, n, p.instanceSeed as number);
    const lipschitz = spectralNormSquared(D, m, n);
    return {
      name: 'sparse-coding',
      dim: n,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('sparse-coding', p.instanceSeed as number, split, index));
        const support = rng.permutation(n).subarray(0, k);
        const zStar = new Float64Array(n);
        for (const j of support) zStar[j] = rng.normal();
        const y = multiply(D, m, n, zStar);
        for (let i = 0; i < m; i++) y[i] += noise * rng.normal();
        return lassoObjective({ name: `sparse-coding/${split}/${index}`, D, m, n, y, lambda, zStar, lipschitz, initStd: p.initStd as number });
      },
    };
  },
};
