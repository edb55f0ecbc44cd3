import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamRatioHistory } from '../envs/adam-ratio-history.ts';
import { CoordinateHistory } from '../envs/coordinate-history.ts';
import { createCoordinateFeatures, type CoordinateFeatures } from '../envs/coordinate-features.ts';
import { assertClose } from './helpers.ts';

// Coordinate 0's gradients 1, −1, 2, by hand with β1 0.9, β2 0.999:
//   t1: m 0.1, v 0.001; m̂ = 0.1/0.1 = 1, v̂ = 0.001/0.001 = 1: ratio 1
//   t2: m 0.09 − 0.1 = −0.01, v 0.000999 + 0.001 = 0.001999; m̂ = −0.01/0.19, v̂ = 0.001999/0.001999 = 1: ratio −1/19
//   t3: m −0.009 + 0.2 = 0.191, v 0.001997001 + 0.004 = 0.005997001; m̂ = 0.191/0.271, v̂ = 0.005997001/0.002997001
// Coordinate 1's gradient is always 3 (ratio 1 throughout: steady); coordinate 2's is 0 (ratio 0, not NaN).
const G = [
  [1, 3, 0],
  [-1, 3, 0],
  [2, 3, 0],
];
const RATIOS = [
  [1, 1, 0],
  [-1 / 19, 1, 0],
  [0.191 / 0.271 / Math.sqrt(0.005997001 / 0.002997001), 1, 0],
];

/** Pushes G's three steps to `features` and `reference` alike and hands every coordinate's row of each step, and the reference's, to `check`. */
function eachRow(features: CoordinateFeatures, reference: CoordinateFeatures, check: (t: number, j: number, row: Float64Array, own: Float64Array) => void): void {
  const dim = G[0].length;
  G.forEach((gradient, t) => {
    const x = Float64Array.from([t, -t, 0.5 * t]);
    features.push(x, 10 - t, Float64Array.from(gradient));
    reference.push(x, 10 - t, Float64Array.from(gradient));
    const rows = features.statesInto(new Float64Array(dim * features.stateDim), dim);
    const own = reference.statesInto(new Float64Array(dim * reference.stateDim), dim);
    for (let j = 0; j < dim; j++) check(t, j, rows.subarray(j * features.stateDim, (j + 1) * features.stateDim), own.subarray(j * reference.stateDim, (j + 1) * reference.stateDim));
  });
}

test('history-adam: each row is the history, then Adam\'s m̂/√v̂ computed by hand, then the raw gradient', () => {
  const H = 2;
  const features = new AdamRatioHistory(H, 'adagrad');
  const history = new CoordinateHistory(H, 'adagrad');
  // 3H observed history entries, the ratio observed after them, the raw gradient last (not observed).
  assert.equal(features.observationDim, 3 * H + 1);
  assert.equal(features.stateDim, 3 * H + 2);
  assert.equal(features.ratioIndex, 3 * H);
  assert.equal(features.rawGradientIndex, 3 * H + 1);
  eachRow(features, history, (t, j, row, own) => {
    assert.deepEqual([...row.subarray(0, 3 * H)], [...own.subarray(0, 3 * H)], `t ${t}, coordinate ${j}: the history's entries`);
    assertClose([row[3 * H]], [RATIOS[t][j]], 1e-12, `t ${t}, coordinate ${j}: the ratio`);
    assert.equal(row[3 * H + 1], G[t][j], `t ${t}, coordinate ${j}: the raw gradient`);
  });
  // Padding: the ratio never is; the history's entries keep their own rule, shifted past it.
  assert.equal(features.isPadding(3 * H, 0), false);
  for (let i = 0; i < 3 * H; i++) assert.equal(features.isPadding(i, 0), history.isPadding(i, 0));
  assert.equal(features.isPadding(3 * H + 1, 0), history.isPadding(3 * H, 0));
});

test('history-adam without gradient scaling: the raw gradient is the history\'s lag-0 entry, before the ratio', () => {
  const features = createCoordinateFeatures('history-adam', 3, 'none');
  assert.equal(features.stateDim, 10);
  assert.equal(features.observationDim, 10);
  assert.equal(features.rawGradientIndex, 0);
  features.push(Float64Array.of(0), 1, Float64Array.of(-4));
  const row = features.statesInto(new Float64Array(10), 1);
  assert.equal(row[0], -4);
  assert.equal(row[9], -1); // a single gradient: m̂ = g, v̂ = g², ratio sign(g)
});

test('history-adam over more rows than one block of the history: each row is the history\'s own state, the ratio inserted', () => {
  // 600 coordinates span three of statesInto's 256-row blocks, which the history writes at the wider stride.
  const H = 3;
  const dim = 600;
  for (const scaling of ['adagrad', 'none'] as const) {
    const features = new AdamRatioHistory(H, scaling);
    const history = new CoordinateHistory(H, scaling);
    const own = new Float64Array(history.stateDim);
    for (let t = 0; t < 5; t++) {
      const x = Float64Array.from({ length: dim }, (_, j) => Math.sin(j + t));
      const gradient = Float64Array.from({ length: dim }, (_, j) => Math.cos(3 * j - t) * (1 + j / dim));
      features.push(x, 5 - t, gradient);
      history.push(x, 5 - t, gradient);
      const rows = features.statesInto(new Float64Array(dim * features.stateDim).fill(NaN), dim);
      for (let j = 0; j < dim; j++) {
        history.stateOf(j, own);
        const row = [...rows.subarray(j * features.stateDim, (j + 1) * features.stateDim)];
        const expected = [...own.subarray(0, features.ratioIndex), features.ratio(j), ...own.subarray(features.ratioIndex)];
        assert.deepEqual(row, expected, `${scaling}, t ${t}, coordinate ${j}`);
      }
    }
  }
});

test('history-adam-mean: after the ratio, the mean |m̂/√v̂| over all coordinates (by hand), the same in every row; the raw gradient moves one on', () => {
  const H = 2;
  const features = createCoordinateFeatures('history-adam-mean', H, 'adagrad');
  const plain = new AdamRatioHistory(H, 'adagrad');
  assert.equal(features.observationDim, 3 * H + 2);
  assert.equal(features.stateDim, 3 * H + 3);
  assert.equal(features.rawGradientIndex, 3 * H + 2);
  eachRow(features, plain, (t, j, row, own) => {
    const mean = RATIOS[t].reduce((sum, r) => sum + Math.abs(r), 0) / RATIOS[t].length;
    assert.deepEqual([...row.subarray(0, 3 * H + 1)], [...own.subarray(0, 3 * H + 1)], `t ${t}, coordinate ${j}: history-adam's entries`);
    assertClose([row[3 * H + 1]], [mean], 1e-12, `t ${t}, coordinate ${j}: the pooled ratio`);
    assert.equal(row[3 * H + 2], G[t][j], `t ${t}, coordinate ${j}: the raw gradient`);
  });
  assert.equal(features.isPadding(3 * H + 1, 0), false);
  assert.equal(features.isPadding(3 * H + 2, 0), plain.isPadding(3 * H + 1, 0));
});
