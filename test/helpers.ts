import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Objective } from '../envs/objective.ts';

/** The repository root, where the CLI tests run. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The CLI as users run it: bin/l2o.js runs the compiled dist/, which npm test builds before the tests. */
export const BIN = fileURLToPath(new URL('../bin/l2o.js', import.meta.url));

/** Runs `l2o ...args` in the repository root, with one thread unless the args ask for workers (a pool's threads each load tfjs, which only costs time here). */
export function l2o(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const workers = args.includes('--workers') ? [] : ['--workers', '1'];
  const result = spawnSync(process.execPath, [BIN, ...workers, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

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
