// Drop-in learned optimizers (issue 22, point 2): loadOptimizer(dir) gives a tf.Optimizer for a BPTT
// run and for a per-coordinate GPS run, which model.fit can train any tfjs model with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { createFamily } from '../envs/registry.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import type { Objective } from '../envs/objective.ts';
import { defaultGpsConfig, type GpsConfig } from '../src/gps/badmm.ts';
import { trainGps } from '../src/gps/train.ts';
import { loadGpsPolicy, savePolicy } from '../src/gps/checkpoint.ts';
import { L2OGpsOptimizer } from '../src/gps/learned-optimizer.ts';
import { DEFAULT_BPTT_CONFIG, type BpttConfig } from '../src/supervised/bptt.ts';
import { trainBptt } from '../src/supervised/train.ts';
import { LearnedOptimizer } from '../src/supervised/learned-optimizer.ts';
import { loadOptimizer } from '../src/evaluate/load-optimizer.ts';
import { PolicyNetwork } from '../policies/policy-network.ts';
import { FLOAT32_ROWS } from '../policies/gps-policy.ts';
import { rollout } from '../policies/rollout.ts';
import { Rng } from '../src/random.ts';
import { UserError } from '../src/errors.ts';
import { scratchDir } from './helpers.ts';

const quadratic = createFamily('quadratic');
const quadraticIdentity = { env: 'quadratic', envParams: {} };
let gpsDir = '';
let bpttDir = '';
const made: string[] = [];

/** A fresh temporary directory, removed after the tests. */
function tempDir(prefix: string): string {
  const dir = scratchDir(prefix);
  made.push(dir);
  return dir;
}

before(async () => {
  await initBackend();
  const started = Date.now();
  // Per-coordinate GPS on 10-d quadratics, AdaGrad-scaled features (the default): small settings.
  const gps: GpsConfig = { ...defaultGpsConfig(true), conditions: 4, validation: 4, horizon: 15, samples: 4, iterations: 2, historyLength: 3, innerIterations: 2, policyIterations: 150, sampledCoordinates: 5, seed: 'drop-in' };
  gpsDir = tempDir('l2o-drop-in-gps-');
  await trainGps({ config: gps, family: quadratic, identity: quadraticIdentity, out: gpsDir, resume: false });
  const gpsSeconds = (Date.now() - started) / 1000;
  const bptt: BpttConfig = { ...DEFAULT_BPTT_CONFIG, iterations: 15, horizon: 40, unroll: 20, batch: 16, validationProblems: 8, validateEvery: 5, learningRate: 0.01, seed: 'drop-in' };
  bpttDir = tempDir('l2o-drop-in-bptt-');
  await trainBptt({ config: bptt, family: quadratic, identity: quadraticIdentity, out: bpttDir, resume: false });
  console.log(`trained: gps ${gpsSeconds.toFixed(1)} s, bptt ${((Date.now() - started) / 1000 - gpsSeconds).toFixed(1)} s`);
});

after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fixed regression task: y = 2 tanh(x·a) + 0.3 on 128 seeded points of R^4. */
function regressionData(): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const rng = new Rng('drop-in-data');
  const xs = tf.tensor2d(Float32Array.from(rng.normalVector(128 * 4)), [128, 4]);
  const ys = tf.tidy(() => xs.matMul(tf.tensor2d([[1], [-2], [0.5], [1.5]])).tanh().mul(2).add(0.3)) as tf.Tensor2D;
  return { xs, ys };
}

function denseNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [4], kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
    ],
  });
}

/** Trains the dense net with `optimizer` through model.fit; returns the loss before and per epoch, and the live tensors after each epoch. */
async function fitWith(optimizer: tf.Optimizer, epochs: number): Promise<{ initial: number; losses: number[]; counts: number[] }> {
  const { xs, ys } = regressionData();
  const model = denseNet();
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const initial = tf.tidy(() => (model.evaluate(xs, ys) as tf.Scalar).dataSync()[0]);
  const counts: number[] = [];
  const history = await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0, callbacks: { onEpochEnd: async () => void counts.push(tf.memory().numTensors) } });
  model.dispose();
  tf.dispose([xs, ys]);
  return { initial, losses: history.history.loss as number[], counts };
}

async function assertTrainsModel(load: () => tf.Optimizer, epochs: number, factor: number): Promise<void> {
  const tensors = tf.memory().numTensors;
  const optimizer = load();
  const started = Date.now();
  const { initial, losses, counts } = await fitWith(optimizer, epochs);
  optimizer.dispose();
  const last = losses[losses.length - 1];
  console.log(`${optimizer.getClassName()}: loss ${initial.toFixed(4)} before, ${losses[0].toFixed(4)} in the first epoch, ${last.toFixed(4)} in the last (×${(last / initial).toFixed(4)}), ${epochs} epochs in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(last < factor * initial, `fit loss ${initial} → ${last}`);
  assert.deepEqual(counts, counts.map(() => counts[0]), `live tensors after each epoch: ${counts}`);
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left once the model and the optimizer are disposed');
}

test('a per-coordinate GPS run is a drop-in optimizer: model.fit lowers the loss, no tensors leak', async () => {
  await assertTrainsModel(() => loadOptimizer(gpsDir), 30, 0.1);
});

test('a BPTT run is a drop-in optimizer: model.fit lowers the loss, no tensors leak', async () => {
  await assertTrainsModel(() => loadOptimizer(bpttDir), 30, 0.1);
});

/** The objective in tfjs (float32 in, float32 out) through its own float64 value and gradient. */
function tfjsObjective(objective: Objective): (x: tf.Tensor) => tf.Scalar {
  return tf.customGrad(((x: tf.Tensor) => {
    const { value, gradient } = objective.evaluate(Float64Array.from(x.dataSync()));
    return { value: tf.scalar(value), gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor1d(Float32Array.from(gradient))) };
  }) as never) as unknown as (x: tf.Tensor) => tf.Scalar;
}

test('the GPS optimizer takes the steps the policy takes in a rollout from the same start (float32 against float64)', () => {
  const { policy } = loadGpsPolicy(gpsDir);
  const objective = quadratic.sample('test', 0);
  const steps = 20;
  const run = rollout(new OptimizationEnv({ historyLength: policy.historyLength }), policy, objective, steps, new Rng('drop-in-equality'), { recordStates: true });
  assert.equal(run.divergedAt, null);
  const tensors = tf.memory().numTensors;
  const optimizer = loadOptimizer(gpsDir);
  const f = tfjsObjective(objective);
  const x = tf.tidy(() => tf.variable(tf.tensor1d(Float32Array.from(run.iterates![0]))));
  let worst = 0;
  for (let t = 0; t < steps; t++) {
    const before = Float64Array.from(x.dataSync());
    optimizer.minimize(() => f(x));
    const stepped = x.dataSync();
    const expected = run.actions![t];
    const scale = Math.max(...expected.map(Math.abs));
    for (let j = 0; j < expected.length; j++) {
      const error = Math.abs(stepped[j] - before[j] - expected[j]) / scale;
      worst = Math.max(worst, error);
      assert.ok(error < 5e-6, `step ${t}, coordinate ${j}: ${stepped[j] - before[j]} vs ${expected[j]}`);
    }
  }
  console.log(`largest step difference relative to the step's largest coordinate: ${worst.toExponential(2)}`);
  assert.ok(run.values[steps] < 0.5 * run.values[0], 'the compared steps make progress');
  optimizer.dispose();
  x.dispose();
  assert.equal(tf.memory().numTensors, tensors);
});

/** Steps a fresh variable with `optimizer.minimize` on a fixed least-squares loss; returns the iterates. */
function minimizeSteps(optimizer: tf.Optimizer, steps: number): number[][] {
  const w = tf.tidy(() => tf.variable(tf.tensor1d([3, -2, 1, 0.5])));
  const target = tf.tensor1d([0.5, 0.25, -0.5, 1]);
  const iterates: number[][] = [];
  for (let t = 0; t < steps; t++) {
    optimizer.minimize(() => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar);
    iterates.push(Array.from(w.dataSync()));
  }
  tf.dispose([w, target]);
  return iterates;
}

for (const [kind, cls] of [['gps', L2OGpsOptimizer], ['bptt', LearnedOptimizer]] as const) {
  test(`the ${kind} optimizer is registered with tf.serialization and fromConfig(getConfig()) takes identical steps`, () => {
    const dir = kind === 'gps' ? gpsDir : bpttDir;
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[cls.className];
    assert.ok(entry, `${cls.className} is registered`);
    assert.equal(entry[0], cls);
    const tensors = tf.memory().numTensors;
    const original = loadOptimizer(dir);
    assert.ok(original instanceof cls);
    // The config survives JSON, as a saved model's would.
    const config = JSON.parse(JSON.stringify(original.getConfig())) as tf.serialization.ConfigDict;
    const rebuilt = entry[1](entry[0], config) as tf.Optimizer;
    assert.ok(rebuilt instanceof cls);
    const a = minimizeSteps(original, 8);
    const b = minimizeSteps(rebuilt, 8);
    assert.deepEqual(b, a);
    assert.notDeepEqual(a[7], [3, -2, 1, 0.5], 'the optimizer moved the variable');
    original.dispose();
    rebuilt.dispose();
    assert.equal(tf.memory().numTensors, tensors, 'both optimizers free everything they made');
  });
}

test('the GPS optimizer needs the loss: applyGradients without minimize is refused', () => {
  const optimizer = loadOptimizer(gpsDir);
  const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
  const g = tf.tensor1d([0.1, 0.2]);
  assert.throws(() => optimizer.applyGradients({ [w.name]: g }), (e: Error) => /needs the loss/.test(e.message) && /minimize/.test(e.message));
  assert.deepEqual(Array.from(w.dataSync()), [1, 2]);
  tf.dispose([w, g]);
  optimizer.dispose();
});

test('a full-state GPS run is refused with the reason and the per-coordinate alternative', () => {
  // A full-state policy for 3-d logreg: Φ has H(1 + d) = 20 features, the step 3 coordinates.
  const dir = tempDir('l2o-drop-in-full-');
  const config = { ...defaultGpsConfig(false), features: 'history' as const, historyLength: 5 };
  savePolicy(dir, { env: 'logreg', envParams: {} }, config, 1, new PolicyNetwork(5 * (1 + 3), 50, 3, new Rng('full-state')));
  assert.throws(
    () => loadOptimizer(dir),
    (e: Error) => {
      assert.ok(e instanceof UserError, `a UserError, not ${e.name}`);
      assert.match(e.message, /full-state GPS run/);
      assert.match(e.message, /whole state of the 3-dimensional objective it was trained on \('logreg'\)/);
      assert.match(e.message, /cannot step an arbitrary model's variables/);
      assert.match(e.message, /--coordinatewise/);
      return true;
    },
  );
});

test('a directory that is not a training run, or no directory at all, is a clear UserError', () => {
  const empty = tempDir('l2o-drop-in-empty-');
  assert.throws(() => loadOptimizer(empty), (e: Error) => e instanceof UserError && /not a training run/.test(e.message) && /policy\.json/.test(e.message) && /optimizer\.json/.test(e.message));
  assert.throws(() => loadOptimizer(join(empty, 'missing')), (e: Error) => e instanceof UserError && /not a directory/.test(e.message));
  const file = join(empty, 'file.txt');
  writeFileSync(file, 'x');
  assert.throws(() => loadOptimizer(file), (e: Error) => e instanceof UserError && /not a directory/.test(e.message));
  // A run file that is not JSON is the loader's UserError, naming the file.
  const broken = join(empty, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'policy.json'), '{"format": "l2o-gps"');
  assert.throws(() => loadOptimizer(broken), (e: Error) => e instanceof UserError && /policy\.json/.test(e.message));
});

test('the GPS optimizer steps a model with more than FLOAT32_ROWS weights (its float32 wasm pass) inside model.fit', async () => {
  const tensors = tf.memory().numTensors;
  const { xs, ys } = regressionData();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 64, activation: 'tanh', inputShape: [4], kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
      tf.layers.dense({ units: 64, activation: 'tanh', kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) }),
    ],
  });
  assert.ok(model.countParams() >= FLOAT32_ROWS, `${model.countParams()} weights`);
  const optimizer = loadOptimizer(gpsDir);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const initial = tf.tidy(() => (model.evaluate(xs, ys) as tf.Scalar).dataSync()[0]);
  const history = await model.fit(xs, ys, { epochs: 10, batchSize: 32, shuffle: false, verbose: 0 });
  const losses = history.history.loss as number[];
  console.log(`${model.countParams()} weights: loss ${initial.toFixed(4)} → ${losses[losses.length - 1].toFixed(4)} in 10 epochs`);
  assert.ok(losses[losses.length - 1] < 0.5 * initial, `fit loss ${initial} → ${losses[losses.length - 1]}`);
  optimizer.dispose();
  model.dispose();
  tf.dispose([xs, ys]);
  assert.equal(tf.memory().numTensors, tensors);
});
