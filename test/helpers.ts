import assert from 'node:assert/strict';
import type { Objective } from '../envs/objective.ts';

/** Central finite differences of objective.evaluate(x).value. */
export function finiteDifferenceGradient(objective: Objective, x: Float64Array, h: number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    plus[i] += h;
    minus[i] -= h;
    g[i] = (objective.evaluate(plus).value - objective.evaluate(minus).value) / (2 * h);
  }
  return g;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/**
 * A family of bowls that are finite only at their start (3, 3): any step at all breaks them down
 * (or, with `everywhere`, not even the start is finite). For tests of training that cannot succeed.
 */
export function breakingFamily(name: string, everywhere = false) {
  return {
    name,
    dim: 2,
    splitSizes: { train: 20, test: 2 },
    sample: (split: 'train' | 'test', index: number) => ({
      name: `breaks/${split}/${index}`,
      dim: 2,
      start: () => Float64Array.of(3, 3),
      evaluate: (x: Float64Array) => (everywhere || x[0] !== 3 || x[1] !== 3 ? { value: NaN, gradient: Float64Array.of(NaN, NaN) } : { value: x[0] * x[0] + x[1] * x[1], gradient: Float64Array.of(2 * x[0], 2 * x[1]) }),
    }),
  };
}
