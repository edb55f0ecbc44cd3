import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../src/parallel/worker-pool.ts';
import { UserError } from '../src/errors.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { savePolicy } from '../src/gps/checkpoint.ts';
import { defaultGpsConfig } from '../src/gps/config.ts';
import { createCoordinateFeatures } from '../envs/coordinate-features.ts';
import { PolicyNetwork } from '../policies/policy-network.ts';
import { LstmPolicyNetwork } from '../policies/lstm-policy-network.ts';
import { Rng } from '../src/random.ts';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { moduleUrl, ROOT, scratchDir } from './helpers.ts';

const module = moduleUrl('test/fixtures/pool-tasks.ts');
const task = (name: string) => ({ module, name });
const tfjsTask = (name: string) => ({ module: moduleUrl('test/fixtures/tfjs-tasks.ts'), name });

test('a pool of workers returns what one thread returns, in payload order, typed arrays intact', async () => {
  const payloads = Array.from({ length: 9 }, (_, i) => ({ seed: `item-${i}`, count: 3 }));
  const one = createPool(1);
  const two = createPool(2);
  try {
    const alone = await one.map<number[]>(task('draws'), payloads);
    const shared = await two.map<number[]>(task('draws'), payloads);
    assert.deepEqual(shared, alone);
    assert.notDeepEqual(alone[0], alone[1], 'each item draws from its own stream');
    const squared = await two.run<Float64Array>(task('square'), Float64Array.of(1.5, -2, 1e-300));
    assert.ok(squared instanceof Float64Array);
    assert.deepEqual(Array.from(squared), [2.25, 4, 0]);
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});

test('from source (node --import tsx), worker threads register tsx themselves and run .ts tasks', () => {
  // npm test runs the compiled pool (worker.js); `npm run experiment` and the benchmarks run the
  // sources, whose threads start from worker-entry.mjs.
  // A script file, not -e: worker threads inherit the process's flags, and --input-type breaks theirs.
  const dir = scratchDir('l2o-pool-source-');
  const script = join(dir, 'source-pool.mjs');
  writeFileSync(script, `
    import { createPool } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/parallel/worker-pool.ts')).href)};
    const pool = createPool(2, { callingThread: false });
    await pool.started(); // else a thread ready first could take both items
    const module = ${JSON.stringify(pathToFileURL(join(ROOT, 'test/fixtures/pool-tasks.ts')).href)};
    const threads = await pool.map({ module, name: 'whichThread' }, [{ ms: 100 }, { ms: 100 }]);
    const squared = await pool.run({ module, name: 'square' }, Float64Array.of(3, -4));
    await pool.close();
    console.log(JSON.stringify({ threads, squared: Array.from(squared) }));`);
  let out: string;
  try {
    out = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { threads, squared } = JSON.parse(out.trim().split('\n').pop()!);
  assert.deepEqual(squared, [9, 16]);
  assert.equal(new Set(threads).size, 2, `both worker threads ran an item: ${threads}`);
  assert.ok(!threads.includes(0), 'no item ran in the calling thread');
});

test('a pool that is never closed does not keep the process alive, idle after its items or never given one', () => {
  // Ends with `await pool.started()` awaited in full (a worker unref'd while starting would let the
  // loop end first: exit code 13) and then exits by itself: within the timeout, with code 0.
  const dir = scratchDir('l2o-pool-forgotten-');
  const script = join(dir, 'forgotten-pool.mjs');
  const pool = pathToFileURL(join(ROOT, 'dist/src/parallel/worker-pool.js')).href;
  const tasks = pathToFileURL(join(ROOT, 'dist/test/fixtures/pool-tasks.js')).href;
  writeFileSync(script, `
    import { createPool } from ${JSON.stringify(pool)};
    const idle = createPool(3, { tfjs: false });
    await idle.started();
    const used = createPool(3, { tfjs: false });
    const squared = await used.map({ module: ${JSON.stringify(tasks)}, name: 'square' }, [Float64Array.of(2)]);
    console.log('done', squared[0][0]);`);
  const out = execFileSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(out.trim(), 'done 4');
});

test('a pool of two runs items in this thread and in one worker, both busy, and a pool without this thread in two workers', async () => {
  const items = Array.from({ length: 8 }, () => ({ ms: 150 }));
  for (const callingThread of [true, false]) {
    const pool = createPool(2, { callingThread });
    try {
      await pool.started!();
      const started = Date.now();
      const threads = await pool.map<number>(task('whichThread'), items);
      const seconds = (Date.now() - started) / 1000;
      const count = (id: number) => threads.filter((t) => t === id).length;
      assert.equal(count(0) > 0, callingThread, `this thread ran ${count(0)} of 8 items`);
      assert.equal(new Set(threads).size, 2, `two threads shared the items: ${threads}`);
      // Eight items of 0.15 s on two threads: 0.6 s when both stay busy, 1.2 s on one.
      assert.ok(seconds < 1.0, `8 × 0.15 s took ${seconds} s on two threads`);
    } finally {
      await pool.close();
    }
  }
});

test('a pool started without tfjs loads none in its worker until an item builds a family that computes with tfjs, which starts the backend there', async () => {
  const pool = createPool(2, { callingThread: false, tfjs: false });
  try {
    await pool.started!();
    const before = await pool.map<{ loaded: boolean }>(tfjsTask('tfjsState'), [{}, {}]);
    assert.deepEqual(before, [{ loaded: false }, { loaded: false }]);
    // A plain-JavaScript family leaves it unloaded; mlp-gaussians (a tfjs net) initializes the backend first, as the main thread would.
    assert.deepEqual(await pool.map(tfjsTask('buildFamily'), [{ env: 'logreg', params: {} }, { env: 'logreg', params: {} }]), [{ loaded: false }, { loaded: false }]);
    const after = await pool.map<{ loaded: boolean; backend?: string }>(tfjsTask('buildFamily'), [{ env: 'mlp-gaussians', params: {} }, { env: 'mlp-gaussians', params: {} }]);
    for (const state of after) assert.ok(state.loaded && ['tensorflow', 'wasm', 'cpu'].includes(state.backend!) && state.backend === (process.env.L2O_BACKEND ?? state.backend), JSON.stringify(after));
  } finally {
    await pool.close();
  }
});

test('a GPS run with an MLP policy loads no tfjs where it is evaluated, and one with an LSTM policy starts the backend first', async () => {
  const root = scratchDir('l2o-pool-policies-');
  const mlp = join(root, 'mlp');
  const lstm = join(root, 'lstm');
  for (const dir of [mlp, lstm]) mkdirSync(dir);
  const identity = { env: 'logreg', envParams: {} };
  // Full state on 3-d logreg (H = 5: 20 features, 3 outputs); per coordinate with the history features.
  savePolicy(mlp, identity, { ...defaultGpsConfig(false), features: 'history', historyLength: 5 }, 1, new PolicyNetwork(5 * (1 + 3), 8, 3, new Rng('mlp')));
  const inputs = createCoordinateFeatures('history', 2, 'adagrad').observationDim;
  savePolicy(lstm, identity, { ...defaultGpsConfig(true), metaObjective: 'final', historyLength: 2, policy: 'lstm' }, 1, new LstmPolicyNetwork(inputs, 4, 1, new Rng('lstm')));
  const pool = createPool(1, { callingThread: false, tfjs: false });
  try {
    assert.deepEqual(await pool.run(tfjsTask('loadPolicy'), { kind: 'gps', dir: mlp }), { loaded: false });
    const state = await pool.run<{ loaded: boolean; backend?: string }>(tfjsTask('loadPolicy'), { kind: 'gps', dir: lstm });
    assert.ok(state.loaded && ['tensorflow', 'wasm', 'cpu'].includes(state.backend!) && state.backend === (process.env.L2O_BACKEND ?? state.backend), JSON.stringify(state));
  } finally {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('an item queued behind a busy worker is taken back by this thread when it runs out of items', async () => {
  const pool = createPool(2);
  try {
    await pool.started!();
    // The worker gets the long item and, while this thread runs one, the next one queued behind it;
    // this thread finishes its short item first and takes that one back rather than idle.
    const started = Date.now();
    const threads = await pool.map<number>(task('whichThread'), [{ ms: 600 }, { ms: 100 }, { ms: 100 }]);
    const seconds = (Date.now() - started) / 1000;
    assert.notEqual(threads[0], 0, 'the worker ran the long item');
    assert.deepEqual(threads.slice(1), [0, 0], `this thread ran both short items (threads ${threads})`);
    assert.ok(seconds < 0.68, `0.6 s of work on the worker and 0.2 s here took ${seconds} s`);
    // The worker skips the item it lost and goes on with the next ones.
    assert.deepEqual(await pool.map<number[]>(task('draws'), [{ seed: 'x', count: 2 }, { seed: 'y', count: 2 }]), await createPool(1).map(task('draws'), [{ seed: 'x', count: 2 }, { seed: 'y', count: 2 }]));
  } finally {
    await pool.close();
  }
});

test("a task's user error stays a UserError across the thread boundary, a bug stays a bug, and the pool keeps working", async () => {
  const pool = createPool(2, { callingThread: false });
  try {
    await assert.rejects(pool.run(task('refuse'), { message: 'samples must be at least 2' }), (e: Error) => e instanceof UserError && e.message === 'samples must be at least 2');
    await assert.rejects(pool.run(task('crash'), null), (e: Error) => !(e instanceof UserError) && /a bug in a task/.test(e.message));
    assert.deepEqual(await pool.run(task('draws'), { seed: 'after', count: 1 }), (await createPool(1).run(task('draws'), { seed: 'after', count: 1 })));
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run(task('draws'), { seed: 'x', count: 1 }), /closed/);
  assert.throws(() => createPool(0), UserError);
});

test('a worker thread that dies while running an item fails that item, and a new thread takes the queued ones', async () => {
  const pool = createPool(2, { callingThread: false });
  try {
    // Both threads die at once; before replacement, the items queued behind them waited forever.
    // Each rejection is awaited from the start: the second thread can die while the first is awaited.
    const deaths = [pool.run(task('endThread'), null), pool.run(task('endThread'), null)].map((death) => assert.rejects(death, /exited with code 3/));
    const after = pool.map<number[]>(task('draws'), [{ seed: 'a', count: 2 }, { seed: 'b', count: 2 }, { seed: 'c', count: 2 }]);
    await Promise.all(deaths);
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('queued items never ran')), 20_000).unref());
    const results = (await Promise.race([after, timeout])) as number[][];
    const alone = createPool(1);
    assert.deepEqual(results, await alone.map(task('draws'), [{ seed: 'a', count: 2 }, { seed: 'b', count: 2 }, { seed: 'c', count: 2 }]));
  } finally {
    await pool.close();
  }
});
