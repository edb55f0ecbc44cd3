import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFamily } from '../envs/registry.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { createPool, type TaskPool } from '../src/parallel/worker-pool.ts';
import { Rng } from '../src/random.ts';

function report(seed: string, env = 'robust-regression', pool?: TaskPool) {
  return compareOptimizers([{ name: 'adam' }, { name: 'lbfgs' }], {
    pool,
    family: createFamily(env, { trainSize: '8' }),
    split: 'test',
    steps: 40,
    problems: 6,
    seed,
    backend: 'none',
  });
}

test('the same seed reproduces a comparison bit for bit', async () => {
  assert.equal(JSON.stringify(await report('7')), JSON.stringify(await report('7')));
  assert.equal(JSON.stringify(await report('7', 'small-net')), JSON.stringify(await report('7', 'small-net')));
});

test('two workers give the comparison, the tuning and the f* search of one, bit for bit', async () => {
  const pool = createPool(2);
  try {
    const options = (p?: TaskPool) => ({
      family: createFamily('small-net', { trainSize: '12' }),
      split: 'test' as const,
      steps: 30,
      problems: 9,
      seed: '4',
      backend: 'none',
      referenceMinimum: { restarts: 2, spread: 1 },
      pool: p,
    });
    const contenders = [{ name: 'momentum' }, { name: 'lbfgs' }];
    const alone = await compareOptimizers(contenders, options());
    const shared = await compareOptimizers(contenders, options(pool));
    assert.ok(alone.results[0].tuning && alone.reference, 'the comparison tuned and searched');
    assert.equal(JSON.stringify(shared), JSON.stringify(alone));
  } finally {
    await pool.close();
  }
});

test('a different seed gives different starting points', async () => {
  const a = (await report('7')).results[0].curve[0];
  const b = (await report('8')).results[0].curve[0];
  assert.notEqual(a, b);
});

test('rng streams: forks are independent of draws made before them', () => {
  const a = new Rng('x');
  const b = new Rng('x');
  a.normal();
  a.uniform();
  assert.equal(a.fork('child').uniform(), b.fork('child').uniform());
  const draws = Array.from({ length: 20000 }, () => a.normal());
  const m = draws.reduce((s, v) => s + v, 0) / draws.length;
  const v = draws.reduce((s, x) => s + (x - m) ** 2, 0) / draws.length;
  assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `normal mean ${m}, var ${v}`);
});
