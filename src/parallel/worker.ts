// The loop of one pool worker: run each item it is sent and reply with its result or its error.
// The tfjs backend is chosen on the first item by the same rule as in the main thread (backend.ts:
// L2O_BACKEND, inherited, else the first that loads), so a worker computes what the main thread would.
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend.ts';
import { runTask, type TaskRef, type WorkerReply } from './worker-pool.ts';

let backend: Promise<string> | null = null;

parentPort!.on('message', async ({ id, task, payload }: { id: number; task: TaskRef; payload: unknown }) => {
  let reply: WorkerReply;
  try {
    backend ??= initBackend();
    await backend;
    reply = { id, ok: true, result: await runTask(task, payload) };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const hint = (error as { hint?: unknown }).hint;
    reply = { id, ok: false, error: { name: error.name, message: error.message, stack: error.stack, ...(typeof hint === 'string' ? { hint } : {}) } };
  }
  parentPort!.postMessage(reply);
});
