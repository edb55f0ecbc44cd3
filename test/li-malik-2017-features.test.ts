import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiMalik2017Features } from '../envs/li-malik-2017-features.ts';
import type { CoordinateFeatures } from '../envs/coordinate-features.ts';
import { Rng } from '../src/random.ts';
import { assertClose } from './helpers.ts';

// Row layout under test (literal indices on purpose): [0..2] observation, [3..27] loss-change lags,
// [28..52] gradient lags, [53] x_t, [54] raw g_t.
const WIDTH = 55;

// A 2-coordinate run of 11 steps: enough for the lag-1 loss change (t ≥ 10) and 3 gradient lags.
const F = [8, 6, 4, 5, 3, 1, 2, 2.5, 2, 1, 0.5];
const G = [
  [4, -2, 1, 3, -6, -1, 2, 5, -1, 0.5, 3],
  [-1, 0.5, 2, -3, 1, 4, -2, 0.5, 6, -3, 1.5],
];
const X = [
  [1, 2, 4, 3, 3.5, 5, 4, 4.5, 6, 5.5, 5.4],
  [0, -0.5, -0.5, 1, 2, 1.5, 0, 0.2, 0.2, -1, -0.9],
];

// Averages by hand, v̄_s = mean(v_{max(s−2,0)..s}):
//   f̄: s0 8, s2 (8+6+4)/3 = 6, s5 (5+3+1)/3 = 3, s7 (1+2+2.5)/3 = 11/6, s10 (2+1+0.5)/3 = 7/6
//   ḡ coordinate 0: s0 4, s1 (4−2)/2 = 1, s2 (4−2+1)/3 = 1, s5 (3−6−1)/3 = −4/3, s7 (−1+2+5)/3 = 2, s10 (−1+0.5+3)/3 = 5/6
//   ḡ coordinate 1: s0 −1, s1 (−1+0.5)/2 = −1/4, s2 (−1+0.5+2)/3 = 1/2, s5 (−3+1+4)/3 = 2/3, s7 (4−2+0.5)/3 = 5/6, s10 (6−3+1.5)/3 = 3/2
/** Expected rows at step t: the entries that are not zero, by index, for coordinates 0 and 1. */
const EXPECTED: Record<number, [Record<number, number>, Record<number, number>]> = {
  0: [
    // [1] g_0/(|g_0|+1); [28] ḡ_0/(|ḡ_0|+1) (the divisor index max(−5, 0 mod 5) = 0)
    { 1: 4 / 5, 28: 4 / 5, 53: 1, 54: 4 },
    { 1: -1 / 2, 28: -1 / 2, 53: 0, 54: -1 },
  ],
  1: [
    // [0] (6−8)/8; [2] |x_1−x_0|/(|x_1−x_0|+0.1) (the paper's max(t−1,1), max(t−2,0)); [28] ḡ_1/(|ḡ_1|+1)
    { 0: -0.25, 1: -2 / 5, 2: 1 / 1.1, 28: 1 / 2, 53: 2, 54: -2 },
    { 0: -0.25, 1: 0.5 / 2, 2: 0.5 / 0.6, 28: -0.25 / 1.25, 53: -0.5, 54: 0.5 },
  ],
  2: [
    // [2] |x_1−x_0|/(|x_2−x_1|+0.1): coordinate 1 did not move at step 2, so 0.5/0.1
    { 0: -1 / 3, 1: 1 / 3, 2: 1 / 2.1, 28: 1 / 2, 53: 4, 54: 1 },
    { 0: -1 / 3, 1: 2 / 1.5, 2: 5, 28: 0.5 / 1.5, 53: -0.5, 54: 2 },
  ],
  5: [
    // [3] (f̄_5−f̄_0)/f̄_0 = (3−8)/8; [28] ḡ_5/(|ḡ_0|+1); [29] ḡ_0/(|ḡ_0|+1)
    { 0: (1 - 3) / 3, 1: -1 / 7, 2: 0.5 / 1.6, 3: -0.625, 28: -4 / 3 / 5, 29: 4 / 5, 53: 5, 54: -1 },
    { 0: (1 - 3) / 3, 1: 4 / 2, 2: 1 / 0.6, 3: -0.625, 28: 2 / 3 / 2, 29: -1 / 2, 53: 1.5, 54: 4 },
  ],
  7: [
    // [3] (f̄_7−f̄_2)/f̄_2 = (11/6−6)/6; [28] ḡ_7/(|ḡ_2|+1); [29] ḡ_2/(|ḡ_2|+1): max(7−10, 7 mod 5) = 2
    // keeps lag 1's divisor at s = 2 (a divisor at s = 0 would make coordinate 0's [29] 1/5)
    { 0: 0.25, 1: 5 / 3, 2: 1 / 0.6, 3: -25 / 36, 28: 2 / 2, 29: 1 / 2, 53: 4.5, 54: 5 },
    { 0: 0.25, 1: 0.5 / 3, 2: 1.5 / 0.3, 3: -25 / 36, 28: 5 / 6 / 1.5, 29: 0.5 / 1.5, 53: 0.2, 54: 0.5 },
  ],
  10: [
    // [3] (f̄_10−f̄_5)/f̄_5 = (7/6−3)/3; [4] (f̄_5−f̄_0)/f̄_0; [28] ḡ_10/(|ḡ_5|+1); [29] ḡ_5/(|ḡ_0|+1); [30] ḡ_0/(|ḡ_0|+1)
    { 0: -0.5, 1: 3 / 1.5, 2: 0.5 / 0.2, 3: -11 / 18, 4: -0.625, 28: 5 / 6 / (4 / 3 + 1), 29: -4 / 3 / 5, 30: 4 / 5, 53: 5.4, 54: 3 },
    { 0: -0.5, 1: 1.5 / 4, 2: 1.2 / 0.2, 3: -11 / 18, 4: -0.625, 28: 1.5 / (2 / 3 + 1), 29: 2 / 3 / 2, 30: -1 / 2, 53: -0.9, 54: 1.5 },
  ],
};

/** Indices that are padding at t, written out: [0] and [2] need t ≥ 1, loss lag i needs t ≥ 5(i+1), gradient lag i t ≥ 5i. */
function expectedPadding(t: number): Set<number> {
  const padding = new Set<number>();
  if (t < 1) padding.add(0).add(2);
  for (let i = 0; i < 25; i++) if (t < 5 * (i + 1)) padding.add(3 + i);
  for (let i = 0; i < 25; i++) if (t < 5 * i) padding.add(28 + i);
  return padding;
}

test('Li & Malik 2017 features: every entry of both rows by hand at t = 0, 1, 2, 5, 7, 10', () => {
  const features = new LiMalik2017Features();
  const out = new Float64Array(2 * WIDTH);
  for (let t = 0; t < F.length; t++) {
    features.push(Float64Array.of(X[0][t], X[1][t]), F[t], Float64Array.of(G[0][t], G[1][t]));
    const expected = EXPECTED[t];
    if (!expected) continue;
    features.statesInto(out, 2);
    for (let j = 0; j < 2; j++) {
      const row = new Float64Array(WIDTH);
      for (const [index, value] of Object.entries(expected[j])) row[Number(index)] = value;
      assertClose(out.subarray(j * WIDTH, (j + 1) * WIDTH), row, 1e-12, `t = ${t}, coordinate ${j}`);
    }
  }
});

test('Li & Malik 2017 features: padding at t = 0, 1, 2 (and 5, 10) is exactly 0 where isPadding says so', () => {
  const features = new LiMalik2017Features();
  assert.deepEqual([0, 1, 2, 27, 28, 29, 52, 53, 54].map((i) => features.isPadding(i, 0)), [true, false, true, true, false, true, true, false, false]);
  assert.deepEqual([0, 1, 2, 3, 28, 29].map((i) => features.isPadding(i, 1)), [false, false, false, true, false, true]);
  assert.deepEqual([0, 2, 3, 4, 28, 29, 30].map((i) => features.isPadding(i, 5)), [false, false, false, true, false, false, true]);
  const out = new Float64Array(2 * WIDTH).fill(NaN);
  for (let t = 0; t < F.length; t++) {
    features.push(Float64Array.of(X[0][t], X[1][t]), F[t], Float64Array.of(G[0][t], G[1][t]));
    if (![0, 1, 2, 5, 10].includes(t)) continue;
    features.statesInto(out, 2);
    const padding = expectedPadding(t);
    for (let index = 0; index < WIDTH; index++) {
      assert.equal(features.isPadding(index, t), padding.has(index), `isPadding(${index}, ${t})`);
      if (padding.has(index)) for (let j = 0; j < 2; j++) assert.equal(out[j * WIDTH + index], 0, `row ${j}[${index}] at t = ${t}`);
    }
  }
  assert.equal(expectedPadding(0).size, 2 + 25 + 24);
  assert.equal(expectedPadding(2).size, 25 + 24);
});

test('Li & Malik 2017 features: the policy sees a prefix of 53 (or the paper’s 3) entries; x_t and the raw gradient are the teacher’s', () => {
  const lagged: CoordinateFeatures = new LiMalik2017Features();
  const paper: CoordinateFeatures = new LiMalik2017Features({ observationDim: 3 });
  assert.deepEqual([lagged.stateDim, lagged.observationDim, lagged.rawGradientIndex], [55, 53, 54]);
  assert.deepEqual([paper.stateDim, paper.observationDim, paper.rawGradientIndex], [55, 3, 54]);
  assert.throws(() => new LiMalik2017Features({ observationDim: 5 as 3 }), RangeError);
  const a = new Float64Array(2 * WIDTH);
  const b = new Float64Array(2 * WIDTH);
  for (let t = 0; t <= 7; t++) {
    for (const features of [lagged, paper]) features.push(Float64Array.of(X[0][t], X[1][t]), F[t], Float64Array.of(G[0][t], G[1][t]));
  }
  lagged.statesInto(a, 2);
  paper.statesInto(b, 2);
  assert.deepEqual(Array.from(a), Array.from(b)); // the option changes what the policy sees, not the state
  // Past the 53-entry prefix: x_7 and g_7 of coordinate 1.
  assert.deepEqual(Array.from(a.subarray(WIDTH + 53, WIDTH + 55)), [X[1][7], G[1][7]]);
  assert.equal(a[WIDTH + lagged.rawGradientIndex], G[1][7]);
});

test('Li & Malik 2017 features: a zero loss divides by 1e-12 instead of 0', () => {
  const features = new LiMalik2017Features();
  const out = new Float64Array(WIDTH);
  features.push(Float64Array.of(0), 0, Float64Array.of(1));
  features.push(Float64Array.of(1), 2e-12, Float64Array.of(1));
  features.statesInto(out, 1);
  assert.equal(out[0], 2);
});

test('Li & Malik 2017 features: on a random 140-step run the first 3 entries are the paper’s observation and the lags its state', () => {
  const rng = new Rng('li-malik-2017-features');
  const dim = 3;
  const T = 140; // past the 126 averaged steps the ring buffers hold
  const xs: Float64Array[] = [];
  const gs: Float64Array[] = [];
  const fs: number[] = [];
  const features = new LiMalik2017Features();
  const out = new Float64Array(dim * WIDTH);
  const mean3 = (v: (s: number) => number, s: number) => {
    const from = Math.max(s - 2, 0);
    let sum = 0;
    for (let k = from; k <= s; k++) sum += v(k);
    return sum / (s - from + 1);
  };
  for (let t = 0; t < T; t++) {
    xs.push(rng.normalVector(dim));
    gs.push(rng.normalVector(dim));
    fs.push(rng.uniformIn(0.5, 2)); // positive, so the paper's f_{t−1} divisor and the guarded |f_{t−1}| agree
    features.push(xs[t], fs[t], gs[t]);
    features.statesInto(out, dim);
    for (let j = 0; j < dim; j++) {
      const row = out.subarray(j * WIDTH, (j + 1) * WIDTH);
      const expected = new Float64Array(WIDTH);
      if (t >= 1) expected[0] = (fs[t] - fs[t - 1]) / fs[t - 1];
      expected[1] = gs[t][j] / (Math.abs(gs[Math.max(t - 1, 0)][j]) + 1);
      if (t >= 1) expected[2] = Math.abs((xs[Math.max(t - 1, 1)][j] - xs[Math.max(t - 2, 0)][j]) / (Math.abs(xs[t][j] - xs[t - 1][j]) + 0.1));
      const fbar = (s: number) => mean3((k) => fs[k], s);
      const gbar = (s: number) => mean3((k) => gs[k][j], s);
      for (let i = 0; i < 25; i++) {
        if (t - 5 * (i + 1) >= 0) expected[3 + i] = (fbar(t - 5 * i) - fbar(t - 5 * (i + 1))) / fbar(t - 5 * (i + 1));
        if (t - 5 * i >= 0) expected[28 + i] = gbar(t - 5 * i) / (Math.abs(gbar(Math.max(t - 5 * (i + 1), t % 5))) + 1);
      }
      expected[53] = xs[t][j];
      expected[54] = gs[t][j];
      assertClose(row, expected, 1e-12, `t = ${t}, coordinate ${j}`);
      for (let index = 0; index < WIDTH; index++) assert.equal(row[index] === 0, features.isPadding(index, t), `entry ${index} at t = ${t}`);
    }
  }
});
