import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { createFamily } from '../envs/registry.ts';
import { CoordinatewiseLstm, DEFAULT_LSTM_CONFIG, disposeStates } from '../policies/coordinatewise-lstm.ts';
import { logAndSign } from '../policies/log-and-sign.ts';
import { chunksOf, unroll, type UnrollTarget } from '../src/supervised/unroll.ts';
import { DEFAULT_BPTT_CONFIG, metaIteration, validationScore, type BpttConfig } from '../src/supervised/bptt.ts';
import { trainBptt } from '../src/supervised/train.ts';
import { loadBpttPolicy, optimizerPath, restoreAdamState, saveAdamState, statePath } from '../src/supervised/checkpoint.ts';
import { LearnedOptimizer } from '../src/supervised/learned-optimizer.ts';
import { ProblemBatch } from '../src/supervised/problem-batch.ts';
import { Rng } from '../src/random.ts';
import { UserError } from '../src/errors.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { assertClose, breakingFamily, scratchDir } from './helpers.ts';

await initBackend();
const quadratic = createFamily('quadratic');
const SMALL: BpttConfig = { ...DEFAULT_BPTT_CONFIG, iterations: 6, horizon: 20, unroll: 10, batch: 8, validationProblems: 8, validateEvery: 3, seed: 'test' };
const identity = { env: 'quadratic', envParams: {} };

/** f(θ) = Σ a_i θ_i² / 2, tracked in float32 like the tfjs reference below; with `rate`, the step's meta-loss term is log(f/f(θ_0)) (f* = 0) and its gradient ∇f/f. */
function separableQuadratic(a: Float32Array, theta0: Float32Array, rate = false): UnrollTarget {
  const theta = Float32Array.from(theta0);
  let f0 = 0;
  for (let i = 0; i < a.length; i++) f0 += 0.5 * a[i] * theta0[i] * theta0[i];
  return {
    size: a.length,
    advance(update) {
      const gradient = new Float32Array(a.length);
      let loss = 0;
      for (let i = 0; i < a.length; i++) {
        theta[i] += update[i];
        loss += 0.5 * a[i] * theta[i] * theta[i];
        gradient[i] = a[i] * theta[i];
      }
      return rate ? { loss: Math.log(loss / f0), gradient, metaGradient: gradient.map((g) => g / loss) } : { loss, gradient };
    },
  };
}

function problem(n: number) {
  const rng = new Rng('bptt-test-problem');
  const a = Float32Array.from({ length: n }, () => rng.uniformIn(0.5, 2));
  const theta0 = Float32Array.from({ length: n }, () => rng.normal());
  return { a, theta0, gradient: a.map((ai, i) => ai * theta0[i]) };
}

/**
 * The reference meta-gradient: θ as a tfjs tensor, the optimizee's gradients fed back as fresh
 * constants, and the true meta-loss Σ_t term(f(θ_t), t) taped (a null term adds nothing).
 */
function tapedMetaLoss(lstm: CoordinatewiseLstm, p: ReturnType<typeof problem>, steps: number, term: (f: tf.Scalar, t: number) => tf.Scalar | null) {
  return tf.variableGrads(() => {
    let theta: tf.Tensor1D = tf.tensor1d(p.theta0);
    let state = lstm.initialState(p.a.length);
    let g = p.gradient;
    let loss: tf.Scalar = tf.scalar(0);
    for (let t = 0; t < steps; t++) {
      const out = lstm.step(tf.tensor1d(g), state);
      state = out.state;
      theta = tf.add(theta, out.update);
      const added = term(tf.sum(tf.mul(tf.mul(theta, theta), tf.tensor1d(p.a).mul(0.5))), t);
      if (added) loss = tf.add(loss, added);
      const values = theta.dataSync();
      g = p.a.map((ai, i) => ai * values[i]);
    }
    return loss;
  }, lstm.variables);
}

test('log-and-sign: magnitude and sign inputs in [-1, 1], zero gradients at (-1, 0)', () => {
  const p = 10;
  // [2, n]: row 0 the magnitudes, row 1 the signs; read back one coordinate per row.
  const rows = tf.tidy(() => logAndSign(tf.tensor1d([1, -1e-3, 0, 1e-6, 5e-5]), p).arraySync()) as number[][];
  const out = rows[0].map((magnitude, j) => [magnitude, rows[1][j]]);
  assertClose(out[0], [0, 1], 1e-6);
  assertClose(out[1], [Math.log(1e-3) / p, -1], 1e-6);
  assertClose(out[2], [-1, 0], 1e-6);
  assertClose(out[3], [-1, 1e-6 * Math.exp(p)], 1e-5); // log(1e-6)/10 < −1: clipped
  assert.equal(out[4][1], 1, 'g·e^p above 1 is clipped');
});

test('unroll meta-gradient equals autodiff of Σ f(θ_t) with the optimizee gradients held constant', () => {
  const n = 30;
  const steps = 6;
  const { a, theta0, gradient } = problem(n);
  const tensors = tf.memory().numTensors;
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'grad-check');
  const states = [lstm.initialState(n)];
  const ours = unroll(lstm, separableQuadratic(a, theta0), states, chunksOf(n, n), gradient, steps);
  const { value, grads } = tapedMetaLoss(lstm, { a, theta0, gradient }, steps, (f) => f);
  assert.ok(Math.abs(value.dataSync()[0] - ours.loss) < 1e-3 * Math.abs(ours.loss));
  lstm.variables.forEach((v, i) => assertClose(ours.grads[i].dataSync(), grads[v.name].dataSync(), 2e-3, `d loss / d ${v.name}`));
  tf.dispose([value, ...Object.values(grads), ...ours.grads]);
  disposeStates([...states, ...ours.states]);
  lstm.dispose();
  assert.equal(tf.memory().numTensors, tensors, 'the unroll and the taped loss leave no tensor');
});

test('unroll meta-gradient for the rate (Σ log f(θ_t)/f(θ_0)) and the final value (f(θ_T)) equals autodiff of each, chunked or not', () => {
  const n = 24;
  const steps = 5;
  const { a, theta0, gradient } = problem(n);
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'meta-objectives');
  const f0 = theta0.reduce((s, v, i) => s + 0.5 * a[i] * v * v, 0);
  for (const metaObjective of ['rate', 'final'] as const) {
    const term = metaObjective === 'rate' ? (f: tf.Scalar) => tf.log(tf.div(f, f0)) as tf.Scalar : (f: tf.Scalar, t: number) => (t === steps - 1 ? f : null);
    const { value, grads } = tapedMetaLoss(lstm, { a, theta0, gradient }, steps, term);
    for (const chunkSize of [n, 10]) {
      const chunks = chunksOf(n, chunkSize);
      const ours = unroll(lstm, separableQuadratic(a, theta0, metaObjective === 'rate'), chunks.map((c) => lstm.initialState(c.end - c.start)), chunks, gradient, steps, { lastStepOnly: metaObjective === 'final' });
      const what = `${metaObjective}, ${chunks.length} chunk(s)`;
      assert.ok(Math.abs(value.dataSync()[0] - ours.loss) < 1e-3 * Math.abs(ours.loss), `${what}: meta-loss ${ours.loss} vs ${value.dataSync()[0]}`);
      lstm.variables.forEach((v, i) => assertClose(ours.grads[i].dataSync(), grads[v.name].dataSync(), 2e-3, `${what}: d loss / d ${v.name}`));
      tf.dispose(ours.grads);
      disposeStates(ours.states);
    }
    tf.dispose([value, ...Object.values(grads)]);
  }
  lstm.dispose();
});

test('ProblemBatch scores the rate as Σ_k log((f_k − f*_k)/(f_k(x0) − f*_k)) with meta-gradient ∇f_k/(f_k − f*_k), and refuses a start below f*, leaving out one at f*', () => {
  const objectives = [0, 1].map((i) => quadratic.sample('train', i));
  const batch = new ProblemBatch(objectives, new Rng('rate'), 'rate');
  const starts = Float64Array.from(batch.values);
  const step = batch.initialGradient.map((g) => -0.01 * g);
  const out = batch.advance(step);
  const expected = objectives.reduce((s, _o, k) => s + Math.log(batch.values[k] / starts[k]), 0); // quadratic: f* = 0
  assert.ok(Math.abs(out.loss - expected) < 1e-12, `${out.loss} vs ${expected}`);
  assert.ok(out.loss < 0, 'a small gradient step lowers both');
  let offset = 0;
  objectives.forEach((o, k) => {
    for (let i = 0; i < o.dim; i++) assert.ok(Math.abs(out.metaGradient![offset + i] - out.gradient[offset + i] / batch.values[k]) <= 1e-6 * Math.abs(out.metaGradient![offset + i]) + 1e-9);
    offset += o.dim;
  });
  batch.dispose();
  const belowMinimum = { ...quadratic.sample('train', 0), name: 'below-min', minimum: 1e9 };
  assert.throws(() => new ProblemBatch([belowMinimum], new Rng('rate'), 'rate'), (err: unknown) => err instanceof UserError && /rate meta-objective needs f\(x0\) at or above the minimum/.test(err.message));
  // An instance that starts at its minimum has no rate: it adds nothing to the meta-loss or its gradient.
  const probe = new ProblemBatch([objectives[0]], new Rng('rate'), 'sum');
  const atMinimum = { ...objectives[0], name: 'at-min', minimum: probe.values[0] };
  const mixed = new ProblemBatch([atMinimum, objectives[1]], new Rng('rate'), 'rate');
  const start = mixed.values[1];
  const both = mixed.advance(step);
  assert.equal(both.loss, Math.log(mixed.values[1] / start), 'the second objective\'s log-gap alone');
  assert.ok(both.metaGradient!.subarray(0, objectives[0].dim).every((g) => g === 0));
});

test('chunked unroll (forward record + per-chunk replay) gives the single-chunk meta-gradient', () => {
  const n = 50;
  const { a, theta0, gradient } = problem(n);
  const tensors = tf.memory().numTensors;
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'chunks');
  const initial = [lstm.initialState(n)];
  const whole = unroll(lstm, separableQuadratic(a, theta0), initial, chunksOf(n, n), gradient, 5);
  const chunks = chunksOf(n, 16);
  assert.equal(chunks.length, 4);
  const chunkInitial = chunks.map((c) => lstm.initialState(c.end - c.start));
  const chunked = unroll(lstm, separableQuadratic(a, theta0), chunkInitial, chunks, gradient, 5);
  assert.ok(Math.abs(whole.loss - chunked.loss) < 1e-4 * whole.loss);
  whole.grads.forEach((g, i) => assertClose(chunked.grads[i].dataSync(), g.dataSync(), 1e-4, `grad ${i}`));
  assertClose(chunked.gradient, whole.gradient, 1e-5, 'final gradient');
  tf.dispose([...whole.grads, ...chunked.grads]);
  disposeStates([...initial, ...chunkInitial, ...whole.states, ...chunked.states]);
  lstm.dispose();
  assert.equal(tf.memory().numTensors, tensors, 'the chunks\' records and replays leave no tensor');
});

test('every LSTM weight receives a non-zero meta-gradient', () => {
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'nonzero');
  const batch = new ProblemBatch([0, 1, 2, 3].map((i) => quadratic.sample('train', i)), new Rng('nonzero'));
  const out = unroll(lstm, batch, [lstm.initialState(batch.size)], chunksOf(batch.size, batch.size), batch.initialGradient, 20);
  assert.equal(out.grads.length, lstm.variables.length);
  assert.equal(lstm.variables.length, 2 * 4 * 3 + 2, 'per layer and gate: input weights, recurrent weights, bias; then the output layer');
  out.grads.forEach((g, i) => {
    const values = g.dataSync();
    const zeros = values.filter((x) => x === 0).length;
    assert.ok(values.every(Number.isFinite), `weight ${i}: finite`);
    assert.equal(zeros, 0, `weight ${i} (${lstm.variables[i].shape}) has ${zeros} of ${values.length} entries with a zero meta-gradient`);
  });
  tf.dispose(out.grads);
  disposeStates(out.states);
  lstm.dispose();
});

test('meta-training lowers the held-out score and leaks no tensors', () => {
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'learns');
  const config: BpttConfig = { ...SMALL, batch: 8, horizon: 40, unroll: 20 };
  const before = validationScore(lstm, quadratic, config);
  const optimizer = tf.train.adam(0.01);
  metaIteration(lstm, optimizer, quadratic, config, 0); // creates Adam's slots
  const tensors = tf.memory().numTensors;
  for (let k = 1; k < 20; k++) metaIteration(lstm, optimizer, quadratic, config, k);
  assert.equal(tf.memory().numTensors, tensors, 'tensor count after 19 more meta-iterations');
  const after = validationScore(lstm, quadratic, config);
  assert.ok(after < 0.7 * before, `held-out mean final f: ${before} untrained → ${after} trained`);
  optimizer.dispose();
  lstm.dispose();
});

test('train writes log and checkpoints; a resumed run equals an uninterrupted one; bad files are clear errors', async () => {
  const straight = scratchDir('l2o-bptt-');
  await trainBptt({ config: SMALL, family: quadratic, identity, out: straight, resume: false });
  const resumed = scratchDir('l2o-bptt-');
  await trainBptt({ config: { ...SMALL, iterations: 3 }, family: quadratic, identity, out: resumed, resume: false });
  const beforeResume = tf.memory().numTensors;
  (await trainBptt({ config: SMALL, family: quadratic, identity, out: resumed, resume: true })).lstm.dispose();
  assert.equal(tf.memory().numTensors, beforeResume, 'a resume leaves no tensors behind (the restored Adam slots among them)');
  const log = readFileSync(join(resumed, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.iteration), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(JSON.parse(readFileSync(statePath(resumed), 'utf8')).lstm, JSON.parse(readFileSync(statePath(straight), 'utf8')).lstm);
  assert.equal(readFileSync(optimizerPath(resumed), 'utf8'), readFileSync(optimizerPath(straight), 'utf8'));
  // A thread that lives across commands (l2o worker) keeps one version of a run directory's optimizer:
  // loading it again after the file changed frees the one it had.
  const { learnedPolicySpec, policyFromSpec } = await import('../src/evaluate/parallel-runs.ts');
  await policyFromSpec(learnedPolicySpec('bptt', straight));
  const oneVersion = tf.memory().numTensors;
  writeFileSync(optimizerPath(straight), `${readFileSync(optimizerPath(straight), 'utf8').trimEnd()}\n\n`); // new contents, the same weights
  const again = await policyFromSpec(learnedPolicySpec('bptt', straight));
  assert.equal(tf.memory().numTensors, oneVersion, 'the earlier version was freed');
  again.dispose?.();
  const { policy, iteration } = loadBpttPolicy(straight);
  assert.ok(iteration === 3 || iteration === 6);
  assert.equal(policy.name, 'bptt');
  policy.dispose();
  await assert.rejects(trainBptt({ config: SMALL, family: quadratic, identity, out: straight, resume: false }), /already holds a BPTT run/);
  await assert.rejects(trainBptt({ config: SMALL, family: quadratic, identity: { env: 'logreg', envParams: {} }, out: straight, resume: true }), /holds a run on env 'quadratic'/);
  const tensors = tf.memory().numTensors;
  await assert.rejects(
    trainBptt({ config: { ...SMALL, iterations: 9, lstm: { ...SMALL.lstm, hidden: SMALL.lstm.hidden + 1 } }, family: quadratic, identity, out: straight, resume: true }),
    (e: Error) => e instanceof UserError && e.message.includes(`holds a run started with other settings: lstm {"hidden":${SMALL.lstm.hidden + 1},`),
  );
  assert.equal(tf.memory().numTensors, tensors, 'the refused resume freed the checkpoint it loaded');
  // Nested settings compare by value, whatever their key order.
  const reordered = { ...SMALL, lstm: Object.fromEntries(Object.entries(SMALL.lstm).reverse()) as typeof SMALL.lstm };
  (await trainBptt({ config: reordered, family: quadratic, identity, out: straight, resume: true })).lstm.dispose();
  writeFileSync(optimizerPath(straight), readFileSync(optimizerPath(straight), 'utf8').slice(0, 100));
  assert.throws(() => loadBpttPolicy(straight), (err: Error) => err instanceof UserError && /not valid JSON/.test(err.message));
  writeFileSync(optimizerPath(straight), JSON.stringify({ format: 'l2o-bptt', version: 1, ...identity, iteration: 3, validation: 1, lstm: { config: DEFAULT_LSTM_CONFIG, weights: {} } }));
  // One line naming the file and the field (test/checkpoints.test.ts goes through every field).
  assert.throws(() => loadBpttPolicy(straight), (err: Error) => err instanceof UserError && err.message === `${optimizerPath(straight)}: lstm.weights['l0/input/wx'] is missing (an LSTM of hidden 20 and 2 layers has it)`);
  assert.throws(() => loadBpttPolicy(join(straight, 'missing')), UserError);
});

test('LearnedOptimizer trains a tfjs model through model.compile / fit and through minimize', async () => {
  // An LSTM meta-trained briefly on quadratics, applied to linear least squares.
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'tfjs-optimizer');
  const adam = tf.train.adam(0.01);
  for (let k = 0; k < 30; k++) metaIteration(lstm, adam, quadratic, { ...SMALL, batch: 16, horizon: 40, unroll: 20 }, k);
  adam.dispose();
  const rng = new Rng('tfjs-model');
  const xs = tf.tensor2d(Float32Array.from(rng.normalVector(64 * 4)), [64, 4]);
  const ys = tf.tidy(() => xs.matMul(tf.tensor2d([[1], [-2], [0.5], [3]])).add(0.7));
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
  const optimizer = new LearnedOptimizer(lstm);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const history = await model.fit(xs, ys, { epochs: 60, batchSize: 64, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.ok(losses[losses.length - 1] < 0.2 * losses[0], `fit loss ${losses[0]} → ${losses[losses.length - 1]}`);
  // minimize on a bare variable, with no tensors left behind per step.
  const w = tf.variable(tf.tensor1d([3, -2, 1]));
  const target = tf.tensor1d([0.5, 0.5, 0.5]);
  const direct = new LearnedOptimizer(lstm, 2); // chunks of 2 coordinates exercise the chunked path
  const f = () => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar;
  const start = f().dataSync()[0];
  direct.minimize(f);
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) direct.minimize(f);
  assert.equal(tf.memory().numTensors, tensors);
  const end = tf.tidy(() => f().dataSync()[0]);
  assert.ok(end < 0.2 * start, `minimize: ${start} → ${end}`);
  direct.dispose();
  optimizer.dispose();
  tf.dispose([xs, ys, w, target]);
  model.dispose();
  lstm.dispose();
});

test("Adam restored from a checkpoint's state goes on exactly as the one saved: 20 more steps, bit for bit, from each of 60 step counts", async () => {
  // tfjs's setWeights alone recomputes β^t as pow(β, t), which parts from the running product in the
  // last bit at some counts: without the saved powers the restored run drifts (a resume did).
  const target = tf.tensor1d([1, -2, 0.5]);
  const step = (optimizer: ReturnType<typeof tf.train.adam>, v: tf.Variable, t: number) =>
    tf.tidy(() => optimizer.applyGradients([{ name: v.name, tensor: v.sub(target).add(tf.scalar(0.1 * Math.sin(t))) }]));
  const differing: number[] = [];
  for (let t = 1; t <= 60; t++) {
    const w = tf.variable(tf.tensor1d([0.5, -0.25, 2]));
    const original = tf.train.adam(0.05);
    for (let k = 1; k <= t; k++) step(original, w, k);
    const saved = await saveAdamState(original);
    const restored = await restoreAdamState(0.05, saved.adam, saved.adamPowers);
    // The restored moments are matched to variables by position, so they step a copy of w.
    const copy = tf.variable(w.clone());
    for (let k = t + 1; k <= t + 20; k++) {
      step(original, w, k);
      step(restored, copy, k);
    }
    if (Array.from(w.dataSync()).some((x, i) => x !== copy.dataSync()[i])) differing.push(t);
    tf.dispose([w, copy]);
    original.dispose();
    restored.dispose();
  }
  target.dispose();
  assert.deepEqual(differing, []);
});

test('checkpoints leak no tensors: a run with a checkpoint every iteration ends with as many live tensors as after its first', async () => {
  const out = scratchDir('l2o-bptt-leak-');
  const counts: number[] = [];
  const result = await trainBptt({
    config: { ...SMALL, iterations: 5, validateEvery: 1 },
    family: quadratic,
    identity,
    out,
    resume: false,
    onIteration: () => counts.push(tf.memory().numTensors),
  });
  assert.deepEqual(counts.slice(1), counts.slice(0, -1), `live tensors after each checkpointed iteration: ${counts}`);
  result.lstm.dispose();
});

test('a loaded BPTT policy frees what it holds: runs of a comparison leave no state behind, and dispose() frees its weights', async () => {
  const out = scratchDir('l2o-bptt-own-');
  (await trainBptt({ config: { ...SMALL, iterations: 3 }, family: quadratic, identity, out, resume: false })).lstm.dispose();
  const before = tf.memory().numTensors;
  const { policy } = loadBpttPolicy(out);
  const weights = tf.memory().numTensors - before;
  assert.ok(weights > 0, 'the LSTM holds its weights as tensors');
  for (let k = 0; k < 2; k++) {
    const report = await compareOptimizers([{ name: 'bptt', policy, lr: null }], { family: quadratic, split: 'test', steps: 10, problems: 3, seed: '1', backend: 'test' });
    assert.ok(report.results[0].meanFinal < report.results[0].curve[0]);
    assert.equal(tf.memory().numTensors - before, weights, `after comparison ${k + 1}, only the weights are live`);
  }
  policy.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('BPTT training that never produces a finite held-out score fails instead of exiting with no optimizer', async () => {
  // Finite only at the start: any step at all breaks the optimizee down.
  const breaking = breakingFamily('breaks-near-zero');
  const out = scratchDir('l2o-bptt-nan-');
  await assert.rejects(
    () => trainBptt({ config: { ...SMALL, iterations: 2, validateEvery: 1, validationProblems: 4, batch: 2 }, family: breaking, identity, out, resume: false }),
    (e: Error) => e instanceof UserError && /produced no usable optimizer/.test(e.message),
  );
  // The log says which iterations' unrolls broke down and were skipped (the CLI prints it too).
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.skipped > 0), [true, true], `skipped unrolls per iteration: ${log.map((l) => l.skipped)}`);
});

test('ProblemBatch.selectionValues is each objective\'s full-data loss at its iterate where it has one, else its latest f', async () => {
  await initBackend();
  const family = createFamily('mlp-gaussians', { hidden: '4', batchSize: 1, clusters: 2, pointsPerCluster: 4, trainSize: 2, testSize: 1 });
  const objectives = [family.sample('train', 0), family.sample('train', 1)];
  const batch = new ProblemBatch(objectives, new Rng('select'));
  const update = new Float32Array(batch.size).map((_, i) => 0.01 * Math.sin(i));
  batch.advance(update);
  // By hand: the same starts plus the same update, then fullValue.
  const starts = objectives.map((o, k) => o.start(new Rng('select').fork(`start-${k}`)));
  let offset = 0;
  const byHand = objectives.map((o, k) => {
    const x = starts[k].map((v, i) => v + update[offset + i]);
    offset += o.dim;
    return o.fullValue!(x);
  });
  const selected = batch.selectionValues();
  selected.forEach((v, k) => assert.ok(Math.abs(v - byHand[k]) < 1e-12, `objective ${k}`));
  assert.notDeepEqual(selected, Array.from(batch.values), 'a minibatch of 1 is not the full data');
  batch.dispose();
  const quadratic = new ProblemBatch([createFamily('quadratic', {}).sample('train', 0)], new Rng('select'));
  assert.deepEqual(quadratic.selectionValues(), Array.from(quadratic.values));
});
