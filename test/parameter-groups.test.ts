// Parameter groups (envs/parameter-groups.ts): what the families declare, how a user's groups are
// checked, and per-coordinate GPS with a teacher per group (docs/design.md §2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFamily } from '../envs/registry.ts';
import { checkedFamily } from '../envs/checked-objective.ts';
import { parameterGroups } from '../envs/parameter-groups.ts';
import type { Objective, ObjectiveFamily } from '../envs/objective.ts';
import { initBackend } from '../src/backend.ts';
import { Rng } from '../src/random.ts';
import { UserError } from '../src/errors.ts';
import { defaultGpsConfig, GuidedPolicySearch, type GpsConfig } from '../src/gps/badmm.ts';
import { trainGps } from '../src/gps/train.ts';
import { loadCheckpoint, statePath } from '../src/gps/checkpoint.ts';
import { scratchDir } from './helpers.ts';

test('the MLP families declare one group per weight matrix and bias vector, where their layout puts them', async () => {
  await initBackend();
  const mnist = createFamily('mnist-mlp', { hidden: '3', trainSize: 1, testSize: 1 }).sample('train', 0);
  assert.deepEqual(parameterGroups(mnist).map((g) => [g.name, g.offset, g.size]), [['W1', 0, 2352], ['b1', 2352, 3], ['W2', 2355, 30], ['b2', 2385, 10]]);
  // The biases start at 0 and the weights do not: the groups sit where start() puts each.
  for (const objective of [mnist, createFamily('mlp-gaussians').sample('train', 0)]) {
    const x = objective.start(new Rng('groups'));
    for (const g of parameterGroups(objective)) {
      const zeros = x.subarray(g.offset, g.offset + g.size).every((v) => v === 0);
      assert.equal(zeros, g.name.startsWith('b'), `${objective.name} ${g.name}`);
    }
    objective.dispose?.();
  }
  // small-net, written by hand: x = [W (hidden×2), b1, U (2×hidden), b2], hidden 2 by default.
  const small = createFamily('small-net').sample('train', 0);
  assert.deepEqual(parameterGroups(small).map((g) => [g.name, g.offset, g.size]), [['W1', 0, 4], ['b1', 4, 2], ['W2', 6, 4], ['b2', 10, 2]]);
  assert.deepEqual(parameterGroups(createFamily('logreg').sample('train', 0)), [{ name: 'all', offset: 0, size: 3 }], 'a family without groups is one');
});

test("a user family's groups must cover its coordinates in order, once: one UserError otherwise", () => {
  const family = (groups: unknown): ObjectiveFamily =>
    checkedFamily({ name: 'mine', dim: 4, splitSizes: { train: 1, test: 1 }, sample: () => ({ name: 'mine/0', dim: 4, groups, start: () => new Float64Array(4), evaluate: () => ({ value: 0, gradient: new Float64Array(4) }) }) }, 'mine');
  assert.deepEqual(family([{ name: 'a', offset: 0, size: 1 }, { name: 'b', offset: 1, size: 3 }]).sample('train', 0).groups?.map((g) => g.size), [1, 3]);
  for (const [groups, message] of [
    [[{ name: 'a', offset: 0, size: 3 }], /cover 3 coordinates, not 4/],
    [[{ name: 'a', offset: 0, size: 2 }, { name: 'b', offset: 3, size: 1 }], /\[1\] \('b'\) starts at 3, not 2/],
    [[], /not a non-empty array/],
    [[{ offset: 0, size: 4 }], /\[0\] has no name/],
  ] as const) {
    assert.throws(() => family(groups).sample('train', 0), (e: Error) => e instanceof UserError && message.test(e.message), String(message));
  }
});

/** ½ Σ h_j x_j² with h = 1 on the first five coordinates and 100 on the last five, declared as two groups. */
const twoCurvatures: ObjectiveFamily = {
  name: 'two-curvatures',
  dim: 10,
  splitSizes: { train: 4, test: 4 },
  sample(split, index): Objective {
    return {
      name: `two-curvatures/${split}/${index}`,
      dim: 10,
      groups: [{ name: 'flat', offset: 0, size: 5 }, { name: 'steep', offset: 5, size: 5 }],
      start: (rng) => rng.normalVector(10, 1),
      evaluate(x) {
        const gradient = x.map((v, j) => (j < 5 ? 1 : 100) * v);
        return { value: 0.5 * x.reduce((s, v, j) => s + gradient[j] * v, 0), gradient };
      },
    };
  },
};

/** −K_t[gradient] over the first half of the horizon: the teacher's step per unit of gradient. */
const gain = (teacher: { K: { get(i: number, j: number): number }[] }) => teacher.K.slice(0, 10).reduce((s, K) => s - K.get(0, 0), 0) / 10;

test('per-coordinate GPS with parameter groups: teachers of groups 100× apart in curvature learn gains far apart, and beat one shared teacher', async () => {
  const config: GpsConfig = { ...defaultGpsConfig(true), metaObjective: 'final', parameterGroups: true, gradientScaling: 'none', initialNoise: 0.2, conditions: 2, validation: 0, horizon: 20, samples: 5, iterations: 4, historyLength: 2, innerIterations: 2, policyIterations: 100, sampledCoordinates: 5, seed: 'groups' };
  const dir = scratchDir('l2o-groups-');
  const identity = { env: 'two-curvatures', envParams: {} };
  await trainGps({ config: { ...config, iterations: 2 }, family: twoCurvatures, identity, out: dir, resume: false });
  await trainGps({ config, family: twoCurvatures, identity, out: dir, resume: true });
  const grouped = loadCheckpoint(dir).conditions;
  assert.equal(grouped.length, 4, 'a teacher per condition and group, stored condition by condition');
  const shared = await GuidedPolicySearch.create({ ...config, parameterGroups: false }, twoCurvatures);
  let sharedCost: number[] = [];
  for (let i = 0; i < config.iterations; i++) sharedCost = (await shared.runIteration()).teacherCost;
  const log = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(log.length, 4);
  for (let m = 0; m < 2; m++) {
    const [flat, steep] = [gain(grouped[2 * m].teacher), gain(grouped[2 * m + 1].teacher)];
    // The steep group stays below its stability limit 2/100; the flat one, stable up to 2, moves far past it.
    assert.ok(steep > 0 && steep < 0.02, `condition ${m}: steep gain ${steep}`);
    assert.ok(flat > 5 * steep, `condition ${m}: flat gain ${flat} vs steep ${steep}`);
    // One gain for both must stay stable on the steep coordinates, which leaves the flat ones slow.
    const one = gain(shared.conditionStates()[m].teacher);
    assert.ok(one < 0.025, `condition ${m}: shared gain ${one}`);
    assert.ok(log[3].teacherCost[2 * m] < 0.8 * sharedCost[m], `condition ${m}: grouped teacher cost ${log[3].teacherCost[2 * m]} vs shared ${sharedCost[m]}`);
  }
  assert.match(readFileSync(statePath(dir), 'utf8'), /"parameterGroups":true/);
});
