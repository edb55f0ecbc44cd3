// Full-state GPS's `history-adam` features (envs/full-state-features.ts): Φ as before, then Adam's
// m̂/√v̂ per coordinate, and the first teacher that is Adam in them (initial-teacher.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FullStateView, fullStateDim, fullStatePadding } from '../envs/full-state-features.ts';
import { HistoryScaler } from '../envs/history-scaling.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { createFamily } from '../envs/registry.ts';
import { adamTeacher, initialTeacher } from '../src/gps/problem/initial-teacher.ts';
import { TeacherPolicy } from '../src/gps/problem/teacher-state.ts';
import { Adam } from '../policies/first-order.ts';
import { rollout } from '../policies/rollout.ts';
import { Rng } from '../src/random.ts';

/** Φ for H = 2, d = 2: [f_t − f_{t−1}, f_t − f_{t−2}, ∇f(x_t), ∇f(x_{t−1})]. */
const PHIS = [Float64Array.of(0, 0, 1, -2, 0, 0), Float64Array.of(-0.5, 0, 3, 0, 1, -2), Float64Array.of(-0.1, -0.6, -1, 0.5, 3, 0)];
// m̂/√v̂ of the gradients (1, −2), (3, 0), (−1, 0.5) with β = (0.9, 0.999), worked out by hand:
// step 2, coordinate 0: m = 0.09 + 0.3 = 0.39, m̂ = 0.39 / 0.19; v = 0.000999 + 0.009, v̂ = v / 0.001999.
const RATIOS = [
  [1, -1],
  [0.917781118980298, -0.6700582541365386],
  [0.4836918481147043, -0.34738146220388616],
];

test('history-adam in the full state: Φ (AdaGrad-scaled as before), then each coordinate’s m̂/√v̂ of its raw gradient, never padding', () => {
  const view = new FullStateView('history-adam', 'adagrad', 2, 2);
  const scaler = new HistoryScaler(2, 2);
  assert.equal(fullStateDim('history-adam', 2, 2), 8);
  assert.equal(fullStateDim('history', 2, 2), 6);
  PHIS.forEach((phi, t) => {
    const out = view.next(phi);
    assert.equal(out.length, 8);
    assert.deepEqual(Array.from(out.subarray(0, 6)), Array.from(scaler.next(phi)), `step ${t}: the history part is the AdaGrad-scaled Φ`);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(out[6 + i] - RATIOS[t][i]) < 1e-12, `step ${t}, coordinate ${i}: ${out[6 + i]} against ${RATIOS[t][i]}`);
  });
  // At t = 0 the changes of f (indices 0, 1) and the lag-1 gradient (4, 5) are padding; the ratios (6, 7) are not.
  assert.deepEqual([0, 1, 2, 4, 6, 7].map((i) => fullStatePadding(i, 0, 2, 2)), [true, true, false, true, false, false]);
  assert.deepEqual([0, 1, 4].map((i) => fullStatePadding(i, 1, 2, 2)), [false, true, false]);
});

test('the Adam teacher on the history-adam state runs as Adam itself, step for step', () => {
  // Training instance 18: the one of the first 20 where tuned Adam beats every momentum setting by Σ_t f at T = 30 (on the others AdaGrad-momentum wins).
  const objective = createFamily('logreg').sample('train', 18);
  const options = { historyLength: 5, gradientScaling: 'adagrad' as const, fullStateFeatures: 'history-adam' as const };
  const dO = fullStateDim('history-adam', 5, objective.dim);
  const run = (policy: TeacherPolicy | Adam) => rollout(new OptimizationEnv({ historyLength: 5 }), policy, objective, 30, new Rng('adam-teacher')).values;
  const teacher = run(new TeacherPolicy(adamTeacher(objective.dim, dO, 5, 30, 0.3, 0), null, options));
  const adam = run(new Adam(0.3));
  // Adam divides by √v̂ + 1e-8, the ratio by √v̂ alone: equal to about 1e-8 relative.
  teacher.forEach((f, t) => assert.ok(Math.abs(f - adam[t]) < 1e-7 * Math.abs(adam[t]), `step ${t}: ${f} against Adam's ${adam[t]}`));
  assert.ok(adam[30] < 0.9 * adam[0], 'and Adam makes progress here, so the match is not two runs standing still');
  // The first-teacher search tries Adam beside momentum with these features and not without them.
  const chosen = (fullStateFeatures: 'history' | 'history-adam') => initialTeacher(objective, new Rng('start'), { ...options, fullStateFeatures, horizon: 30, noise: 0 });
  const gainOnRatio = (teacher: ReturnType<typeof chosen>) => teacher.K[0].get(0, objective.dim + fullStateDim('history', 5, objective.dim));
  assert.ok(gainOnRatio(chosen('history-adam')) < 0, 'on this objective the search picks Adam: a negative gain on coordinate 0’s ratio');
  assert.equal(chosen('history').K[0].cols, objective.dim + fullStateDim('history', 5, objective.dim), 'without the ratio the teacher acts on [x; Φ]');
});
