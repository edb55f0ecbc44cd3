// Small float64 vector helpers shared by objectives, the environment and the optimizers.
export type Vec = Float64Array;

export function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Vec): number {
  return Math.sqrt(dot(a, a));
}

/** out = a + alpha * b (out may alias a). */
export function axpy(a: Vec, alpha: number, b: Vec, out: Vec = new Float64Array(a.length)): Vec {
  for (let i = 0; i < a.length; i++) out[i] = a[i] + alpha * b[i];
  return out;
}

export function scale(a: Vec, alpha: number): Vec {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = alpha * a[i];
  return out;
}

export function sub(a: Vec, b: Vec): Vec {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Σ xs, added in order. */
export function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

export function mean(xs: ArrayLike<number>): number {
  return sum(xs) / xs.length;
}

/** The q-quantile with linear interpolation between order statistics (q = 0.5: the median). */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(xs).sort();
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

/**
 * median(xs.filter((x) => x > floor)), to the bit, for an array made of long runs of equal values (the
 * distillation's weights: one per teacher and step, repeated for each sample): it sorts the runs
 * instead of every value.
 */
export function medianOfRuns(xs: ArrayLike<number>, floor: number): number {
  const runs: { value: number; count: number }[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i + 1;
    while (j < xs.length && xs[j] === xs[i]) j++;
    if (xs[i] > floor) runs.push({ value: xs[i], count: j - i });
    i = j;
  }
  runs.sort((a, b) => a.value - b.value);
  const total = runs.reduce((n, run) => n + run.count, 0);
  const valueAt = (index: number): number => {
    let seen = 0;
    for (const run of runs) if (index < (seen += run.count)) return run.value;
    return NaN;
  };
  // quantile's interpolation at q = 0.5, on the sorted values the runs stand for.
  const position = 0.5 * (total - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, total - 1);
  return valueAt(below) + (position - below) * (valueAt(above) - valueAt(below));
}

/** Numerically stable log(1 + exp(z)). */
export function softplus(z: number): number {
  return softplusFromTail(z, Math.exp(z > 0 ? -z : z));
}

export function sigmoid(z: number): number {
  return sigmoidFromTail(z, Math.exp(z > 0 ? -z : z));
}

/**
 * softplus and sigmoid given e = exp(−|z|), for a caller that needs both at one z and computes the
 * exp once (logistic regression's loss and gradient); the same values as softplus and sigmoid.
 */
export function softplusFromTail(z: number, e: number): number {
  return z > 0 ? z + Math.log1p(e) : Math.log1p(e);
}

export function sigmoidFromTail(z: number, e: number): number {
  return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

export function equalVectors(a: Vec, b: Vec): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
