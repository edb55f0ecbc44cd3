import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MlpDistillationKernel } from '../src/kernels/mlp-distillation.ts';
import { GRADIENT_HELPER_TASK, SplitGradient } from '../src/kernels/split-gradient.ts';
import { createPool } from '../src/parallel/worker-pool.ts';
import { PolicyNetwork } from '../policies/policy-network.ts';
import { Rng } from '../src/random.ts';

const shape = { inputs: 5, hidden: 7, outputs: 2 };

function rows(rng: Rng, n: number) {
  const observations = Float64Array.from({ length: n * shape.inputs }, () => rng.normal());
  const targets = Float64Array.from({ length: n * shape.outputs }, () => rng.normal());
  const precisionFactors = Float64Array.from({ length: n * 4 }, () => rng.normal());
  const weights = Float64Array.from({ length: n }, () => rng.uniformIn(0.2, 2));
  return { observations, data: { targets: [], precisionFactors: [], weights, contiguous: { targets, precisionFactors } } };
}

const parameters = (rng: Rng) => [rng.normalVector(shape.inputs * shape.hidden, 0.5), rng.normalVector(shape.hidden), rng.normalVector(shape.hidden * shape.outputs, 0.5)];
const zeros = () => [new Float64Array(shape.inputs * shape.hidden), new Float64Array(shape.hidden), new Float64Array(shape.hidden * shape.outputs)];

test('the split gradient is the minibatch gradient, as the halves weighted by their rows', () => {
  const rng = new Rng('split');
  const { observations, data } = rows(rng, 40);
  const kernel = new MlpDistillationKernel(shape, observations, data, 16);
  const [W1, b1, W2] = parameters(rng);
  const split = new SplitGradient(kernel, shape, 13, 16);
  // An odd minibatch: halves of 7 and 6 rows.
  const indices = Int32Array.from({ length: 13 }, () => rng.int(40));
  const whole = zeros();
  const halves = zeros();
  const loss = kernel.lossAndGradient(W1, b1, W2, indices, whole);
  let ran = 0;
  const splitLoss = split.lossAndGradient(W1, b1, W2, indices, halves, () => ran++);
  assert.equal(ran, 1, 'the meanwhile callback runs once per step');
  assert.ok(Math.abs(splitLoss - loss) < 1e-12 * Math.abs(loss), `loss ${splitLoss} vs ${loss}`);
  whole.forEach((g, p) => g.forEach((v, i) => assert.ok(Math.abs(halves[p][i] - v) < 1e-12 * Math.max(1, Math.abs(v)), `parameter ${p}[${i}]: ${halves[p][i]} vs ${v}`)));
  // The full-data loss in chunks of 16 rows (16, 16, 8): the mean over all 40 rows.
  const all = new MlpDistillationKernel(shape, observations, data, 40);
  const full = all.lossAndGradient(W1, b1, W2, Int32Array.from({ length: 40 }, (_, i) => i), null);
  const chunked = split.fullLoss(W1, b1, W2);
  assert.ok(Math.abs(chunked - full) < 1e-12 * full, `chunked ${chunked} vs one pass ${full}`);
});

test('a fit with a helper thread computing half of each step gives the same weights to the bit as one without', async () => {
  const pool = createPool(2);
  try {
    await pool.started!();
    const rng = new Rng('helper');
    const n = 3000;
    const observations = Array.from({ length: n }, () => rng.normalVector(6));
    const data = {
      observations,
      targets: observations.map((o) => Float64Array.of(o[0] - 0.5 * o[1], o[2] * o[3])),
      precisionFactors: observations.map(() => Float64Array.of(1, 0, 0.3, 2)),
      weights: new Float64Array(n).fill(1),
    };
    const counts: { halves: number; chunks: number }[] = [];
    const fit = (helper: boolean) => {
      const net = new PolicyNetwork(6, 12, 2, new Rng('init'));
      const loss = net.fit(data, {
        iterations: 3000,
        batchSize: 64,
        learningRate: 0.01,
        rng: new Rng('fit'),
        gradientHelper: helper ? (payload) => pool.runOnWorker!<{ halves: number; chunks: number }>(GRADIENT_HELPER_TASK, payload).then((count) => counts.push(count)) : undefined,
      });
      return { loss, json: JSON.stringify(net.toJSON()) };
    };
    const alone = fit(false);
    // Twice with a helper: the second finds the rows it kept from the first (the same kernel, reloaded).
    const helped = [fit(true), fit(true)];
    // The helper's item ends once the fit stops it; its counts arrive with the reply.
    for (let wait = 0; counts.length < 2 && wait < 500; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const run of helped) {
      assert.equal(run.json, alone.json);
      assert.equal(run.loss, alone.loss);
    }
    // Both helpers replied (an empty list would pass `every`), and each took second halves. Not a larger
    // share: alone a helper takes 1,500-3,000 of the 3,000, but with another process on both cores it
    // shares one with the fit's thread and takes 8-15.
    assert.equal(counts.length, 2, 'both fits\' helpers replied');
    assert.ok(counts.every((count) => count.halves > 0), `the helper computed ${counts.map((c) => c.halves).join(' and ')} of 3000 second halves`);
    assert.ok(alone.loss < 0.5, `the fit learned (loss ${alone.loss})`);
  } finally {
    await pool.close();
  }
});
