import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { columnsProduct, setExplicitTranspose } from '../src/tfjs-matmul.ts';
import { Rng } from '../src/random.ts';
import { assertClose } from './helpers.ts';

/** Element (i, j, …) of a row-major array of `shape`, read by hand. */
function at(values: Float32Array, shape: number[], index: number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + index[d];
  return values[flat];
}

test('slices and splits (the heap-to-heap Slice and SplitV kernels) read the right elements, contiguous or strided, and free their tensors', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const rng = new Rng('wasm-slice');
  const shape = [7, 9];
  const values = Float32Array.from(rng.normalVector(63));
  const x = tf.tensor2d(values, shape as [number, number]);
  const check = (begin: number[], size: number[]) => {
    const got = tf.tidy(() => tf.slice(x, begin, size).dataSync() as Float32Array);
    const want: number[] = [];
    for (let i = 0; i < size[0]; i++) for (let j = 0; j < size[1]; j++) want.push(at(values, shape, [begin[0] + i, begin[1] + j]));
    assert.deepEqual(Array.from(got), want, `slice at ${begin} of ${size}`);
  };
  check([2, 0], [3, 9]); // whole rows: contiguous
  check([0, 3], [7, 4]); // a column block: one copy per row
  check([5, 8], [2, 1]);
  check([1, 1], [0, 5]); // empty
  const rows = tf.split(x, [2, 5], 0);
  const columns = tf.split(x, [4, 3, 2], 1);
  assert.deepEqual(Array.from(rows[1].dataSync()), Array.from(values.subarray(18)));
  assert.deepEqual(
    Array.from(columns[1].dataSync()),
    Array.from({ length: 21 }, (_, k) => at(values, shape, [Math.floor(k / 3), 4 + (k % 3)])),
  );
  // Rank 3, strided: left to tfjs's own kernel.
  const cube = tf.tensor3d(Float32Array.from({ length: 24 }, (_, k) => k), [2, 3, 4]);
  assert.deepEqual(Array.from(tf.tidy(() => tf.slice(cube, [0, 1, 1], [2, 2, 2]).dataSync())), [5, 6, 9, 10, 17, 18, 21, 22]);
  tf.dispose([x, cube, ...rows, ...columns]);
  assert.equal(tf.memory().numTensors, before);
});

test("columnsProduct gives tf.matMul's value and gradients, and frees its tensors", async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const rng = new Rng('columns-product');
  const w = tf.tensor2d(Float32Array.from(rng.normalVector(6 * 5)), [6, 5]);
  const x = tf.tensor2d(Float32Array.from(rng.normalVector(5 * 40)), [5, 40]);
  const weights = tf.tensor2d(Float32Array.from(rng.normalVector(6 * 40)), [6, 40]);
  // A loss that weighs every output differently, so each gradient entry is checked.
  const run = (mode: 'auto' | false) => {
    setExplicitTranspose(mode);
    try {
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(columnsProduct(a as tf.Tensor2D, b as tf.Tensor2D), weights)))([w, x]);
      const out = { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
      tf.dispose([value, ...grads]);
      return out;
    } finally {
      setExplicitTranspose('auto');
    }
  };
  const ours = run('auto');
  const plain = run(false);
  assert.ok(Math.abs(ours.value - plain.value) <= 1e-5 * Math.abs(plain.value), `${ours.value} vs ${plain.value}`);
  ours.grads.forEach((g, i) => assertClose(g, plain.grads[i], 1e-5, `gradient ${i}`));
  // And tf.matMul is what it claims to be: the value by hand.
  const wv = w.dataSync(), xv = x.dataSync(), mv = weights.dataSync();
  let byHand = 0;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 40; j++) {
    let z = 0;
    for (let k = 0; k < 5; k++) z += wv[i * 5 + k] * xv[k * 40 + j];
    byHand += z * mv[i * 40 + j];
  }
  assert.ok(Math.abs(ours.value - byHand) <= 1e-4 * Math.abs(byHand));
  tf.dispose([w, x, weights]);
  assert.equal(tf.memory().numTensors, before);
});

test('the wasm LSTM cell kernel gives the composed ops’ h, c and gradients, saturates, passes NaN, and frees its tensors', async () => {
  const { lstmCellOnWasm } = await import('../src/kernels/lstm-cell.ts');
  await initBackend();
  const before = tf.memory().numTensors;
  const rng = new Rng('lstm-cell');
  const H = 8;
  const n = 6;
  // Pre-activations over a wide range (|z| up to about 12), so both tails of σ and tanh are met.
  const z = tf.tensor2d(Float32Array.from(rng.normalVector(4 * H * n, 4)), [4 * H, n]);
  const c = tf.tensor2d(Float32Array.from(rng.normalVector(H * n)), [H, n]);
  const wh = tf.tensor2d(Float32Array.from(rng.normalVector(H * n)), [H, n]);
  const wc = tf.tensor2d(Float32Array.from(rng.normalVector(H * n)), [H, n]);
  // The reference: tfjs's own σ and tanh.
  const composed = (zz: tf.Tensor2D, cc: tf.Tensor2D) => {
    const [zi, zf, zg, zo] = tf.split(zz, 4, 0);
    const cNext = tf.add(tf.mul(tf.sigmoid(zf), cc), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
    return { h: tf.mul(tf.sigmoid(zo), tf.tanh(cNext)) as tf.Tensor2D, c: cNext };
  };
  const run = (cell: (zz: tf.Tensor2D, cc: tf.Tensor2D) => { h: tf.Tensor2D; c: tf.Tensor2D }) => {
    const { value, grads } = tf.valueAndGrads((zz: tf.Tensor, cc: tf.Tensor) => {
      const out = cell(zz as tf.Tensor2D, cc as tf.Tensor2D);
      return tf.add(tf.sum(tf.mul(out.h, wh)), tf.sum(tf.mul(out.c, wc)));
    })([z, c]);
    const forward = tf.tidy(() => {
      const out = cell(z, c);
      return [out.h.dataSync() as Float32Array, out.c.dataSync() as Float32Array];
    });
    const result = { value: value.dataSync()[0], forward, grads: grads.map((g) => g.dataSync() as Float32Array) };
    tf.dispose([value, ...grads]);
    return result;
  };
  const ours = run((zz, cc) => lstmCellOnWasm(zz, cc)!);
  const reference = run(composed);
  assertClose(ours.forward[0], reference.forward[0], 1e-6, 'h');
  assertClose(ours.forward[1], reference.forward[1], 1e-6, 'c');
  assertClose(ours.grads[0], reference.grads[0], 1e-5, 'dz');
  assertClose(ours.grads[1], reference.grads[1], 1e-5, 'dc');
  assert.ok(reference.grads[0].some((g) => Math.abs(g) > 1e-3), 'the reference gradient is not all zero');
  // Saturation and NaN: σ(±100) = 1, 0 and tanh(±100) = ±1 exactly enough; NaN stays NaN.
  const extreme = tf.tensor2d([100, -100, Number.NaN, 0, 100, -100, 0, 0, 100, -100, 0, 0, 100, 100, 100, 100], [4, 4]);
  const zeroC = tf.zeros([1, 4]) as tf.Tensor2D;
  const [h, cNext] = tf.tidy(() => {
    const out = lstmCellOnWasm(extreme, zeroC)!;
    return [Array.from(out.h.dataSync()), Array.from(out.c.dataSync())];
  });
  // c' = σ(z_i)·tanh(z_g) with c = 0: σ(100)·tanh(100) = 1, σ(−100)·tanh(−100) ≈ 0, NaN, 0.
  assert.ok(Math.abs(cNext[0] - 1) < 1e-6 && Math.abs(cNext[1]) < 1e-6 && Number.isNaN(cNext[2]) && cNext[3] === 0, `c' = ${cNext}`);
  assert.ok(Math.abs(h[0] - Math.tanh(1)) < 1e-6 && Number.isNaN(h[2]), `h = ${h}`);
  tf.dispose([z, c, wh, wc, extreme, zeroC]);
  assert.equal(tf.memory().numTensors, before);
});
