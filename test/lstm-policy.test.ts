// The LSTM policy of per-coordinate GPS (policies/lstm-policy-network.ts; docs/design.md §2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { Rng } from '../src/random.ts';
import { LstmPolicyNetwork } from '../policies/lstm-policy-network.ts';
import { linearizePolicy } from '../src/gps/policy-linearization.ts';
import type { DistillationData } from '../policies/distilled-policy.ts';
import { createFamily } from '../envs/registry.ts';
import { defaultGpsConfig, type GpsConfig } from '../src/gps/badmm.ts';
import { trainGps } from '../src/gps/train.ts';
import { loadGpsPolicy, statePath } from '../src/gps/checkpoint.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { scratchDir } from './helpers.ts';

/** S sequences of T random observations; the target at t is 0.3 × the running sum of feature 0, which needs memory; rows step by step, as GPS lays them out. */
function runningSums(S: number, T: number, rng: Rng): { data: DistillationData; observations: Float64Array[][] } {
  const observations = Array.from({ length: S }, () => Array.from({ length: T }, () => rng.normalVector(3)));
  const sequences = new Int32Array(S * T);
  const steps = new Int32Array(S * T);
  const rows: DistillationData = { observations: [], targets: [], precisionFactors: [], weights: new Float64Array(S * T), sequences, steps };
  let r = 0;
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < S; s++, r++) {
      let sum = 0;
      for (let u = 0; u <= t; u++) sum += observations[s][u][0];
      rows.observations.push(observations[s][t]);
      rows.targets.push(Float64Array.of(0.3 * sum));
      rows.precisionFactors.push(Float64Array.of(s % 2 ? 2 : 1)); // P = U²: 4 or 1
      rows.weights[r] = 1 + (t % 3);
      sequences[r] = s;
      steps[r] = t;
    }
  }
  return { data: rows, observations };
}

test('LSTM policy: distillation lowers the precision-weighted loss on a target that needs memory; a run carries the state as the sequences do', async () => {
  await initBackend();
  const tensors = tf.memory().numTensors;
  const { data, observations } = runningSums(24, 8, new Rng('sums'));
  const net = new LstmPolicyNetwork(3, 16, 1, new Rng('lstm'));
  // The loss by hand: mean over rows of w·U²·(μ − target)², μ from the sequences' means.
  const means = net.sequenceMeans(observations);
  let byHand = 0;
  data.observations.forEach((_, r) => (byHand += data.weights[r] * data.precisionFactors[r][0] ** 2 * (means[data.sequences![r]][data.steps![r]][0] - data.targets[r][0]) ** 2));
  const before = net.loss(data);
  assert.ok(Math.abs(before - byHand / data.observations.length) < 1e-9 * before, `${before} vs ${byHand / data.observations.length}`);
  const after = net.fit(data, { iterations: 80, batchSize: 8, learningRate: 2e-2, rng: new Rng('fit') });
  assert.ok(after < 0.1 * before, `weighted loss ${before} → ${after}`);
  // A run over 3 "coordinates" with rows 5 wide (the policy reads the first 3) steps as the sequences' means.
  const stepper = net.stepper();
  const fitted = net.sequenceMeans(observations.slice(0, 3));
  for (let t = 0; t < 8; t++) {
    const rows = new Float64Array(15);
    for (let j = 0; j < 3; j++) rows.set(observations[j][t], 5 * j);
    const u = stepper.step(rows, 3, 5);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(u[j] - fitted[j][t][0]) < 1e-6, `t = ${t}, coordinate ${j}`);
  }
  stepper.dispose();
  // The JSON holds everything: the same means after a round trip.
  const copy = LstmPolicyNetwork.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
  assert.deepEqual(copy.sequenceMeans(observations.slice(0, 2)), net.sequenceMeans(observations.slice(0, 2)));
  net.disposeTensors();
  copy.disposeTensors();
  assert.equal(tf.memory().numTensors, tensors, 'no tensor outlives the calls');
});

test("LSTM policy: GPS's linearization around the samples matches the finite-difference Jacobian of the mean step", async () => {
  await initBackend();
  const tensors = tf.memory().numTensors;
  const net = new LstmPolicyNetwork(3, 8, 1, new Rng('jacobian'));
  // Larger output weights than at initialization, so the Jacobian is not near 0. The samples spread
  // 0.01 around one sequence (the noise at earlier steps reaches μ_t through the state: 4000 samples); the mixture behind the prior has a component per step, as GPS's
  // clusters of distinct steps do, so the prior does not pull K toward the slope across steps.
  net.wo.forEach((v, i) => (net.wo[i] = 10 * v));
  const rng = new Rng('samples');
  const T = 3;
  const base = Array.from({ length: T }, () => rng.normalVector(3));
  const states = Array.from({ length: 4000 }, () => base.map((b) => b.map((v) => v + 0.01 * rng.normal())));
  const linear = linearizePolicy(states, net.sequenceMeans(states), Float64Array.of(1e-4), new Rng('gmm'), { clusters: T, ridge: 1e-8 });
  for (let t = 0; t < T; t++) {
    const jacobian = [0, 1, 2].map((i) => {
      const shifted = (e: number) => base.map((b, u) => (u === t ? b.map((v, k) => (k === i ? v + e : v)) : b));
      const [plus, minus] = net.sequenceMeans([shifted(1e-3), shifted(-1e-3)]);
      return (plus[t][0] - minus[t][0]) / 2e-3;
    });
    const K = [0, 1, 2].map((i) => linear.K[t].get(0, i));
    const scale = Math.max(...jacobian.map(Math.abs));
    assert.ok(scale > 1e-3, `t = ${t}: the mean depends on the input (${jacobian})`);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(K[i] - jacobian[i]) < 0.05 * scale, `t = ${t}, input ${i}: K ${K[i]} vs ∂μ/∂o ${jacobian[i]}`);
  }
  net.disposeTensors();
  assert.equal(tf.memory().numTensors, tensors, 'the 4000-sequence means and the 18 finite-difference passes leave no tensor');
});

test('per-coordinate GPS with --policy lstm: trains, resumes, and the loaded optimizer optimizes held-out quadratics', async () => {
  await initBackend();
  const family = createFamily('quadratic', { trainSize: 4, testSize: 10 });
  const config: GpsConfig = { ...defaultGpsConfig(true), metaObjective: 'final', policy: 'lstm', lstmCells: 8, policyBatch: 8, policyIterations: 25, initialNoise: 0.2, conditions: 2, validation: 2, validationSteps: 30, horizon: 12, samples: 3, iterations: 2, historyLength: 3, innerIterations: 2, sampledCoordinates: 5, seed: 'lstm-gps' };
  const dir = scratchDir('l2o-lstm-gps-');
  const identity = { env: 'quadratic', envParams: { trainSize: '4', testSize: '10' } };
  const tensors = tf.memory().numTensors;
  await trainGps({ config: { ...config, iterations: 1 }, family, identity, out: dir, resume: false });
  await trainGps({ config, family, identity, out: dir, resume: true });
  assert.equal(tf.memory().numTensors, tensors, 'training leaves no tensors behind');
  const state = JSON.parse(readFileSync(statePath(dir), 'utf8'));
  assert.equal(state.network.kind, 'lstm');
  assert.equal(state.network.hidden, 8);
  const { policy } = loadGpsPolicy(dir);
  const [gps] = (await compareOptimizers([{ name: 'gps', policy, lr: null }], { family, split: 'test', steps: 30, problems: 10, seed: '3', backend: 'test' })).results;
  assert.equal(gps.diverged, 0);
  assert.ok(gps.meanFinal < 0.5 * gps.curve[0], `held-out quadratics: ${gps.curve[0]} → ${gps.meanFinal}`);
});
