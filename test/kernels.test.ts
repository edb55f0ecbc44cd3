import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SoftplusMlpKernel } from '../src/kernels/softplus-mlp.ts';
import { softplus } from '../src/vector.ts';
import { mahalanobisDistances, productNT, softplusLayer, weightedMoments } from '../src/kernels/float64-kernels.ts';
import { ROOT } from './helpers.ts';


test('the committed wasm modules are the compiled src/kernels/*.wat', () => {
  // Exits 1 with a message when one differs: a .wat edited without `npm run kernels`.
  execFileSync(process.execPath, ['scripts/compile-kernels.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' });
});

/** A kernel holding a network of one input and one hidden unit: μ = w2·(softplus(w1·z + b1) − softplus(b1)). */
function oneUnit(w1: number, b1: number, w2: number, scale = 1, bound = 1e6): SoftplusMlpKernel {
  return new SoftplusMlpKernel({
    inputs: 1,
    hidden: 1,
    W1: Float64Array.of(w1),
    b1: Float64Array.of(b1),
    W2: Float64Array.of(w2),
    inputScale: Float64Array.of(scale),
    inputBound: Float64Array.of(bound),
  });
}

test("the kernel's softplus is within 3e-7 of float64 over float32's range, and keeps NaN and ±Infinity", () => {
  const kernel = oneUnit(1, 0, 1);
  const xs = new Float32Array(200_003);
  for (let i = 0; i < 200_000; i++) xs[i] = -100 + i * 0.001;
  xs.set([1e-30, -1e-30, 3e38], 200_000);
  const ys = kernel.softplus(xs);
  let worst = 0;
  xs.forEach((x, i) => {
    const exact = softplus(x);
    worst = Math.max(worst, Math.abs(ys[i] - exact) / Math.max(1, exact));
  });
  assert.ok(worst < 3e-7, `worst error ${worst}`);
  const special = kernel.softplus(Float32Array.of(Number.NaN, Infinity, -Infinity, 0));
  assert.ok(Number.isNaN(special[0]));
  assert.equal(special[1], Infinity);
  assert.ok(special[2] >= 0 && special[2] < 1e-37, 'exp(−|a|) is capped at exp(−87)');
  assert.ok(Math.abs(special[3] - Math.LN2) < 3e-7);
});

test('the kernel computes μ by hand on one unit: scaled, clipped input, anchored softplus, output weight', () => {
  // z = clip(s / 2, ±1.5): s = 1 → 0.5, s = 10 → 1.5 (clipped), s = −10 → −1.5, s = 0 → 0.
  const kernel = oneUnit(0.8, -0.3, 1.7, 2, 1.5);
  const states = Float64Array.of(1, 99, 10, 99, -10, 99, 0, 99); // width 2: the second entry is not read
  const mu = kernel.forward(states, 4, 2);
  const expected = [0.5, 1.5, -1.5, 0].map((z) => 1.7 * (softplus(0.8 * z - 0.3) - softplus(-0.3)));
  expected.forEach((e, r) => assert.ok(Math.abs(mu[r] - e) < 1e-6, `row ${r}: ${mu[r]} vs ${e}`));
  assert.equal(mu[3], 0, 'a zero state is no step');
  assert.throws(() => kernel.forward(states, 5, 2), RangeError);
});

test('a kernel loaded with new weights computes what a fresh one does, and refuses another shape', () => {
  const kernel = oneUnit(0.8, -0.3, 1.7, 2, 1.5);
  const states = Float64Array.of(1, 10, -10, 0.3);
  const weights = { inputs: 1, hidden: 1, W1: Float64Array.of(-1.1), b1: Float64Array.of(0.4), W2: Float64Array.of(0.6), inputScale: Float64Array.of(0.5), inputBound: Float64Array.of(3) };
  kernel.load(weights);
  assert.deepEqual(kernel.forward(states, 4, 1), new SoftplusMlpKernel(weights).forward(states, 4, 1));
  assert.throws(() => kernel.load({ ...weights, inputs: 2, W1: Float64Array.of(1, 2), inputScale: Float64Array.of(1, 1), inputBound: Float64Array.of(1, 1) }), RangeError);
});

test("rows written into the kernel's input() give what a copy of them gives, and a later, larger input grows the memory", () => {
  const kernel = oneUnit(0.8, -0.3, 1.7, 2, 1.5);
  const states = Float64Array.of(1, 99, 10, 99, -10, 99, 0, 99);
  const expected = kernel.forward(states, 4, 2);
  const rows = kernel.input(4, 2);
  rows.set(states);
  assert.deepEqual(kernel.forward(rows, 4, 2), expected);
  // Far more rows than the memory held: a new view, the same numbers for the first four.
  const many = kernel.input(20_000, 2);
  many.fill(0).set(states);
  assert.deepEqual(kernel.forward(many, 20_000, 2).subarray(0, 4), expected);
});

test('the float64 product kernel computes A·Bᵀ, odd and even sizes alike, in place of the sums written out', () => {
  let seed = 1;
  const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  // Every parity of m, n and k (the kernel's 2×2 blocks, its odd last row and column, its odd k),
  // the GPS's own shapes, and a Gram matrix (b = a, copied once).
  for (const [m, n, k] of [[1, 1, 1], [2, 2, 2], [3, 5, 7], [4, 3, 6], [23, 26, 23], [26, 26, 23], [49, 49, 161]]) {
    const a = Float64Array.from({ length: m * k }, next);
    const b = Float64Array.from({ length: n * k }, next);
    for (const [right, rows] of [[b, n], [a, m]] as const) {
      const got = productNT(a, right, m, rows, k);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < rows; j++) {
          let want = 0;
          for (let p = 0; p < k; p++) want += a[i * k + p] * right[j * k + p];
          assert.ok(Math.abs(got[i * rows + j] - want) <= 1e-13 * Math.max(1, k), `${m}×${k}·(${rows}×${k})ᵀ at (${i}, ${j}): ${got[i * rows + j]} vs ${want}`);
        }
      }
    }
  }
  // A larger product than the module's first page of memory, then a small one again: the heap grows
  // and the views over it follow.
  const big = Float64Array.from({ length: 300 * 200 }, next);
  const gram = productNT(big, big, 300, 300, 200);
  let want = 0;
  for (let p = 0; p < 200; p++) want += big[299 * 200 + p] * big[p];
  assert.ok(Math.abs(gram[299 * 300] - want) < 1e-12);
  assert.deepEqual(Array.from(productNT(Float64Array.of(2, 3), Float64Array.of(4, 5), 1, 1, 2)), [23]);
  assert.throws(() => productNT(new Float64Array(3), new Float64Array(4), 2, 2, 2), RangeError);
});

test('the float64 softplus pass is within 4 ulp of Math.log1p/Math.exp, sigmoid too, and lays out both transposes', () => {
  const special = [-1000, -708, -700, -40, -20, -3, -1, -0.5, -1e-10, -0, 0, 1e-10, 0.5, 0.8813, 1, 3, 20, 40, 700, Infinity, NaN];
  const x = Float64Array.from([...special, ...Array.from({ length: 40_001 }, (_, i) => (i - 20_000) / 500)]);
  const n = x.length;
  const sp = new Float64Array(n);
  const spT = new Float64Array(n);
  const slopeT = new Float64Array(n);
  softplusLayer(x, 1, n, sp, spT, slopeT);
  for (let i = 0; i < n; i++) {
    const e = Math.exp(-Math.abs(x[i]));
    const want = Math.max(x[i], 0) + Math.log1p(e);
    const wantSlope = (x[i] >= 0 ? 1 : e) / (1 + e);
    if (Number.isNaN(x[i])) {
      assert.ok(Number.isNaN(sp[i]) && Number.isNaN(slopeT[i]));
      continue;
    }
    if (x[i] === Infinity) {
      assert.ok(sp[i] === Infinity && slopeT[i] === 1);
      continue;
    }
    // Below −708 the kernel holds exp(−|x|) at exp(−708) ≈ 3e-308: absolute, not relative, agreement.
    const tolerance = (v: number) => Math.max(4 * Number.EPSILON * Math.abs(v), 1e-307);
    assert.ok(Math.abs(sp[i] - want) <= tolerance(want), `softplus(${x[i]}): ${sp[i]} vs ${want}`);
    assert.ok(Math.abs(slopeT[i] - wantSlope) <= tolerance(wantSlope), `sigmoid(${x[i]}): ${slopeT[i]} vs ${wantSlope}`);
  }
  // 3×5 (an odd number of columns): sp row-major, spT and slopeT its transposes.
  const grid = Float64Array.from({ length: 15 }, (_, i) => i - 7);
  const [a, b, c] = [new Float64Array(15), new Float64Array(15), new Float64Array(15)];
  softplusLayer(grid, 3, 5, a, b, c);
  for (let r = 0; r < 3; r++) {
    for (let j = 0; j < 5; j++) {
      const v = grid[r * 5 + j];
      assert.ok(Math.abs(a[r * 5 + j] - (Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))))) < 1e-15);
      assert.equal(b[j * 3 + r], a[r * 5 + j]);
      assert.ok(Math.abs(c[j * 3 + r] - 1 / (1 + Math.exp(-v))) < 1e-15);
    }
  }
});

test("the mixtures' kernels: Mahalanobis distances through a triangular L⁻¹ and weighted moments (a symmetric product) equal the sums written out", () => {
  let seed = 7;
  const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (const [N, D, K] of [[1, 1, 1], [5, 3, 2], [20, 49, 3], [33, 26, 4], [7, 8, 1]]) {
    const points = Float64Array.from({ length: N * D }, next);
    const means = Array.from({ length: K }, () => Float64Array.from({ length: D }, next));
    const inverses = Array.from({ length: K }, () => {
      const M = new Float64Array(D * D);
      for (let i = 0; i < D; i++) for (let p = 0; p <= i; p++) M[i * D + p] = next() + (p === i ? 2 : 0);
      return M;
    });
    const distances = mahalanobisDistances(points, N, D, means, inverses, new Float64Array(N * K));
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        let want = 0;
        for (let i = 0; i < D; i++) {
          let s = 0;
          for (let p = 0; p <= i; p++) s += inverses[k][i * D + p] * (points[n * D + p] - means[k][p]);
          want += s * s;
        }
        assert.ok(Math.abs(distances[n * K + k] - want) <= 1e-12 * Math.max(1, want), `N ${N} D ${D}: distance (${n}, ${k}) ${distances[n * K + k]} vs ${want}`);
      }
    }
    const weights = Array.from({ length: K }, () => {
      const w = Float64Array.from({ length: N }, () => Math.abs(next()));
      const total = w.reduce((a, b) => a + b, 0);
      return w.map((v) => v / total);
    });
    const moments = weightedMoments(points, N, D, [...weights, null]);
    assert.equal(moments[K], null);
    weights.forEach((w, k) => {
      const { mean, covariance } = moments[k]!;
      for (let i = 0; i < D; i++) {
        let m = 0;
        for (let n = 0; n < N; n++) m += w[n] * points[n * D + i];
        assert.ok(Math.abs(mean[i] - m) < 1e-14, `mean ${i}`);
      }
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) {
          let c = 0;
          for (let n = 0; n < N; n++) c += w[n] * (points[n * D + i] - mean[i]) * (points[n * D + j] - mean[j]);
          assert.ok(Math.abs(covariance[i * D + j] - c) < 1e-14, `N ${N} D ${D}: covariance (${i}, ${j}) ${covariance[i * D + j]} vs ${c}`);
        }
      }
    });
  }
});
