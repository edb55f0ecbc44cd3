import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlpObjective, type MlpSpec } from '../envs/mlp-classifier.ts';
import { createFamily } from '../envs/registry.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { rollout } from '../policies/rollout.ts';
import { findHandDesigned } from '../policies/hand-designed.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { tuneLearningRate } from '../src/evaluate/tuner.ts';
import { validationScore } from '../src/gps/validation.ts';
import { resultTable } from '../src/evaluate/format.ts';
import { initBackend } from '../src/backend.ts';
import { Rng } from '../src/random.ts';

/** Softmax cross-entropy of a one-hidden-layer ReLU net, averaged over every example, plus (λ/2)Σ‖W‖², in float64. */
function lossByHand(x: Float64Array, inputs: number[][], labels: number[], sizes: [number, number, number], lambda: number): number {
  const [n, h, c] = sizes;
  const W1 = (i: number, j: number) => x[i * h + j];
  const b1 = (j: number) => x[n * h + j];
  const o2 = n * h + h;
  const W2 = (j: number, k: number) => x[o2 + j * c + k];
  const b2 = (k: number) => x[o2 + h * c + k];
  let total = 0;
  inputs.forEach((input, e) => {
    const hidden = Array.from({ length: h }, (_, j) => Math.max(0, b1(j) + input.reduce((s, v, i) => s + v * W1(i, j), 0)));
    const z = Array.from({ length: c }, (_, k) => b2(k) + hidden.reduce((s, v, j) => s + v * W2(j, k), 0));
    const top = Math.max(...z);
    total += top + Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0)) - z[labels[e]];
  });
  let squares = 0;
  for (let i = 0; i < n * h; i++) squares += x[i] ** 2;
  for (let i = 0; i < h * c; i++) squares += x[o2 + i] ** 2;
  return total / inputs.length + 0.5 * lambda * squares;
}

test('fullValue is the loss on every example, computed by hand, and leaves the minibatch stream as it was; so does resample, which draws from its own rng', async () => {
  await initBackend();
  const inputs = [[0.5, -1, 2], [1, 0.3, -0.7], [-1.2, 0.8, 0.1], [0, 0, 1], [2, -0.5, 0.4], [-0.3, -0.9, -1.1], [0.7, 1.4, 0.2]];
  const labels = [0, 2, 1, 1, 0, 2, 1];
  const data = { inputs: Float32Array.from(inputs.flat()), labels: Int32Array.from(labels), inputDim: 3, classes: 3 };
  const spec: MlpSpec = { hidden: [4], activation: 'relu', batchSize: 2, lambda: 0.1, initScale: 1 };
  const objective = mlpObjective('by-hand', data, spec);
  const twin = mlpObjective('twin', data, spec);
  try {
    const x = objective.start(new Rng('full-data'));
    twin.start(new Rng('full-data'));
    // Biases start at 0; move them so every term of the loss is exercised.
    for (let i = 12; i < 16; i++) x[i] = 0.1 * (i - 13);
    for (let i = x.length - 3; i < x.length; i++) x[i] = -0.2 * (i - x.length + 2);
    const expected = lossByHand(x, inputs.map((row) => row.map((v) => Math.fround(v))), labels, [3, 4, 3], 0.1);
    const full = objective.fullValue!(x);
    assert.ok(Math.abs(full - expected) <= 1e-5 * Math.abs(expected), `${full} vs ${expected}`);
    assert.equal(objective.fullValue!(x), full, 'the same every call');
    // A minibatch of 2 is not the full-data loss; calls to fullValue in between do not move the stream.
    const batches = [objective.evaluate(x).value, (objective.fullValue!(x), objective.evaluate(x).value), objective.evaluate(x).value];
    assert.deepEqual(batches, [twin.evaluate(x).value, twin.evaluate(x).value, twin.evaluate(x).value]);
    assert.ok(batches.some((v) => Math.abs(v - full) > 1e-3));
    // resample draws its minibatch from the rng it is given: the same draws give the same batch, and
    // the run's stream does not move (the twin, never resampled, stays in step).
    const second = objective.resample!(x, new Rng('probe'));
    assert.deepEqual(objective.resample!(x, new Rng('probe')), second);
    assert.notDeepEqual(objective.resample!(x, new Rng('other probe')).gradient, second.gradient);
    assert.equal(objective.evaluate(x).value, twin.evaluate(x).value);
    // A full batch has nothing to resample.
    const whole = mlpObjective('whole', data, { ...spec, batchSize: 0 });
    assert.equal(whole.resample, undefined);
    whole.dispose?.();
  } finally {
    objective.dispose?.();
    twin.dispose?.();
  }
});

test('compareOptimizers scores each run by fullValue at its last iterate, charges a run that broke down, and adds nothing for objectives without it', async () => {
  await initBackend();
  const params = { hidden: '4', batchSize: 3, clusters: 2, pointsPerCluster: 4, trainSize: 1, testSize: 3 };
  const family = createFamily('mlp-gaussians', params);
  const steps = 6;
  const options = { family, split: 'test' as const, steps, problems: 3, seed: 's', backend: 'test' };
  const report = await compareOptimizers(
    [
      { name: 'gd', policy: findHandDesigned('gd').create(0.5), lr: 0.5 },
      { name: 'wild', policy: findHandDesigned('gd').create(1e12), lr: 1e12 },
    ],
    options,
  );
  // By hand: the same runs (instance i from the same rng), fullValue at x_0 and at the last iterate reached.
  const byHand = (lr: number) =>
    [0, 1, 2].map((i) => {
      const objective = family.sample('test', i);
      let last = new Float64Array(0);
      let start = NaN;
      const run = rollout(new OptimizationEnv({}), findHandDesigned('gd').create(lr), objective, steps, new Rng('run-s').fork(`test/${i}`), {
        onIterate: (t, x) => {
          last = Float64Array.from(x);
          if (t === 0) start = objective.fullValue!(x);
        },
      });
      const end = objective.fullValue!(last);
      objective.dispose?.();
      return run.divergedAt === null ? end : Math.max(start, Number.isFinite(end) ? end : start);
    });
  const [gd, wild] = report.results;
  const gdFinals = byHand(0.5);
  assert.ok(Math.abs(gd.fullData!.meanFinal - gdFinals.reduce((a, b) => a + b) / 3) < 1e-12);
  assert.ok(gd.fullData!.low <= gd.fullData!.meanFinal && gd.fullData!.meanFinal <= gd.fullData!.high);
  assert.equal(wild.diverged, 3, 'lr 1e12 breaks every run down');
  assert.equal(wild.fullData!.diverged, 3);
  assert.ok(Math.abs(wild.fullData!.meanFinal - byHand(1e12).reduce((a, b) => a + b) / 3) < 1e-12);
  assert.equal(wild.fullData!.versusBest!.optimizer, 'gd');
  assert.equal(gd.fullData!.versusBest, undefined);
  assert.deepEqual(resultTable(report.results).columns.slice(-3), ['full-data mean final [95% CI]', 'full-data diverged', "full-data final − gd's, 95% CI"]);
  // The minibatch rows are what they were without full data: fullValue draws no minibatch.
  const plain = await compareOptimizers([{ name: 'gd', policy: findHandDesigned('gd').create(0.5), lr: 0.5 }], options);
  assert.deepEqual(plain.results[0].curve, gd.curve);
  // A family without fullValue: no field, and the table has its usual columns.
  const quadratic = await compareOptimizers([{ name: 'gd', policy: findHandDesigned('gd').create(0.1), lr: 0.1 }], { ...options, family: createFamily('quadratic', {}) });
  assert.equal(quadratic.results[0].fullData, undefined);
  assert.deepEqual(resultTable(quadratic.results).columns, ['optimizer', 'lr', 'mean final', 'median final', 'best on', 'diverged']);
});

test('learning rates are tuned, and GPS keeps its iteration, by the full-data loss where the family has one', async () => {
  await initBackend();
  // Minibatches of 1 from 8 points: the last minibatch's loss is far from the full-data loss.
  const family = createFamily('mlp-gaussians', { hidden: '4', batchSize: 1, clusters: 2, pointsPerCluster: 4, trainSize: 4, testSize: 1 });
  const steps = 5;
  const fullFinal = (lr: number, seed: string, instances: number[]) =>
    instances.map((i) => {
      const objective = family.sample('train', i);
      let last = new Float64Array(0);
      rollout(new OptimizationEnv({}), findHandDesigned('gd').create(lr), objective, steps, new Rng(`run-${seed}`).fork(`train/${i}`), { onIterate: (_t, x) => (last = Float64Array.from(x)) });
      const value = objective.fullValue!(last);
      objective.dispose?.();
      return value;
    });
  const meanOf = (values: number[]) => values.reduce((a, b) => a + b) / values.length;
  const grid = [0.01, 0.1, 1];
  const tuning = await tuneLearningRate(findHandDesigned('gd'), family, { steps, seed: 't', grid });
  // Every rate tried, the grid's and the refinement's, is scored by the full-data loss.
  assert.ok(grid.every((lr) => tuning.grid.includes(lr)) && tuning.grid.length > grid.length);
  tuning.grid.forEach((lr, k) => assert.ok(Math.abs(tuning.scores[k] - meanOf(fullFinal(lr, 't', [0, 1, 2, 3]))) < 1e-12, `lr ${lr}`));
  // GPS's held-out score: the last `validation` training instances, the same measure.
  const score = validationScore(findHandDesigned('gd').create(0.1), family, { conditions: 2, validation: 2, validationSteps: steps, historyLength: 1, seed: 'v' });
  assert.ok(Math.abs(score - meanOf(fullFinal(0.1, 'gps-validation-v', [2, 3]))) < 1e-12);
  // A family without fullValue keeps the minibatch objective.
  const quadratic = createFamily('quadratic', { trainSize: 2 });
  const plain = await tuneLearningRate(findHandDesigned('gd'), quadratic, { steps, seed: 't', grid: [0.1] });
  const run = (i: number) => rollout(new OptimizationEnv({}), findHandDesigned('gd').create(0.1), quadratic.sample('train', i), steps, new Rng('run-t').fork(`train/${i}`)).values[steps];
  assert.ok(Math.abs(plain.scores[0] - (run(0) + run(1)) / 2) < 1e-12);
});
