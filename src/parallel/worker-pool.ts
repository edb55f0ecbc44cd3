// A pool of worker threads for independent work items, each worker with its own tfjs backend (the
// wasm backend is single-threaded in Node, so more cores means more threads). A task is an exported
// function of a module, named by the module's URL, so that the pool needs to know nothing of the
// layers above it. Items are pure functions of their payloads and every random draw in them comes
// from a stream named by the item, so results are identical for any number of workers; with one
// worker, items run in this thread through the very same functions.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.ts';

/** A task: the URL of a module (import.meta.url of its file) and the name of an exported function. */
export interface TaskRef {
  module: string;
  name: string;
}

/** A pool of workers for independent items (createPool); results are the same for any size. */
export interface TaskPool {
  /** Workers running items at once; 1 means in this thread. */
  readonly size: number;
  run<T>(task: TaskRef, payload: unknown): Promise<T>;
  /** Runs every payload, results in payload order. */
  map<T>(task: TaskRef, payloads: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The default worker count: the cores this process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** A pool of `workers` worker threads, or this thread alone for 1; close() it when done. */
export function createPool(workers: number = defaultWorkers()): TaskPool {
  if (!Number.isInteger(workers) || workers < 1) throw new UserError(`workers must be a positive integer, got ${workers}`);
  return workers === 1 ? new InProcessPool() : new ThreadPool(workers);
}

type TaskFunction = (payload: unknown) => unknown;
const modules = new Map<string, Promise<Record<string, unknown>>>();

/** Loads (once) and calls a task; shared by the in-process pool and the worker threads. */
export async function runTask(task: TaskRef, payload: unknown): Promise<unknown> {
  let loaded = modules.get(task.module);
  if (!loaded) {
    loaded = import(task.module) as Promise<Record<string, unknown>>;
    modules.set(task.module, loaded);
  }
  const fn = (await loaded)[task.name];
  if (typeof fn !== 'function') throw new Error(`task ${task.name} is not exported by ${task.module}`);
  return (fn as TaskFunction)(payload);
}

class InProcessPool implements TaskPool {
  readonly size = 1;

  async run<T>(task: TaskRef, payload: unknown): Promise<T> {
    return (await runTask(task, payload)) as T;
  }

  async map<T>(task: TaskRef, payloads: unknown[]): Promise<T[]> {
    const results: T[] = [];
    for (const payload of payloads) results.push(await this.run<T>(task, payload));
    return results;
  }

  async close(): Promise<void> {}
}

interface Pending {
  task: TaskRef;
  payload: unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** What a worker sends back for one item. */
export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WorkerError };

/** An error as a worker sends it: a UserError is sent by name (its subclasses keep that name). */
export interface WorkerError {
  name: string;
  message: string;
  stack?: string;
  hint?: string;
}

class ThreadPool implements TaskPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending & { id: number }>();
  private nextId = 0;
  private closed = false;
  /** Why a worker thread died while idle: every later item fails with it rather than wait forever. */
  private broken: Error | null = null;
  /** Threads started to replace ones that died with an item. */
  private replaced = 0;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    // Compiled, a worker runs worker.js; from source, worker-entry.mjs registers tsx in it first.
    const entry = import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './worker.js';
    const worker = new Worker(new URL(entry, import.meta.url), { stderr: false });
    // Workers must not keep the process alive between items: the pool is closed explicitly, and an
    // idle worker is unref'd so a forgotten close() cannot hang the CLI.
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.settle(worker, reply));
    // An exception that escaped the worker's loop (the thread ends); a UserError stays one here too.
    worker.on('error', (error: unknown) => this.fail(worker, error instanceof Error ? rebuildError(error) : new Error(String(error))));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(worker, new Error(`a worker thread exited with code ${code}`));
    });
    this.all.push(worker);
    this.idle.push(worker);
  }

  run<T>(task: TaskRef, payload: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ task, payload, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  map<T>(task: TaskRef, payloads: unknown[]): Promise<T[]> {
    return Promise.all(payloads.map((payload) => this.run<T>(task, payload)));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const item = this.queue.shift()!;
      const id = this.nextId++;
      this.running.set(worker, { ...item, id });
      worker.ref();
      worker.postMessage({ id, task: item.task, payload: item.payload });
    }
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    const item = this.running.get(worker);
    if (!item || item.id !== reply.id) return;
    this.running.delete(worker);
    worker.unref();
    this.idle.push(worker);
    if (reply.ok) item.resolve(reply.result);
    else item.reject(rebuildError(reply.error));
    this.dispatch();
  }

  private fail(worker: Worker, error: Error): void {
    // 'error' and then 'exit' both report one death; the first one counts.
    const index = this.all.indexOf(worker);
    if (index < 0) return;
    this.all.splice(index, 1);
    const item = this.running.get(worker);
    this.running.delete(worker);
    // A dead thread takes no more items (an idle one would otherwise be handed items that never settle).
    const idle = this.idle.indexOf(worker);
    if (idle >= 0) this.idle.splice(idle, 1);
    if (item) {
      item.reject(error);
      // A thread that died with an item (a crash, process.exit in a task) is replaced, so the items
      // queued behind it still run; a pool whose threads keep dying gives up instead of looping.
      if (!this.closed && !this.broken && this.replaced < 2 * this.size) {
        this.replaced++;
        this.spawn();
        this.dispatch();
        return;
      }
      this.broken ??= new Error(`worker threads keep dying (${this.replaced} replaced); last: ${error.message}`);
    }
    // Died between items (an exception from a timer it left behind), or too many deaths: the pool is broken.
    this.broken ??= error;
    for (const queued of this.queue.splice(0)) queued.reject(this.broken);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const item of this.queue.splice(0)) item.reject(new Error('the worker pool was closed'));
    // A timer holds the event loop open until the threads are gone: terminate()'s promise does not,
    // and with the threads unref'd the loop could end first, taking the CLI's top-level await with it
    // (exit code 13 and no message, in about 1 of 15 runs of an eval whose family throws).
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await Promise.all(this.all.map((worker) => worker.terminate()));
    } finally {
      clearInterval(keepAlive);
    }
  }
}

/** A worker's error as the caller would have seen it in-process: a UserError stays one, with its hint and the worker's stack. */
function rebuildError(error: WorkerError | Error): Error {
  // UserError's subclasses (NonFiniteError, …) keep its name, so one test covers them all.
  const rebuilt = error.name === 'UserError' ? new UserError(error.message, { hint: (error as WorkerError).hint }) : new Error(error.message);
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}
