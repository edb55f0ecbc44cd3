// When two final values count as the same, so that optimizers which end at one minimum tie instead of
// being ranked by rounding in the last bits.
export function sameValueTolerance(value: number): number {
  return 1e-9 * Math.max(1, Math.abs(value));
}
