import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../src/parallel/worker-pool.ts';
import { UserError } from '../src/errors.ts';

const module = new URL('./fixtures/pool-tasks.ts', import.meta.url).href;
const task = (name: string) => ({ module, name });

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

test("a task's user error stays a UserError across the thread boundary, a bug stays a bug, and the pool keeps working", async () => {
  const pool = createPool(2);
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
  const pool = createPool(2);
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
