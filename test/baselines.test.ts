import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFamily } from '../envs/registry.ts';
import { HAND_DESIGNED } from '../policies/hand-designed.ts';
import { strongWolfeSearch } from '../policies/line-search.ts';
import { runProblems } from '../policies/run-problems.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { tuneLearningRate } from '../src/evaluate/tuner.ts';
import type { Objective } from '../envs/objective.ts';
import { Rng } from '../src/random.ts';

// Learning rates safely below 2/L for these instances: every method must make steady progress.
const CONVEX_LR: Record<string, number> = { gd: 0.005, momentum: 0.002, nag: 0.002, adagrad: 0.3, rmsprop: 0.01, adam: 0.05, lbfgs: 0.01, cg: 0.01 };

for (const optimizer of HAND_DESIGNED) {
  test(`${optimizer.name} decreases a convex quadratic`, () => {
    const family = createFamily('quadratic');
    const runs = runProblems(optimizer.create(CONVEX_LR[optimizer.name]), { family, split: 'test', problems: 5, steps: 200, seed: 'convex' });
    for (const run of runs) {
      assert.equal(run.divergedAt, null);
      const initial = run.values[0];
      const final = run.values[200];
      assert.ok(final < 0.5 * initial, `${optimizer.name} on ${run.objective}: ${initial} → ${final}`);
    }
  });
}

// The quadratic test above passes for any rule that descends; this pins each update to its textbook form.
test('momentum, nag, adagrad, rmsprop and adam take the textbook steps on a fixed gradient sequence', () => {
  const lr = 0.1;
  const gradients = [Float64Array.of(2, -0.3), Float64Array.of(-1, 0), Float64Array.of(0.5, 4), Float64Array.of(0.5, -2)];
  const objective: Objective = { name: 'fixed', dim: 2, start: () => new Float64Array(2), evaluate: () => { throw new Error('unused'); } };
  // Reference rules per coordinate, written out independently (NAG in Sutskever's velocity form).
  const reference: Record<string, () => (g: number, t: number) => number> = {
    momentum: () => { let v = 0; return (g) => (v = 0.9 * v - lr * g); },
    nag: () => { let v = 0; return (g) => { v = 0.9 * v - lr * g; return 0.9 * v - lr * g; }; },
    adagrad: () => { let s = 0; return (g) => { s += g * g; return (-lr * g) / (Math.sqrt(s) + 1e-8); }; },
    rmsprop: () => { let r = 0; return (g) => { r = 0.9 * r + 0.1 * g * g; return (-lr * g) / (Math.sqrt(r) + 1e-8); }; },
    adam: () => {
      let m = 0;
      let v = 0;
      return (g, t) => {
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        return (-lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      };
    },
  };
  for (const [name, make] of Object.entries(reference)) {
    const policy = HAND_DESIGNED.find((o) => o.name === name)!.create(lr);
    policy.reset(objective, new Rng(name));
    const rules = [make(), make()];
    gradients.forEach((gradient, k) => {
      const step = policy.act({ t: k, x: new Float64Array(2), value: 0, gradient, state: () => new Float64Array(0) });
      rules.forEach((rule, i) => {
        const expected = rule(gradient[i], k + 1);
        assert.ok(Math.abs(step[i] - expected) <= 1e-12 * Math.abs(expected), `${name} step ${k + 1}, coordinate ${i}: ${step[i]} vs ${expected}`);
      });
    });
  }
});

test('quasi-Newton methods solve a 10-d quadratic to high precision', () => {
  const family = createFamily('quadratic');
  for (const name of ['lbfgs', 'cg']) {
    const optimizer = HAND_DESIGNED.find((o) => o.name === name)!;
    const [run] = runProblems(optimizer.create(0.01), { family, split: 'test', problems: 1, steps: 100, seed: 'qn' });
    assert.ok(run.values[100] < 1e-8 * run.values[0], `${name}: ${run.values[0]} → ${run.values[100]}`);
  }
});

test('strong-Wolfe search returns a step satisfying both conditions', () => {
  // f(x) = (x − 3)⁴ + x² along d = +1 from x = 0.
  const objective: Objective = {
    name: 'quartic',
    dim: 1,
    start: () => new Float64Array(1),
    evaluate: (x) => ({ value: (x[0] - 3) ** 4 + x[0] ** 2, gradient: Float64Array.of(4 * (x[0] - 3) ** 3 + 2 * x[0]) }),
  };
  const x = new Float64Array(1);
  const { value: f0, gradient: g0 } = objective.evaluate(x);
  for (const initial of [1e-3, 1, 50]) {
    const { alpha, wolfe } = strongWolfeSearch(objective, x, f0, g0, Float64Array.of(1), initial, { c1: 1e-4, c2: 0.1 });
    assert.ok(wolfe, `initial step ${initial}`);
    const { value, gradient } = objective.evaluate(Float64Array.of(alpha));
    assert.ok(value <= f0 + 1e-4 * alpha * g0[0]);
    assert.ok(Math.abs(gradient[0]) <= 0.1 * Math.abs(g0[0]));
  }
});

test('tuner picks the grid point with the lowest mean final training objective', async () => {
  const family = createFamily('logreg');
  const gd = HAND_DESIGNED.find((o) => o.name === 'gd')!;
  const result = await tuneLearningRate(gd, family, { steps: 30, seed: 't', grid: [0.001, 0.1, 1, 100], refine: 0, trainProblems: 10 });
  assert.equal(result.scores.length, 4);
  assert.equal(result.lr, result.grid[result.scores.indexOf(Math.min(...result.scores))]);
  assert.ok(result.scores[0] > result.scores[2], 'lr 0.001 is far too small for 30 steps');
});

test('line-search methods beat gradient descent on held-out logistic regression', async () => {
  const report = await compareOptimizers([{ name: 'gd' }, { name: 'lbfgs' }, { name: 'cg' }], {
    family: createFamily('logreg', { trainSize: '30' }),
    split: 'test',
    steps: 100,
    problems: 40,
    seed: '1',
    backend: 'none',
  });
  const [gd, lbfgs, cg] = report.results;
  assert.ok(lbfgs.meanFinal < gd.meanFinal && cg.meanFinal < gd.meanFinal, JSON.stringify(report.results.map((r) => [r.optimizer, r.meanFinal])));
  for (const row of report.results) {
    assert.equal(row.curve.length, 101);
    assert.equal(row.diverged, 0);
    // A share of the 40 instances exactly, never 1.0000000000000002 from adding up 1/40s.
    assert.equal(row.bestFraction, Math.round(row.bestFraction * 40) / 40);
  }
  assert.ok(lbfgs.bestFraction > 0.5);
  // Each row is measured against the lowest mean instance by instance; gd's gap is no luck of the draw.
  const lowest = report.results.reduce((a, b) => (b.meanFinal < a.meanFinal ? b : a));
  assert.equal(lowest.versusBest, undefined);
  assert.equal(gd.versusBest!.optimizer, lowest.optimizer);
  assert.ok(Math.abs(gd.versusBest!.mean - (gd.meanFinal - lowest.meanFinal)) < 1e-12);
  assert.ok(gd.versusBest!.low > 0 && gd.versusBest!.low <= gd.versusBest!.mean && gd.versusBest!.mean <= gd.versusBest!.high);
});

test('a start where f is not finite counts as diverged, with a warning, and the comparison goes on', async () => {
  // sqrt(x) is NaN for x < 0, and x0 ~ N(0, 1): some instances start outside the domain.
  const family = createFamily('expr', { expr: 'sqrt(x) + x^2' });
  const messages: string[] = [];
  const report = await compareOptimizers([{ name: 'gd' }, { name: 'lbfgs' }], { family, split: 'test', steps: 50, problems: 10, seed: '1', backend: 'test', onProgress: (m) => messages.push(m) });
  const warning = messages.find((m) => m.startsWith('warning: f is not finite at the starting point of'));
  assert.ok(warning, `a warning among ${JSON.stringify(messages)}`);
  const bad = Number(/of (\d+) instance/.exec(warning)![1]);
  assert.ok(bad > 0 && bad < 10);
  for (const row of report.results) {
    assert.ok(row.diverged >= bad, `${row.optimizer}: the bad starts count as diverged`);
    assert.ok(Number.isFinite(row.meanFinal), `${row.optimizer}: the mean is over the instances that could run`);
  }
});
