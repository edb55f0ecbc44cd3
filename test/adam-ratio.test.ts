// Adam's ratio m̂/√v̂ (envs/adam-ratio.ts) with its v̂ held from step 40 on ('held'), against
// Adam's own ('ema'): the same number through step 40, never a larger gain after it, and a rule
// linear in it stays at a minimum it reached where Adam's leaves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamRatio, RATIO_HOLD_STEP } from '../envs/adam-ratio.ts';
import { FullStateView, fullStateDim } from '../envs/full-state-features.ts';
import { createCoordinateFeatures } from '../envs/coordinate-features.ts';

test('held: Adam’s ratio through step 40; then, on vanishing gradients, m̂ over the v̂ of step 40 while Adam’s v̂ falls', () => {
  const ema = new AdamRatio('ema');
  const held = new AdamRatio('held');
  const N = RATIO_HOLD_STEP;
  // g = 1 for N steps gives v = 1 − 0.999^N, so v̂ = 1 exactly, and m̂ = 1.
  for (let t = 1; t <= N; t++) {
    ema.push([1]);
    held.push([1]);
    assert.equal(held.ratio(0), ema.ratio(0), `step ${t}`);
  }
  assert.ok(Math.abs(held.ratio(0) - 1) < 1e-12);
  // Then k = 10 zero gradients: m̂ = 0.9^k (1 − 0.9^N) / (1 − 0.9^(N+k)) for both; held divides it by
  // √1, Adam by √(0.999^k (1 − 0.999^N) / (1 − 0.999^(N+k))).
  for (let k = 1; k <= 10; k++) {
    ema.push([0]);
    held.push([0]);
  }
  const mHat = (0.9 ** 10 * (1 - 0.9 ** N)) / (1 - 0.9 ** (N + 10));
  const emaVHat = (0.999 ** 10 * (1 - 0.999 ** N)) / (1 - 0.999 ** (N + 10));
  assert.ok(Math.abs(held.ratio(0) - mHat) < 1e-12, `held ${held.ratio(0)} against ${mHat}`);
  assert.ok(Math.abs(ema.ratio(0) - mHat / Math.sqrt(emaVHat)) < 1e-12, `ema ${ema.ratio(0)} against ${mHat / Math.sqrt(emaVHat)}`);
  assert.ok(ema.ratio(0) > held.ratio(0) * 1.1, 'Adam’s gain has grown by more than 10 per cent');
  // A gradient larger than any before raises the held v̂ to Adam's again.
  ema.push([30]);
  held.push([30]);
  assert.ok(Math.abs(held.ratio(0) - ema.ratio(0)) < 1e-12);
});

/** f = ½(x − c)ᵀA(x − c) with coupled coordinates, so that ∇f rounds to tiny nonzero values at the minimum. */
function ratioRule(kind: 'ema' | 'held', lr: number, steps: number): number[] {
  const [a, b, c0, c1] = [1, 0.9, 0.3, 0.7];
  const f = (x: number[]) => {
    const d = [x[0] - c0, x[1] - c1];
    return 0.5 * (a * d[0] * d[0] + 2 * b * d[0] * d[1] + a * d[1] * d[1]);
  };
  const ratio = new AdamRatio(kind);
  let x = [1.3, -0.4];
  const values = [f(x)];
  for (let t = 1; t <= steps; t++) {
    const d = [x[0] - c0, x[1] - c1];
    ratio.push([a * d[0] + b * d[1], b * d[0] + a * d[1]]);
    x = [x[0] - lr * ratio.ratio(0), x[1] - lr * ratio.ratio(1)];
    values.push(f(x));
  }
  return values;
}

test('a step linear in the ratio (Adam without ε) reaches the minimum of a coupled quadratic; Adam’s own v̂ later leaves it, the held one stays', () => {
  const ema = ratioRule('ema', 0.03, 4000);
  const held = ratioRule('held', 0.03, 4000);
  assert.deepEqual(held.slice(0, RATIO_HOLD_STEP + 1), ema.slice(0, RATIO_HOLD_STEP + 1), 'the same run through step 40');
  assert.ok(Math.min(...ema.slice(0, 1001)) < 1e-20, 'Adam’s run reaches the minimum');
  assert.ok(Math.max(...ema.slice(1000)) > 1e-12, `then leaves it: ${Math.max(...ema.slice(1000))}`);
  assert.ok(Math.max(...held.slice(1000)) < 1e-25, `held, it stays: ${Math.max(...held.slice(1000))}`);
});

test('history-adam-held carries the held ratio in both views, where history-adam carries Adam’s', () => {
  assert.equal(fullStateDim('history-adam-held', 2, 1), fullStateDim('history-adam', 2, 1));
  const views = { ema: new FullStateView('history-adam', 'none', 1, 1), held: new FullStateView('history-adam-held', 'none', 1, 1) };
  const rows = { ema: createCoordinateFeatures('history-adam', 1, 'none'), held: createCoordinateFeatures('history-adam-held', 1, 'none') };
  const ratios = { ema: new AdamRatio('ema'), held: new AdamRatio('held') };
  const gradients = [...Array(RATIO_HOLD_STEP).fill(1), 0, 0, 0];
  for (const g of gradients) {
    for (const kind of ['ema', 'held'] as const) {
      ratios[kind].push([g]);
      const observed = views[kind].next(Float64Array.of(0, g));
      assert.equal(observed[2], ratios[kind].ratio(0));
      rows[kind].push(Float64Array.of(0), 0, Float64Array.of(g));
    }
  }
  for (const kind of ['ema', 'held'] as const) {
    const row = rows[kind].statesInto(new Float64Array(rows[kind].stateDim), 1);
    assert.ok(row.includes(ratios[kind].ratio(0)), `${kind}: the per-coordinate row holds its ratio`);
  }
  assert.notEqual(ratios.ema.ratio(0), ratios.held.ratio(0));
});
