import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf.ts';
import { createFamily } from '../envs/registry.ts';
import { initBackend } from '../src/backend.ts';
import { Rng } from '../src/random.ts';
import { UserError } from '../src/errors.ts';
import { assertClose, finiteDifferenceGradient } from './helpers.ts';

const FLOAT64_FAMILIES: [string, Record<string, string>][] = [
  ['quadratic', {}],
  ['logreg', {}],
  ['robust-regression', {}],
  ['small-net', { hidden: '3' }],
  ['expr', { expr: '(1-x)^2 + 100*(y-x^2)^2 + sin(z)*exp(-x^2)' }],
];

for (const [name, params] of FLOAT64_FAMILIES) {
  test(`${name}: gradient matches central finite differences`, () => {
    const family = createFamily(name, params);
    for (const split of ['train', 'test'] as const) {
      for (let index = 0; index < 3; index++) {
        const objective = family.sample(split, index);
        const x = objective.start(new Rng(`fd-${index}`));
        for (let i = 0; i < x.length; i++) x[i] += 0.3 * Math.sin(7 * i + index); // away from x0's special structure
        const { value, gradient } = objective.evaluate(x);
        assert.ok(Number.isFinite(value));
        assertClose(gradient, finiteDifferenceGradient(objective, x, 1e-6), 1e-5, `${objective.name} gradient`);
      }
    }
  });

  test(`${name}: instances are fixed by their index and the splits differ`, () => {
    const family = createFamily(name, params);
    const x = new Rng('probe').normalVector(family.dim);
    const again = createFamily(name, params);
    assert.equal(family.sample('test', 4).evaluate(x).value, again.sample('test', 4).evaluate(x).value);
    if (name !== 'expr') {
      assert.notEqual(family.sample('train', 4).evaluate(x).value, family.sample('test', 4).evaluate(x).value);
      assert.notEqual(family.sample('test', 4).evaluate(x).value, family.sample('test', 5).evaluate(x).value);
    }
  });
}

test('mlp-gaussians (tfjs, float32): gradient matches finite differences', async () => {
  await initBackend();
  const family = createFamily('mlp-gaussians', { hidden: '5,4', activation: 'tanh' });
  const before = tf.memory().numTensors;
  const objective = family.sample('train', 0);
  try {
    const x = objective.start(new Rng('mlp'));
    const { gradient } = objective.evaluate(x);
    // float32 forward passes: a large step and a loose tolerance.
    assertClose(gradient, finiteDifferenceGradient(objective, x, 1e-2), 2e-3, 'mlp gradient');
  } finally {
    objective.dispose?.();
  }
  // About a hundred evaluations, each a forward and backward pass in tfjs, and none leaves a tensor.
  assert.equal(tf.memory().numTensors, before);
});

test('small-net parameter count and logreg at its optimum region', () => {
  assert.equal(createFamily('small-net').dim, 12);
  assert.equal(createFamily('logreg').dim, 3);
  assert.equal(createFamily('quadratic').dim, 10);
  // At x = 0 the logistic loss of any data set is log 2.
  const logreg = createFamily('logreg').sample('test', 0);
  assert.ok(Math.abs(logreg.evaluate(new Float64Array(3)).value - Math.LN2) < 1e-12);
});

test('expr: bad expressions and parameters are clear user errors', () => {
  assert.throws(() => createFamily('expr', { expr: 'x +* 2' }), (e: Error) => e instanceof UserError && /cannot parse/.test(e.message));
  assert.throws(() => createFamily('expr', { expr: 'floor(x)' }), (e: Error) => e instanceof UserError && /cannot differentiate/.test(e.message));
  assert.throws(() => createFamily('expr', { expr: '2 + pi' }), (e: Error) => e instanceof UserError && /no variables/.test(e.message));
  assert.throws(() => createFamily('expr', { expr: 'x^2+y^2', x0: '1' }), (e: Error) => e instanceof UserError && /x0 must be 2/.test(e.message));
  assert.throws(() => createFamily('logreg', { lambda: 'abc' }), (e: Error) => e instanceof UserError && /finite number/.test(e.message));
  assert.throws(() => createFamily('nope'), (e: Error) => e instanceof UserError && /unknown env/.test(e.message));
  const sqrt = createFamily('expr', { expr: 'sqrt(x)' }).sample('test', 0);
  assert.ok(Number.isNaN(sqrt.evaluate(Float64Array.of(-1)).value), 'complex results are reported as NaN');
});
