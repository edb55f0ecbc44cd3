// A pool of worker threads for independent work items, each worker with its own tfjs backend (the
// wasm backend is single-threaded in Node, so more cores means more threads). A task is an exported
// function of a module, named by the module's URL, so that the pool needs to know nothing of the
// layers above it. Items are pure functions of their payloads and every random draw in them comes
// from a stream named by the item, so results are identical for any number of workers; with one
// worker, items run in this thread through the very same functions. With several, this thread is
// one of them: it would otherwise wait idle while the others compute (docs/design.md §4).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { sweepArrayBuffersInline } from './array-buffer-sweeping.ts';

/** A task: the URL of a module (import.meta.url of its file) and the name of an exported function. */
export interface TaskRef {
  module: string;
  name: string;
}

/** A pool of workers for independent items (createPool); results are the same for any size. */
export interface TaskPool {
  /** Threads running items at once, this one included unless the pool was made without it; 1 means this thread alone. */
  readonly size: number;
  run<T>(task: TaskRef, payload: unknown): Promise<T>;
  /** Runs every payload, results in payload order. */
  map<T>(task: TaskRef, payloads: unknown[]): Promise<T[]>;
  /** Resolves once every worker thread is up (benchmarks time items apart from the threads' start). */
  started?(): Promise<void>;
  /**
   * Runs an item on a worker thread, never this one, behind whatever that worker holds: for an item
   * that works beside this thread while it computes (split-gradient.ts's helper). Absent for a pool
   * without worker threads.
   */
  runOnWorker?<T>(task: TaskRef, payload: unknown): Promise<T>;
  /** Runs the task once in every thread of the pool, this one included if it runs items (diagnostics: memory readings). */
  everyThread?<T>(task: TaskRef, payload: unknown): Promise<T[]>;
  close(): Promise<void>;
}

/** The default worker count: the cores this process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

export interface PoolOptions {
  /**
   * Whether this thread runs items beside workers - 1 worker threads (the default), or stays free
   * while `workers` threads run them: a process that must answer on time between items (a queue
   * worker renewing its jobs' locks) keeps its thread free.
   */
  callingThread?: boolean;
  /**
   * Whether each worker thread initializes its tfjs backend as it starts (the default), or only when an
   * item needs it (registry.ts familyFromSpec, parallel-runs.ts policyFromSpec): a pool that runs only
   * plain-JavaScript families and hand-designed optimizers then never loads tfjs in its workers, about
   * a quarter second of each one's start.
   */
  tfjs?: boolean;
}

/** A pool of `workers` threads running items, this one among them by default, or this thread alone for 1; close() it when done. */
export function createPool(workers: number = defaultWorkers(), options: PoolOptions = {}): TaskPool {
  if (!Number.isInteger(workers) || workers < 1) throw new UserError(`workers must be a positive integer, got ${workers}`);
  sweepArrayBuffersInline();
  if (workers === 1) return new InProcessPool();
  const callingThread = options.callingThread ?? true;
  return new ThreadPool(workers, callingThread ? workers - 1 : workers, callingThread, options.tfjs ?? true);
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
  /**
   * Once sent, whether a thread has taken the item: the worker sets it to 1 as it starts the item,
   * this thread to 2 when it takes the item back to run it itself (queued items of a pool whose
   * calling thread runs items; see send).
   */
  claim?: Int32Array;
}

/** The message that sends a worker an item; `claim` is the item's shared claim cell, when it has one. */
export interface WorkerItem {
  id: number;
  task: TaskRef;
  payload: unknown;
  claim?: SharedArrayBuffer;
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

/** One worker thread: ready once its backend is up, with the items sent to it and not yet answered. */
interface Thread {
  worker: Worker;
  ready: boolean;
  sent: Map<number, Pending>;
}

// A worker gets more than one item only while this thread runs one and more than one is queued: its
// reply, and so its next item, waits until this thread's item ends, and the items already sent keep
// the worker busy meanwhile; with one item left, this thread may be the first free to take it. Up
// to six: this thread's items run 10-100 ms in a GPS iteration, and with two in hand the worker
// still idled 10-15% of it waiting for the next (docs/performance.md, session 27). An item sent but
// not started is taken back when this thread runs out of items (steal), so the last items of a map
// do not wait behind a busy worker while this thread idles.
const MAX_SENT = 6;

class ThreadPool implements TaskPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  /** Whether this thread is running an item (or about to). */
  private localBusy = false;
  /** Why a worker thread died while idle: every later item fails with it rather than wait forever. */
  private broken: Error | null = null;
  /** Threads started to replace ones that died with an item. */
  private replaced = 0;
  private readonly allStarted: Promise<void>;
  private onStarted = () => {};

  constructor(
    readonly size: number,
    private readonly workers: number,
    private readonly callingThread: boolean,
    private readonly tfjs: boolean,
  ) {
    this.allStarted = new Promise((resolve) => (this.onStarted = resolve));
    for (let i = 0; i < workers; i++) this.spawn();
  }

  started(): Promise<void> {
    return this.allStarted;
  }

  private spawn(): void {
    // Compiled, a worker runs worker.js; from source, worker-entry.mjs registers tsx in it first.
    const entry = import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './worker.js';
    const worker = new Worker(new URL(entry, import.meta.url), { stderr: false, workerData: { tfjs: this.tfjs } });
    const thread: Thread = { worker, ready: false, sent: new Map() };
    // Workers must not keep the process alive between items: the pool is closed explicitly, and an
    // idle worker is unref'd so a forgotten close() cannot hang the process. A starting one stays
    // ref'd, so that `await pool.started()` is not cut short, and is unref'd once ready and idle;
    // unref() before the 'message' listener would not hold, as attaching it refs the port again.
    worker.on('message', (reply: WorkerReply | { ready: true }) => {
      if ('ready' in reply) {
        // Items wait here, not in a starting thread's inbox, so this thread can take them meanwhile.
        thread.ready = true;
        if (thread.sent.size === 0) worker.unref();
        if (this.threads.every((t) => t.ready)) this.onStarted();
        this.dispatch();
      } else this.settle(thread, reply);
    });
    // An exception that escaped the worker's loop (the thread ends); a UserError stays one here too.
    worker.on('error', (error: unknown) => this.fail(thread, error instanceof Error ? rebuildError(error) : new Error(String(error))));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(thread, new Error(`a worker thread exited with code ${code}`));
    });
    this.threads.push(thread);
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

  runOnWorker<T>(task: TaskRef, payload: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.threads.length === 0) return Promise.reject(new Error('the worker pool has no worker threads'));
    const thread = this.threads.reduce((best, t) => (t.sent.size < best.sent.size ? t : best));
    return new Promise<T>((resolve, reject) => this.send(thread, { task, payload, resolve: resolve as (value: unknown) => void, reject }));
  }

  everyThread<T>(task: TaskRef, payload: unknown): Promise<T[]> {
    // Past the queue, straight to each thread; it runs after the items it was already sent.
    const runs = this.threads.map((thread) => new Promise<T>((resolve, reject) => this.send(thread, { task, payload, resolve: resolve as (value: unknown) => void, reject })));
    if (this.callingThread) runs.unshift(runTask(task, payload) as Promise<T>);
    return Promise.all(runs);
  }

  private dispatch(): void {
    // Idle workers first, then this thread, then a second item for each worker while this thread is busy.
    for (const thread of this.threads) if (thread.ready && thread.sent.size === 0 && this.queue.length > 0) this.send(thread);
    if (this.callingThread && !this.localBusy && this.queue.length > 0) {
      this.localBusy = true;
      // Later, not now: dispatch runs inside run() and message handlers, which must return first.
      setImmediate(() => void this.runLocal());
    }
    if (!this.localBusy) return;
    for (const thread of this.threads) if (thread.ready && thread.sent.size < MAX_SENT && this.queue.length > 1) this.send(thread);
  }

  /**
   * Sends `item` to `thread`, or without one the next queued item: that one this thread may take back
   * (steal) when it runs items itself; an item addressed to a thread (runOnWorker, everyThread) stays there.
   */
  private send(thread: Thread, item?: Pending): void {
    const stealable = item === undefined && this.callingThread;
    item ??= this.queue.shift()!;
    const id = this.nextId++;
    thread.sent.set(id, item);
    thread.worker.ref();
    const message: WorkerItem = { id, task: item.task, payload: item.payload };
    if (stealable) {
      message.claim = new SharedArrayBuffer(4);
      item.claim = new Int32Array(message.claim);
    }
    thread.worker.postMessage(message);
  }

  /**
   * An item sent to a worker that has not started it (one queued behind the item it runs), taken back
   * for this thread: whoever flips its claim cell first runs it, and the worker skips it.
   */
  private steal(): Pending | undefined {
    for (const thread of this.threads) {
      const waiting = [...thread.sent].slice(1).reverse();
      for (const [id, item] of waiting) {
        if (item.claim && Atomics.compareExchange(item.claim, 0, 0, 2) === 0) {
          thread.sent.delete(id);
          return item;
        }
      }
    }
    return undefined;
  }

  /** Runs queued items in this thread, yielding between them so the workers' replies get through. */
  private async runLocal(): Promise<void> {
    for (;;) {
      const item = this.queue.shift() ?? this.steal();
      if (!item) break;
      // Top the workers up before this thread is taken for a while.
      this.dispatch();
      try {
        item.resolve(await runTask(item.task, item.payload));
      } catch (err) {
        item.reject(err instanceof Error ? err : new Error(String(err)));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.localBusy = false;
  }

  private settle(thread: Thread, reply: WorkerReply): void {
    const item = thread.sent.get(reply.id);
    if (!item) return;
    thread.sent.delete(reply.id);
    if (thread.sent.size === 0) thread.worker.unref();
    if (reply.ok) item.resolve(reply.result);
    else item.reject(rebuildError(reply.error));
    this.dispatch();
  }

  private fail(thread: Thread, error: Error): void {
    // 'error' and then 'exit' both report one death; the first one counts.
    const index = this.threads.indexOf(thread);
    if (index < 0) return;
    this.threads.splice(index, 1);
    if (this.threads.every((t) => t.ready)) this.onStarted();
    const items = [...thread.sent.values()];
    thread.sent.clear();
    if (items.length > 0) {
      // The item it was running fails; one merely sent to it goes back to the queue.
      items[0].reject(error);
      this.queue.unshift(...items.slice(1));
      // A thread that died with an item (a crash, process.exit in a task) is replaced, so the items
      // queued behind it still run; a pool whose threads keep dying gives up instead of looping.
      if (!this.closed && !this.broken && this.replaced < 2 * this.workers) {
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
      await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
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
