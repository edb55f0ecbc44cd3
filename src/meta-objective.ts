// What a learned optimizer is trained to minimize over a run f(x_1), …, f(x_T) (docs/design.md §8):
// - 'sum':   Σ_t f(x_t), the classic meta-loss; it over-weights the first steps, where f is largest;
// - 'rate':  Σ_t log((f(x_t) − f*)/(f(x_0) − f*)), the log-gap after every step: each step is
//            judged by the factor it gains, so fast convergence counts all the way to the end;
// - 'final': f(x_T) alone.
// f* is the objective's `minimum` when its family states one, else 0 (then 'rate' is the log loss).
// Both trainers weight f(x_t) by ω_t, the derivative of the meta-loss in f(x_t): 1 for the sum,
// 1/(f(x_t) − f*) for the rate, 1 at the last step for the final value. An instance that starts at
// its minimum (a lasso whose solution is 0) has no convergence to measure; see startAgainstMinimum.

/** The meta-objectives `--meta-objective` accepts. */
export const META_OBJECTIVES = ['sum', 'rate', 'final'] as const;
/** What a learned optimizer is trained to minimize over its run (docs/design.md §8). */
export type MetaObjective = (typeof META_OBJECTIVES)[number];

/**
 * f(x) − f*, kept above a floor: f* may be a solver's estimate a rounding error above the true
 * minimum, and a run may touch it; the floor is a 1e-12 fraction of the starting gap.
 */
export function optimalityGap(value: number, minimum: number, startGap: number): number {
  return Math.max(value - minimum, 1e-12 * startGap);
}

/**
 * Where a run starts against f*, for the rate: 'above'; 'at' the minimum up to rounding (1e-9
 * relative), where the log-gap is undefined and the instance has nothing to gain; or 'below', which
 * says f* is wrong (0 taken for a family that states no minimum, while its f goes negative).
 */
export function startAgainstMinimum(start: number, minimum: number): 'above' | 'at' | 'below' {
  const tolerance = 1e-9 * Math.max(Math.abs(start), Math.abs(minimum), Number.MIN_VALUE);
  if (start - minimum > tolerance) return 'above';
  return start - minimum >= -tolerance ? 'at' : 'below';
}
