// The meta-objective in GPS's full-state cost model (src/gps/problem/step-weights.ts,
// cost-expansion.ts): f's quadratic model at each step, weighted by ω_t. The per-coordinate cost and
// BPTT's unroll are tested with their own code (coordinatewise-gps.test.ts, bptt.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFamily } from '../envs/registry.ts';
import type { Objective } from '../envs/objective.ts';
import { expandCost } from '../src/gps/problem/cost-expansion.ts';
import { stepWeights } from '../src/gps/problem/step-weights.ts';
import { UserError } from '../src/errors.ts';
import { Rng } from '../src/random.ts';

/** ½ zᵀC z + cᵀz + constant for z = [x; 0…]: the model's value at iterate x (the history and action entries zero). */
function modelValue(C: { get(i: number, j: number): number }, c: Float64Array, constant: number, x: Float64Array, dZ: number): number {
  const z = new Float64Array(dZ);
  z.set(x);
  let value = constant;
  for (let i = 0; i < dZ; i++) {
    value += c[i] * z[i];
    for (let j = 0; j < dZ; j++) value += 0.5 * z[i] * C.get(i, j) * z[j];
  }
  return value;
}

test('full-state cost: on a quadratic f the expansion is f itself at every step, times the meta-objective\'s weight ω_t', () => {
  const objective = createFamily('quadratic', { dim: 3 }).sample('train', 0);
  const rng = new Rng('expansion');
  const T = 3;
  const N = 2;
  const iterates = Array.from({ length: N }, () => Array.from({ length: T }, () => rng.normalVector(3)));
  const values = iterates.map((run) => Float64Array.from(run, (x) => objective.evaluate(x).value));
  const gradients = iterates.map((run) => run.map((x) => objective.evaluate(x).gradient));
  const dX = 5;
  const dZ = dX + 3;
  const plain = expandCost(objective, iterates, values, gradients, dX);
  const weights = Float64Array.of(0.5, 2, 0);
  const weighted = expandCost(objective, iterates, values, gradients, dX, weights);
  const probe = rng.normalVector(3);
  const f = objective.evaluate(probe).value;
  for (let t = 0; t < T; t++) {
    const model = modelValue(plain.C[t], plain.c[t], plain.constant![t], probe, dZ);
    assert.ok(Math.abs(model - f) < 1e-4 * f, `t = ${t}: the model gives ${model}, f is ${f}`);
    const scaled = modelValue(weighted.C[t], weighted.c[t], weighted.constant![t], probe, dZ);
    assert.ok(Math.abs(scaled - weights[t] * model) < 1e-9 * f, `t = ${t}: weighted ${scaled} vs ${weights[t]} × ${model}`);
  }
});

test('full-state step weights: 1 each for the sum, the last step alone for the final value, 1/(f̄_t − f*) scaled to mean 1 for the rate', () => {
  const objective: Objective = { name: 'w', dim: 1, minimum: 1, start: () => new Float64Array(1), evaluate: () => ({ value: 0, gradient: new Float64Array(1) }) };
  const values = [Float64Array.of(9, 5, 3, 2), Float64Array.of(7, 5, 1, 2)]; // means 8, 5, 2, 2: gaps 7, 4, 1, 1
  assert.deepEqual(Array.from(stepWeights('sum', 4, objective, values)), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(stepWeights('final', 4, objective, values)), [0, 0, 0, 1]);
  const rate = stepWeights('rate', 4, objective, values);
  const inverse = [1 / 7, 1 / 4, 1, 1];
  const scale = 4 / inverse.reduce((a, b) => a + b, 0);
  rate.forEach((w, t) => assert.ok(Math.abs(w - scale * inverse[t]) < 1e-12, `t = ${t}: ${w} vs ${scale * inverse[t]}`));
  // A start below f* says f* is wrong; one at f* has no log-gap, and its steps weigh as under the sum.
  const below = [Float64Array.of(0.5, 0.4), Float64Array.of(0.5, 0.4)];
  assert.throws(() => stepWeights('rate', 2, objective, below), (err: unknown) => err instanceof UserError && /f\(x0\) at or above the minimum/.test(err.message));
  assert.deepEqual(Array.from(stepWeights('rate', 2, objective, [Float64Array.of(1, 1.5), Float64Array.of(1, 1.2)])), [1, 1]);
});
