import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedDifference } from '../src/evaluate/paired-difference.ts';
import { Rng } from '../src/random.ts';

test('a constant shift between paired runs gives that shift with a zero-width interval', () => {
  const reference = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 10);
  const d = pairedDifference(reference.map((v) => v + 0.25), reference, new Rng('shift'));
  for (const x of [d.mean, d.low, d.high]) assert.ok(Math.abs(x - 0.25) < 1e-12, String(x));
});

test('the pairing removes the spread the runs share: a small gap under large per-instance variation is resolved', () => {
  const rng = new Rng('paired');
  const reference = Array.from({ length: 100 }, () => 100 * rng.normal());
  const values = reference.map((v) => v + 0.01 + 0.001 * rng.normal());
  const d = pairedDifference(values, reference, new Rng('boot'));
  assert.ok(d.low > 0.0095 && d.high < 0.0105 && d.low < d.mean && d.mean < d.high, JSON.stringify(d));
});

test('the 95% interval covers the true mean difference in about 95% of repeated draws', () => {
  const rng = new Rng('coverage');
  let covered = 0;
  const trials = 200;
  for (let k = 0; k < trials; k++) {
    // Heavy-tailed differences with true mean 1: exponential(1).
    const values = Array.from({ length: 60 }, () => -Math.log(1 - rng.uniform()));
    const d = pairedDifference(values, new Array(60).fill(0), rng.fork(`boot/${k}`), 1000);
    if (d.low <= 1 && 1 <= d.high) covered += 1;
  }
  assert.ok(covered / trials > 0.88 && covered / trials < 0.99, `coverage ${covered / trials}`);
});

test('the interval is a function of the seed: the same seed repeats it, another moves it', () => {
  const rng = new Rng('draws');
  const values = Array.from({ length: 40 }, () => rng.normal());
  const zeros = new Array(40).fill(0);
  assert.deepEqual(pairedDifference(values, zeros, new Rng('a')), pairedDifference(values, zeros, new Rng('a')));
  assert.notDeepEqual(pairedDifference(values, zeros, new Rng('a')), pairedDifference(values, zeros, new Rng('b')));
});

test('unpaired or empty samples are refused', () => {
  assert.throws(() => pairedDifference([1, 2], [1], new Rng('x')), /equally long/);
  assert.throws(() => pairedDifference([], [], new Rng('x')), /non-empty/);
});
