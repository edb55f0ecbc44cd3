// The meta-objective in GPS's full-state cost model (src/gps/problem/step-weights.ts,
// cost-expansion.ts): f's quadratic model at each step, weighted by ω_t. The per-coordinate cost and
// BPTT's unroll are tested with their own code (coordinatewise-gps.test.ts, bptt.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFamily } from '../envs/registry.ts';
import type { Objective } from '../envs/objective.ts';
import { expandCost } from '../src/gps/problem/cost-expansion.ts';
import { actionWeights, stepWeights } from '../src/gps/problem/step-weights.ts';
import { UserError } from '../src/errors.ts';
import { Rng } from '../src/random.ts';
import { initBackend } from '../src/backend.ts';

/** ½ zᵀC z + cᵀz + constant for z = [x; 0…]: the model's value at iterate x (the history and action entries zero). */
/** The quadratic model at z = [x; 0; u] (u from dZ − dim(u) on, when given). */
function modelValue(C: { get(i: number, j: number): number }, c: Float64Array, constant: number, x: Float64Array, dZ: number, u?: Float64Array): number {
  const z = new Float64Array(dZ);
  z.set(x);
  if (u) z.set(u, dZ - u.length);
  let value = constant;
  for (let i = 0; i < dZ; i++) {
    value += c[i] * z[i];
    for (let j = 0; j < dZ; j++) value += 0.5 * z[i] * C.get(i, j) * z[j];
  }
  return value;
}

test('full-state cost: on a quadratic f step t\'s model is f(x + u), the iterate its action makes, at every step, times the weight ω', () => {
  const objective = createFamily('quadratic', { dim: 3 }).sample('train', 0);
  const rng = new Rng('expansion');
  const T = 3;
  const N = 2;
  const iterates = Array.from({ length: N }, () => Array.from({ length: T + 1 }, () => rng.normalVector(3)));
  const nextValues = iterates.map((run) => Float64Array.from(run.slice(1), (x) => objective.evaluate(x).value));
  const gradients = iterates.map((run) => run.map((x) => objective.evaluate(x).gradient));
  const dX = 5;
  const dZ = dX + 3;
  const plain = expandCost(objective, iterates, nextValues, gradients, dX);
  const weights = Float64Array.of(0.5, 2, 0);
  const weighted = expandCost(objective, iterates, nextValues, gradients, dX, weights);
  const probe = rng.normalVector(3);
  const step = rng.normalVector(3);
  const f = objective.evaluate(probe.map((x, i) => x + step[i])).value;
  for (let t = 0; t < T; t++) {
    // The action counts: a cost on f(x_t) alone left the last action uncosted.
    const model = modelValue(plain.C[t], plain.c[t], plain.constant![t], probe, dZ, step);
    assert.ok(Math.abs(model - f) < 1e-4 * f, `t = ${t}: the model gives ${model}, f(x + u) is ${f}`);
    const scaled = modelValue(weighted.C[t], weighted.c[t], weighted.constant![t], probe, dZ, step);
    assert.ok(Math.abs(scaled - weights[t] * model) < 1e-9 * f, `t = ${t}: weighted ${scaled} vs ${weights[t]} × ${model}`);
  }
});

test("full-state cost on a non-quadratic f: at a sample's own state and action the model has f and ∇f of the iterate the action made", () => {
  const objective = createFamily('logreg').sample('train', 0);
  const rng = new Rng('expansion-logreg');
  const d = objective.dim;
  const dX = d + 4;
  const dZ = dX + d;
  // One sample of two steps, each a big step of gradient descent: where expanding at x_t instead of
  // x_{t+1} extrapolates the gradient over the whole step.
  const x0 = objective.start(rng);
  const run = [x0];
  for (let t = 0; t < 2; t++) run.push(run[t].map((x, i) => x - 1.8 * objective.evaluate(run[t]).gradient[i]));
  const nextValues = [Float64Array.from(run.slice(1), (x) => objective.evaluate(x).value)];
  const gradients = [run.map((x) => objective.evaluate(x).gradient)];
  const cost = expandCost(objective, [run], nextValues, gradients, dX);
  for (let t = 0; t < 2; t++) {
    const u = run[t + 1].map((x, i) => x - run[t][i]);
    const z = new Float64Array(dZ);
    z.set(run[t]);
    z.set(u, dX);
    const value = modelValue(cost.C[t], cost.c[t], cost.constant![t], run[t], dZ, u);
    assert.ok(Math.abs(value - nextValues[0][t]) < 1e-9, `t = ${t}: model ${value}, f(x_{t+1}) ${nextValues[0][t]}`);
    // ∂/∂u of ½zᵀCz + cᵀz at z: rows dX.. of Cz + c.
    for (let i = 0; i < d; i++) {
      let g = cost.c[t][dX + i];
      for (let j = 0; j < dZ; j++) g += cost.C[t].get(dX + i, j) * z[j];
      assert.ok(Math.abs(g - gradients[0][t + 1][i]) < 1e-6 * Math.max(1, Math.abs(gradients[0][t + 1][i])), `t = ${t}, i = ${i}: model ∂u ${g}, ∇f(x_{t+1}) ${gradients[0][t + 1][i]}`);
    }
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
  // The full-state cost weighs f(x_{t+1}) at step t, from f(x_0..x_T): the final value is f(x_T)'s
  // alone, the sum 1 each, the rate 1/(f̄_{t+1} − f*) scaled to mean 1 (means 8, 5, 2, 2, 1.5).
  const path = [Float64Array.of(9, 5, 3, 2, 1.5), Float64Array.of(7, 5, 1, 2, 1.5)];
  assert.deepEqual(Array.from(actionWeights('final', 4, objective, path)), [0, 0, 0, 1]);
  assert.deepEqual(Array.from(actionWeights('sum', 4, objective, path)), [1, 1, 1, 1]);
  const next = [1 / 4, 1, 1, 2];
  const nextScale = 4 / next.reduce((a, b) => a + b, 0);
  actionWeights('rate', 4, objective, path).forEach((w, t) => assert.ok(Math.abs(w - nextScale * next[t]) < 1e-12, `t = ${t}: ${w} vs ${nextScale * next[t]}`));
});

test('full-state cost Hessian on a minibatch objective: both sides of each difference on one batch, so it is a batch Hessian, not batch noise × 1e6', async () => {
  await initBackend();
  const { hessianByDifferences } = await import('../src/gps/problem/cost-expansion.ts');
  const spec = { hidden: '2', activation: 'softplus' };
  const full = createFamily('mlp-gaussians', spec).sample('train', 0);
  const minibatch = createFamily('mlp-gaussians', { ...spec, batchSize: '10' }).sample('train', 0);
  const x = full.start(new Rng('hessian-start'));
  minibatch.start(new Rng('hessian-start'));
  const exact = hessianByDifferences(full, x, full.evaluate(x).gradient);
  const size = (H: { data: Float64Array }) => Math.max(...Array.from(H.data, Math.abs));
  const g = minibatch.evaluate(x).gradient;
  const once = hessianByDifferences(minibatch, x, g, 'seed-a');
  // A batch of 10 of the 100 points: the same order of size as the whole data's (before: 1.5e6 against 0.83).
  assert.ok(size(once) < 10 * size(exact), `minibatch Hessian entries up to ${size(once)}, the full batch's ${size(exact)}`);
  assert.deepEqual(Array.from(hessianByDifferences(minibatch, x, g, 'seed-a').data), Array.from(once.data), 'the same batch for the same seed');
  full.dispose?.();
  minibatch.dispose?.();
});

