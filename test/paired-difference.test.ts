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

// The coverage band above would also pass a 90% or 99% interval; the width pins the level: 2·1.96 standard errors.
test('on 400 normal differences the interval is 2·1.96·s/√n wide, within 5%', () => {
  const rng = new Rng('width');
  const n = 400;
  const values = Array.from({ length: n }, () => rng.normal());
  const m = values.reduce((a, v) => a + v, 0) / n;
  const s = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1));
  // 10,000 resamples: the width's own bootstrap noise is about 1%, against 2.2% at the default 2,000.
  const d = pairedDifference(values, new Array(n).fill(0), rng.fork('boot'), 10000);
  const expected = (2 * 1.96 * s) / Math.sqrt(n);
  assert.ok(Math.abs(d.high - d.low - expected) < 0.05 * expected, `width ${d.high - d.low} vs ${expected}`);
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
