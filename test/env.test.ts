import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { stateDim } from '../envs/history-state.ts';
import type { Objective } from '../envs/objective.ts';
import type { Policy } from '../policies/policy.ts';
import { NonFiniteError } from '../src/errors.ts';
import { Rng } from '../src/random.ts';
import { rollout } from '../policies/rollout.ts';

/** f(x) = Σ x_i², starting at a fixed point; blows up to NaN beyond |x_0| > limit. */
function bowl(start: number[], limit = Infinity): Objective {
  return {
    name: 'bowl',
    dim: start.length,
    start: () => Float64Array.from(start),
    evaluate(x) {
      if (Math.abs(x[0]) > limit) return { value: NaN, gradient: new Float64Array(x.length) };
      let value = 0;
      for (const v of x) value += v * v;
      return { value, gradient: x.map((v) => 2 * v) };
    },
  };
}

const halfStep: Policy = { name: 'half', reset() {}, act: (o) => o.gradient.map((g) => -0.25 * g) };

test('state layout: objective changes then gradients, newest first, zero-padded', () => {
  const H = 3;
  const env = new OptimizationEnv({ historyLength: H });
  const objective = bowl([4, -2]);
  let obs = env.reset(objective, new Rng('s'));
  assert.equal(obs.state().length, stateDim(H, 2));
  assert.deepEqual(Array.from(obs.state()), [0, 0, 0, 8, -4, 0, 0, 0, 0]);
  // x halves every step: x_t = (4, −2)/2^t, f_t = 20/4^t.
  const f = [20, 5, 1.25, 0.3125, 0.078125];
  for (let t = 1; t <= 4; t++) obs = env.step(halfStep.act(obs)).observation;
  const state = Array.from(obs.state());
  assert.deepEqual(state.slice(0, H), [f[4] - f[3], f[4] - f[2], f[4] - f[1]]);
  assert.deepEqual(state.slice(H, H + 2), [0.5, -0.25]); // ∇f(x_4) = 2·(0.25, −0.125)
  assert.deepEqual(state.slice(H + 2, H + 4), [1, -0.5]); // ∇f(x_3)
  assert.deepEqual(state.slice(H + 4, H + 6), [2, -1]); // ∇f(x_2)
});

test("a policy's reset sees the objective's parameter groups; its own evaluations count", () => {
  const groups = [{ name: 'W1', offset: 0, size: 2 }, { name: 'b1', offset: 2, size: 1 }];
  const seen: Objective[] = [];
  const probing: Policy = { name: 'probe', reset: (objective) => void seen.push(objective), act: (o) => (seen[0].evaluate(o.x), o.gradient.map((g) => -0.25 * g)) };
  const trajectory = rollout(new OptimizationEnv({ historyLength: 1 }), probing, { ...bowl([1, 1, 1]), groups }, 2, new Rng('g'));
  assert.deepEqual(seen[0].groups, groups);
  assert.equal(trajectory.evaluations, 5); // x_0, two steps, and the policy's two probes
});

test('an observation keeps its own state after the run moves on', () => {
  const env = new OptimizationEnv({ historyLength: 2 });
  const first = env.reset(bowl([1]), new Rng('s'));
  env.step(Float64Array.of(-0.5));
  assert.deepEqual(Array.from(first.state()), [0, 0, 2, 0]);
});

test('rollout records values, states and actions; done at the horizon', () => {
  const env = new OptimizationEnv({ historyLength: 4 });
  const trajectory = rollout(env, halfStep, bowl([1, 1]), 5, new Rng('r'), { recordStates: true });
  assert.deepEqual(Array.from(trajectory.values), [2, 0.5, 0.125, 0.03125, 0.0078125, 0.001953125]);
  assert.equal(trajectory.states!.length, 5);
  assert.equal(trajectory.actions!.length, 5);
  assert.deepEqual(Array.from(trajectory.iterates![1]), [0.5, 0.5]);
  assert.deepEqual(Array.from(trajectory.actions![0]), [-0.5, -0.5]);
  assert.equal(trajectory.divergedAt, null);
  assert.equal(trajectory.evaluations, 6);
  env.reset(bowl([1]), new Rng('r'), 1);
  assert.equal(env.step(Float64Array.of(0)).done, true);
});

test('a step into NaN ends the run as diverged; NaN at x0 is an error', () => {
  const env = new OptimizationEnv();
  const explode: Policy = { name: 'explode', reset() {}, act: (o) => o.x.map(() => 10) };
  const trajectory = rollout(env, explode, bowl([0], 15), 10, new Rng('d'));
  assert.equal(trajectory.divergedAt, 2);
  assert.equal(trajectory.values[1], 100);
  assert.ok(Number.isNaN(trajectory.values[2]));
  assert.throws(() => env.reset(bowl([20], 15), new Rng('d')), NonFiniteError);
  env.reset(bowl([1, 2]), new Rng('d'));
  assert.throws(() => env.step(Float64Array.of(1)), /dimension 2/);
});
