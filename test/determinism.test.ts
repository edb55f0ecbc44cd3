import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFamily } from '../envs/registry.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { Rng } from '../src/random.ts';

function report(seed: string, env = 'robust-regression') {
  return compareOptimizers([{ name: 'adam' }, { name: 'lbfgs' }], {
    family: createFamily(env, { trainSize: '8' }),
    split: 'test',
    steps: 40,
    problems: 6,
    seed,
    backend: 'none',
  });
}

test('the same seed reproduces a comparison bit for bit', () => {
  assert.equal(JSON.stringify(report('7')), JSON.stringify(report('7')));
  assert.equal(JSON.stringify(report('7', 'small-net')), JSON.stringify(report('7', 'small-net')));
});

test('a different seed gives different starting points', () => {
  const a = report('7').results[0].curve[0];
  const b = report('8').results[0].curve[0];
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
