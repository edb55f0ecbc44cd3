// The baselines' tuning: the grid, then rounds of refinement around its best rate (tuner.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectiveFamily } from '../envs/objective.ts';
import { findHandDesigned } from '../policies/hand-designed.ts';
import { tuneLearningRate, tuningRuns } from '../src/evaluate/tuner.ts';

/**
 * f(x) = ½·a·x² from x0 = 1: T steps of gradient descent end at ½a(1 − lr·a)^(2T), lowest at lr = 1/a.
 * With a = 3 the optimum 0.333 lies between the grid points 0.1 and 1.
 */
function parabolas(a: number): ObjectiveFamily {
  const instance = (name: string) => ({
    name,
    dim: 1,
    evaluate: (x: Float64Array) => ({ value: 0.5 * a * x[0] * x[0], gradient: Float64Array.of(a * x[0]) }),
    start: () => Float64Array.of(1),
  });
  return { name: 'parabolas', dim: 1, splitSizes: { train: 2, test: 1 }, sample: (split, i) => instance(`parabolas/${split}/${i}`) };
}

const final = (a: number, lr: number, steps: number) => 0.5 * a * (1 - lr * a) ** (2 * steps);

test('the tuning refines around the grid: gradient descent on ½·3·x² gets lr 0.32 where the grid alone gives 0.1', async () => {
  const gd = findHandDesigned('gd');
  const family = parabolas(3);
  const grid = [0.01, 0.1, 1, 10];
  const steps = 5;
  const plain = await tuneLearningRate(gd, family, { steps, seed: 's', grid, refine: 0 });
  assert.equal(plain.lr, 0.1);
  assert.deepEqual(plain.grid, grid);
  let runs = 0;
  const refined = await tuneLearningRate(gd, family, { steps, seed: 's', grid, onRuns: (n) => (runs += n) });
  // Round 1: 0.1·10^(±1/2) → 0.032 and 0.32 (0.32 wins: 1 − 0.96 = 0.04 per step); round 2:
  // 0.32·10^(±1/4) → 0.18 and 0.57, both worse than 0.32.
  assert.equal(refined.lr, 0.32);
  assert.deepEqual(refined.grid, [0.01, 0.032, 0.1, 0.18, 0.32, 0.57, 1, 10]);
  // Every rate's score is the final f of its runs, as written out above (both instances alike).
  refined.grid.forEach((lr, k) => assert.ok(Math.abs(refined.scores[k] - final(3, lr, steps)) <= 1e-12 * Math.max(1, final(3, lr, steps)) || (!Number.isFinite(final(3, lr, steps)) && refined.scores[k] === Infinity), `lr ${lr}: ${refined.scores[k]}`));
  assert.ok(refined.scores[refined.grid.indexOf(0.32)] < plain.scores[plain.grid.indexOf(0.1)] / 100);
  // The progress count matches what compare.ts plans for: 8 rates × 2 training instances.
  assert.equal(runs, tuningRuns(grid) * family.splitSizes.train);
  assert.equal(runs, 16);
});

test('a grid of one rate is not refined; the best grid rate stays when no neighbour is better', async () => {
  const gd = findHandDesigned('gd');
  const one = await tuneLearningRate(gd, parabolas(3), { steps: 5, seed: 's', grid: [0.1] });
  assert.deepEqual(one.grid, [0.1]);
  assert.equal(tuningRuns([0.1]), 1);
  // a = 1: the optimum lr = 1 is a grid point; 0.32 and 3.2, then 0.56 and 1.8, all end higher.
  const exact = await tuneLearningRate(gd, parabolas(1), { steps: 5, seed: 's', grid: [0.01, 0.1, 1, 10] });
  assert.equal(exact.lr, 1);
  assert.deepEqual(exact.grid, [0.01, 0.1, 0.32, 0.56, 1, 1.8, 3.2, 10]);
});
