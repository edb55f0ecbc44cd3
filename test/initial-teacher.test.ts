import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Objective } from '../envs/objective.ts';
import { initialTeacher } from '../src/gps/problem/initial-teacher.ts';
import type { TeacherScore } from '../src/gps/config.ts';
import { Rng } from '../src/random.ts';

// f(x) = ½(x₁² + 100 x₂²) from x0 = (1, 10). Gradient descent at α contracts the coordinates by
// 1 − α and |1 − 100α|. At α = 0.01 (a grid point) the stiff coordinate is gone after one step, which
// the sum of f over the run rewards most; at α = 10^−1.75 ≈ 0.0178 (the grid's 0.01 refined by a
// quarter decade) the slow coordinate contracts faster, which the final f rewards: ½·0.9822^100 =
// 0.083 against ½·0.99^100 = 0.183, while the stiff one's sum grows from 5,000 to about 12,700.
const T = 50;
function stiffQuadratic(fullValueCalls: { count: number }): Objective {
  const value = (x: Float64Array) => 0.5 * (x[0] ** 2 + 100 * x[1] ** 2);
  return {
    name: 'stiff-quadratic',
    dim: 2,
    start: () => Float64Array.of(1, 10),
    evaluate: (x) => ({ value: value(x), gradient: Float64Array.of(x[0], 100 * x[1]) }),
    fullValue: (x) => {
      fullValueCalls.count++;
      return value(x);
    },
  };
}

// With H = 1 the truncated-momentum teacher is u = −α∇f; its gain on ∇f₁ sits after x (2) and the one value change (1).
function chosenStep(score: TeacherScore, refine: number, calls = { count: 0 }): number {
  const teacher = initialTeacher(stiffQuadratic(calls), new Rng('teacher-search'), { historyLength: 1, horizon: T, noise: 0.2, gradientScaling: 'none', teacherSearch: { score, refine } });
  return -teacher.K[0].get(0, 3);
}

test('the first teacher search scored by the sum picks the grid step that kills the stiff coordinate, and refining keeps it', () => {
  assert.equal(chosenStep('sum', 0), 0.01);
  assert.equal(chosenStep('sum', 2), 0.01);
});

test('scored by the final loss on the full data, refinement moves the step a quarter decade up, where the slow coordinate ends lowest', () => {
  assert.equal(chosenStep('final', 0), 0.01);
  const calls = { count: 0 };
  assert.ok(Math.abs(chosenStep('final', 2, calls) - 10 ** -1.75) < 1e-12);
  // One full-data evaluation per noiseless run: 8 steps × 3 decays on the grid, 2 per refinement round.
  assert.equal(calls.count, 8 * 3 + 2 * 2);
});
