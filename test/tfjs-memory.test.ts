import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { createFamily } from '../envs/registry.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { HAND_DESIGNED } from '../policies/hand-designed.ts';
import { Rng } from '../src/random.ts';
import { rollout } from '../policies/rollout.ts';
import { CoordinatewiseLstm, DEFAULT_LSTM_CONFIG } from '../policies/coordinatewise-lstm.ts';

test('tfjs objectives free every tensor: numTensors is flat across repeated rollouts', async () => {
  const backend = await initBackend();
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(backend));
  const env = new OptimizationEnv();
  const adam = HAND_DESIGNED.find((o) => o.name === 'adam')!.create(0.05);
  const lbfgs = HAND_DESIGNED.find((o) => o.name === 'lbfgs')!.create(0.1);
  for (const batchSize of ['0', '16']) {
    const family = createFamily('mlp-gaussians', { batchSize, hidden: '6' });
    const counts: number[] = [];
    for (let run = 0; run < 4; run++) {
      const objective = family.sample('train', run);
      const trajectory = rollout(env, run % 2 ? adam : lbfgs, objective, 15, new Rng(`mem-${run}`), { recordStates: true });
      objective.dispose?.();
      assert.equal(trajectory.divergedAt, null);
      counts.push(tf.memory().numTensors);
    }
    assert.deepEqual(counts, counts.map(() => counts[0]), `batch ${batchSize}: tensors per run ${counts}`);
  }
});

test('full-batch MLP training actually lowers the loss', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const objective = createFamily('mlp-gaussians').sample('test', 1);
  const run = rollout(new OptimizationEnv(), HAND_DESIGNED.find((o) => o.name === 'adam')!.create(0.05), objective, 60, new Rng('fit'));
  objective.dispose?.();
  assert.ok(run.values[60] < 0.7 * run.values[0], `${run.values[0]} → ${run.values[60]}`);
  assert.equal(tf.memory().numTensors, before, 'the 60 steps and the disposed objective leave no tensor');
});

test('an LSTM optimizer holds exactly its variables: building one leaves no stray tensors', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'memory');
  assert.equal(tf.memory().numTensors - before, lstm.variables.length);
  tf.dispose(lstm.variables);
  assert.equal(tf.memory().numTensors, before);
});
