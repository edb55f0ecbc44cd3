// The loop of one pool worker: run each item it is sent and reply with its result or its error.
// The tfjs backend is chosen at start by the same rule as in the main thread (backend.ts:
// L2O_BACKEND, inherited, else the first that loads), so a worker computes what the main thread
// would; the worker then says it is ready, and the pool sends it items from then on. A pool started
// without tfjs (PoolOptions.tfjs) skips it: the items that need a backend initialize it themselves.
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type WorkerItem, type WorkerReply } from './worker-pool.ts';

const backend: Promise<unknown> = (workerData as { tfjs?: boolean } | null)?.tfjs === false ? Promise.resolve() : import('../backend.ts').then(({ initBackend }) => initBackend());
// Ready even when the backend failed: the first item then fails with its error, as the main thread's would.
void backend.then(
  () => parentPort!.postMessage({ ready: true }),
  () => parentPort!.postMessage({ ready: true }),
);

// The pool may send a second item before the first is answered; items run one after the other.
let previous: Promise<void> = Promise.resolve();
parentPort!.on('message', (item: WorkerItem) => {
  previous = previous.then(() => runItem(item));
});

async function runItem({ id, task, payload, claim }: WorkerItem): Promise<void> {
  // The main thread may have taken the item back while it waited here (worker-pool.ts, steal).
  if (claim && Atomics.compareExchange(new Int32Array(claim), 0, 0, 1) !== 0) return;
  let reply: WorkerReply;
  try {
    await backend;
    reply = { id, ok: true, result: await runTask(task, payload) };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const hint = (error as { hint?: unknown }).hint;
    reply = { id, ok: false, error: { name: error.name, message: error.message, stack: error.stack, ...(typeof hint === 'string' ? { hint } : {}) } };
  }
  try {
    parentPort!.postMessage(reply);
  } catch (err) {
    // A result that cannot cross to the main thread (a function in it, say) fails its item alone.
    parentPort!.postMessage({ id, ok: false, error: { name: 'Error', message: `task ${task.name}'s result cannot be sent back: ${(err as Error).message}` } });
  }
}
