import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { tf } from '../src/tf.ts';
import { loadCifar10, loadCifar100 } from '../src/data/cifar.ts';
import { loadFer2013, parseFer2013Csv } from '../src/data/fer2013.ts';
import { loadTfd } from '../src/data/tfd.ts';
import { DATA_DIR_ENV, defaultDataDir, resolveDataDir } from '../src/data/data-dir.ts';
import { downloadVerified } from '../src/data/downloader.ts';
import { installDataset, loadDataset, type Dataset } from '../src/data/datasets.ts';
import { fitProjection, applyProjection } from '../src/data/projection.ts';
import { UserError } from '../src/errors.ts';
import { initBackend } from '../src/backend.ts';
import { createFamily } from '../envs/registry.ts';
import { Rng } from '../src/random.ts';
import { SHARED_DATA, scratchDir } from './helpers.ts';

const SHARED = SHARED_DATA;

function histogram(labels: Int32Array, classes: number): number[] {
  const h = new Array(classes).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

test('CIFAR-10, CIFAR-100 and FER2013 from the shared subsets: counts from file size, official labels and pixels', () => {
  const train = loadCifar10('train', SHARED);
  assert.equal(train.labels.length, statSync(join(SHARED, 'cifar-10-batches-bin/data_batch_1.bin')).size / 3073);
  assert.deepEqual(Array.from(train.labels.subarray(0, 10)), [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
  // The published first red values of official data_batch_1 image 0.
  assert.deepEqual(Array.from(train.inputs.subarray(0, 5), (v) => Math.round(v * 255)), [59, 43, 50, 68, 98]);
  const test10 = loadCifar10('test', SHARED);
  assert.deepEqual(Array.from(test10.labels.subarray(0, 10)), [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
  assert.equal(test10.inputDim, 3072);
  if (train.labels.length === 1000) assert.deepEqual(histogram(train.labels, 10), [102, 112, 99, 92, 99, 85, 107, 102, 99, 103]);

  const fine = loadCifar100('train', SHARED);
  const coarse = loadCifar100('train', SHARED, 'coarse');
  assert.equal(fine.classes, 100);
  assert.equal(coarse.classes, 20);
  // The official fine→coarse map, checked on the first records.
  const fineToCoarse = [4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11, 6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5, 5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17, 10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13, 16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13];
  for (let i = 0; i < 50; i++) assert.equal(coarse.labels[i], fineToCoarse[fine.labels[i]]);

  const fer = loadFer2013('train', SHARED);
  assert.equal(fer.inputDim, 2304);
  assert.equal(fer.labels.length, statSync(join(SHARED, 'fer2013-bin/train.bin')).size / 2305);
  if (fer.labels.length === 1500) assert.deepEqual(histogram(fer.labels, 7), [233, 65, 241, 249, 248, 241, 223]);
  assert.deepEqual(histogram(loadFer2013('test', SHARED).labels, 7).length, 7);
});

test('a truncated dataset file, a missing one and TFD each give a clear error', () => {
  const dir = scratchDir('l2o-data-');
  mkdirSync(join(dir, 'cifar-10-batches-bin'));
  const bytes = readFileSync(join(SHARED, 'cifar-10-batches-bin/test_batch.bin'));
  writeFileSync(join(dir, 'cifar-10-batches-bin/test_batch.bin'), bytes.subarray(0, bytes.length - 100));
  assert.throws(() => loadCifar10('test', dir), (e: Error) => e instanceof UserError && /not a whole number of CIFAR-10 records.*truncated/.test(e.message));
  assert.throws(() => loadCifar10('train', dir), /has no data_batch_1.bin; run `l2o data download cifar10/);
  assert.throws(() => loadCifar100('test', dir), /no .*test.bin; run `l2o data download cifar100/);
  assert.throws(() => loadFer2013('test', dir), /fer2013.csv.*Kaggle/);
  assert.throws(() => loadTfd(), (e: Error) => e instanceof UserError && /not publicly distributed.*fer2013/.test(e.message));
});

test('FER2013 CSV: the canonical file gives the same records as the binary layout; malformed rows name their line', () => {
  const binary = loadFer2013('test', SHARED);
  const rows = ['emotion,pixels,Usage'];
  for (let r = 0; r < 5; r++) {
    const pixels = Array.from(binary.inputs.subarray(r * 2304, (r + 1) * 2304), (v) => Math.round(v * 255));
    rows.push(`${binary.labels[r]},${pixels.join(' ')},PrivateTest`);
    rows.push(`${binary.labels[r]},${pixels.join(' ')},Training`);
    rows.push(`0,${pixels.join(' ')},PublicTest`);
  }
  const csv = parseFer2013Csv(rows.join('\n') + '\n', 'test', 'fer2013.csv');
  assert.deepEqual(Array.from(csv.labels), Array.from(binary.labels.subarray(0, 5)));
  assert.deepEqual(csv.inputs, binary.inputs.subarray(0, 5 * 2304));
  assert.equal(parseFer2013Csv(rows.join('\n'), 'train', 'f').labels.length, 5);
  const truncated = rows.join('\n').slice(0, -3000);
  assert.throws(() => parseFer2013Csv(truncated, 'test', 'fer2013.csv'), /fer2013.csv:16: .*truncated or malformed/);
  assert.throws(() => parseFer2013Csv('a,b\n', 'test', 'x.csv'), /expected the header 'emotion,pixels,Usage'/);
});

test('data directory: --data-dir, else $L2O_DATA_DIR, else the per-user cache', () => {
  const saved = process.env[DATA_DIR_ENV];
  try {
    process.env[DATA_DIR_ENV] = '/tmp/from-env';
    assert.equal(resolveDataDir('/tmp/from-flag'), '/tmp/from-flag');
    assert.equal(resolveDataDir(), '/tmp/from-env');
    delete process.env[DATA_DIR_ENV];
    assert.equal(resolveDataDir(), defaultDataDir());
    assert.match(defaultDataDir(), /learn-to-optimize/);
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = saved;
  }
});

/** A loopback server for one payload; `mode` decides how the next response misbehaves. */
async function payloadServer(payload: Buffer) {
  const state = { mode: 'ok' as 'ok' | 'corrupt' | 'truncate', requests: [] as (string | undefined)[] };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(req.headers.range);
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    let body = payload.subarray(start);
    if (state.mode === 'corrupt') body = Buffer.from(body.map((b, i) => (i === 1000 ? b ^ 0xff : b)));
    res.writeHead(match ? 206 : 200, { 'Content-Length': body.length, ...(match ? { 'Content-Range': `bytes ${start}-${payload.length - 1}/${payload.length}` } : {}) });
    if (state.mode === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => res.destroy(), 20); // the connection drops mid-transfer
      return;
    }
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return { state, url: `http://127.0.0.1:${port}/archive.tar.gz`, close: () => new Promise((ok) => server.close(ok)) };
}

test('downloader on loopback: verifies SHA-256, resumes a truncated transfer by Range, deletes a corrupted one, unpacks and loads', async () => {
  const work = scratchDir('l2o-download-');
  // A real archive in the canonical layout, made from the shared CIFAR-10 subset.
  mkdirSync(join(work, 'src/cifar-10-batches-bin'), { recursive: true });
  for (const f of ['data_batch_1.bin', 'test_batch.bin']) copyFileSync(join(SHARED, 'cifar-10-batches-bin', f), join(work, 'src/cifar-10-batches-bin', f));
  await tar.c({ gzip: true, file: join(work, 'archive.tar.gz'), cwd: join(work, 'src') }, ['cifar-10-batches-bin']);
  const payload = readFileSync(join(work, 'archive.tar.gz'));
  const sha256 = createHash('sha256').update(payload).digest('hex');
  const server = await payloadServer(payload);
  try {
    const file = { url: server.url, bytes: payload.length, sha256 };
    const dest = join(work, 'cache/a.tar.gz');

    // Nothing received (nothing listens there): no empty file or folder is left behind.
    await assert.rejects(downloadVerified({ ...file, url: 'http://127.0.0.1:1/none.tar.gz' }, join(work, 'gone/deep/a.tar.gz')), UserError);
    assert.ok(!existsSync(join(work, 'gone')), 'the folders made for a download that never began are removed');

    server.state.mode = 'corrupt';
    await assert.rejects(downloadVerified(file, dest), (e: Error) => e instanceof UserError && /SHA-256 .* does not match.*deleted/.test(e.message));
    assert.ok(!existsSync(dest) && !existsSync(`${dest}.part`));

    server.state.mode = 'truncate';
    await assert.rejects(downloadVerified(file, dest), /interrupted after \d+ of \d+ bytes.*kept: run the command again to resume/);
    const kept = statSync(`${dest}.part`).size;
    assert.ok(kept > 0 && kept < payload.length, `partial file of ${kept} bytes`);
    server.state.mode = 'ok';
    server.state.requests.length = 0;
    assert.equal(await downloadVerified(file, dest), 'downloaded');
    assert.deepEqual(server.state.requests, [`bytes=${kept}-`]);
    assert.deepEqual(readFileSync(dest), payload);
    assert.equal(await downloadVerified(file, dest), 'cached');
    assert.equal(server.state.requests.length, 1, 'a verified file is not fetched again');

    const dataDir = join(work, 'data');
    const dataset: Dataset = {
      name: 'cifar10-loopback',
      description: '',
      inputDim: 3072,
      classes: 10,
      load: loadCifar10,
      locations: () => [],
      downloads: [{ ...file, file: 'downloads/cifar-10-binary.tar.gz', unpacksTo: 'cifar-10-batches-bin' }],
    };
    const lines: string[] = [];
    await installDataset(dataset, dataDir, (line) => lines.push(line));
    assert.match(lines.join('\n'), /downloaded, SHA-256 verified[\s\S]*unpacked into/);
    assert.deepEqual(loadCifar10('test', dataDir).labels, loadCifar10('test', SHARED).labels);
  } finally {
    await server.close();
  }
});

test('random projection: unit variance per dimension on the training split, fixed by its seed', async () => {
  await initBackend();
  const train = loadDataset('cifar10', 'train', SHARED);
  const projection = fitProjection(train, 8, 'p');
  const projected = applyProjection(train, projection);
  const n = train.labels.length;
  for (let j = 0; j < 8; j++) {
    let mean = 0;
    let square = 0;
    for (let r = 0; r < n; r++) {
      mean += projected.inputs[r * 8 + j] / n;
      square += projected.inputs[r * 8 + j] ** 2 / n;
    }
    assert.ok(Math.abs(mean) < 1e-3 && Math.abs(square - mean * mean - 1) < 1e-3, `dim ${j}: mean ${mean}, variance ${square - mean * mean}`);
  }
  assert.deepEqual(fitProjection(train, 8, 'p').matrix, projection.matrix);
  assert.notDeepEqual(fitProjection(train, 8, 'q').matrix, projection.matrix);
});

test('image-mlp family: Li & Malik 2017 shape on projected CIFAR-10 and FER2013; finite loss and gradient; no tensor leak', async () => {
  await initBackend();
  for (const dataset of ['cifar10', 'fer2013', 'cifar100']) {
    const family = createFamily('image-mlp', { dataset, dataDir: SHARED, trainSize: 2, testSize: 2 });
    const classes = dataset === 'cifar100' ? 100 : dataset === 'fer2013' ? 7 : 10;
    assert.equal(family.dim, 48 * 48 + 48 + 48 * classes + classes);
    const objective = family.sample('test', 1);
    const x = objective.start(new Rng('image-mlp'));
    const before = tf.memory().numTensors;
    const { value, gradient } = objective.evaluate(x);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Number.isFinite(value) && Math.abs(value - Math.log(classes)) < 2, `${dataset}: initial loss ${value}`);
    assert.ok(gradient.every(Number.isFinite) && gradient.some((g) => g !== 0));
    objective.dispose?.();
  }
  assert.throws(() => createFamily('image-mlp', { dataset: 'svhn' }), /unknown dataset 'svhn'/);
});

test('image-mlp images=all: every instance trains on both splits; its full-data loss is the two splits\' losses weighted by their sizes', async () => {
  await initBackend();
  const params = { dataset: 'fer2013', dataDir: SHARED, trainSize: 1, testSize: 1 };
  const pooled = createFamily('image-mlp', { ...params, images: 'all' });
  const separate = createFamily('image-mlp', params);
  const [train, test] = [loadDataset('fer2013', 'train', SHARED).labels.length, loadDataset('fer2013', 'test', SHARED).labels.length];
  const before = tf.memory().numTensors;
  for (const split of ['train', 'test'] as const) {
    const objective = pooled.sample(split, 0);
    const [ownTrain, ownTest] = (['train', 'test'] as const).map((s) => separate.sample(s, 0));
    // The start depends on the instance alone, so the same x for both families.
    const x = objective.start(new Rng('images-all'));
    assert.deepEqual(x, (split === 'train' ? ownTrain : ownTest).start(new Rng('images-all')));
    const [onTrain, onTest] = [ownTrain.fullValue!(x), ownTest.fullValue!(x)];
    const expected = (train * onTrain + test * onTest) / (train + test);
    const value = objective.fullValue!(x);
    assert.ok(Math.abs(value - expected) < 1e-5 * expected, `${split}: ${value} against ${expected}`);
    assert.ok(Math.abs(onTrain - onTest) > 1e-3, 'the two splits differ, so a wrong pooling would show');
    for (const o of [objective, ownTrain, ownTest]) o.dispose?.();
  }
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => createFamily('image-mlp', { ...params, images: 'both' }), /images must be split or all, got 'both'/);
});

test('image-mlp batchSizes: instance i draws minibatches of the (i mod k)-th size, as batchSize=that size would', async () => {
  await initBackend();
  const params = { dataset: 'fer2013', dataDir: SHARED, trainSize: 3, testSize: 0 };
  const cycling = createFamily('image-mlp', { ...params, batchSizes: '64, 10' });
  const [of64, of10] = [64, 10].map((batchSize) => createFamily('image-mlp', { ...params, batchSize }));
  const before = tf.memory().numTensors;
  for (const [index, same, other] of [[0, of64, of10], [1, of10, of64], [2, of64, of10]] as const) {
    const [objective, expected, unexpected] = [cycling, same, other].map((f) => f.sample('train', index));
    // start() draws the instance's minibatch stream as well as x: the same x for all three.
    const [x] = [objective, expected, unexpected].map((o) => o.start(new Rng('batch-sizes')));
    const value = objective.evaluate(x).value;
    assert.equal(value, expected.evaluate(x).value, `instance ${index}`);
    assert.notEqual(value, unexpected.evaluate(x).value, `instance ${index}: the other size gives another loss`);
    for (const o of [objective, expected, unexpected]) o.dispose?.();
  }
  assert.equal(tf.memory().numTensors, before);
  for (const bad of ['64,0', '64,x', '10.5']) {
    assert.throws(() => createFamily('image-mlp', { ...params, batchSizes: bad }), /batchSizes must be comma-separated positive integers/);
  }
});
