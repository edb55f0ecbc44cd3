// A TaskPool whose items are BullMQ jobs, run by `l2o worker` processes on any machine
// (docs/scale-out.md). The code that splits work into items (src/evaluate/parallel-runs.ts) does not
// change: it gets this pool instead of the worker threads, and since an item is a pure function of
// its payload, the results are the same.
// - A job carries the task's key and the payload, both small (settings, seeds, paths), and its id is
//   derived from them and from the code (job-id.ts): resubmitting an item joins the job already
//   there, and a finished one's result is reused (a rerun after the submitter died collects what was
//   done).
// - Results are the jobs' return values in Redis; this process polls the jobs' states, so it needs no
//   event stream and loses nothing when Redis restarts. A job that vanished (a Redis that kept
//   nothing) is added again. A collected job is removed (a flow's jobs with their parent).
// - A flow (runFlow) is a parent job that a worker runs once its children are done: a sweep's summary
//   over its items. A child that fails fails the parent, and the child's error is reported.
// - A job that throws fails at once, with no retry: items are deterministic, so a retry would throw
//   the same. Only a job whose worker died is retried, by BullMQ's stalled-job check (queue-worker.ts).
import type { FlowProducer, Queue } from 'bullmq';
import { UserError } from '../errors.ts';
import type { TaskPool, TaskRef } from '../parallel/worker-pool.ts';
import { decodeValue, encodeValue } from './codec.ts';
import { connectionReason, QUEUE_PREFIX, queueName, type QueueConnection } from './connection.ts';
import { codeFingerprint, jobId } from './job-id.ts';
import { taskKey } from './task-key.ts';

/** What a job carries. */
export interface JobData {
  /** The task, as task-key.ts names it. */
  task: string;
  /** The payload, encoded (codec.ts). */
  payload: unknown;
  /** What the item is, for people: printed by workers and in an error. */
  label: string;
  /** The submitter's code (job-id.ts): a worker with other code refuses the job. */
  code: string;
  /** A flow's parent: its children's job ids; the task gets their results, in this order, as `payload.results`. */
  children?: string[];
}

/** How a worker reports a job's error (the failed job's reason, as JSON). */
export interface JobError {
  name: string;
  message: string;
  hint?: string;
  worker: string;
}

/** Finished jobs nobody collected are kept this long (a rerun reuses them), then Redis drops them. */
const KEEP_SECONDS = 7 * 24 * 3600;
/** Jobs whose state is checked per poll, oldest first: workers take jobs in that order. */
const POLL_BATCH = 256;
/** The poll's interval: 100 ms while jobs finish, doubling to 1 s while none does (256 waiting jobs polled every 100 ms were about 17,000 Redis commands a second). */
const POLL_MS = 100;
const MAX_POLL_MS = 1_000;
/** How long Redis may be unreachable before this run gives up (its jobs stay; a rerun collects them). */
export const OUTAGE_LIMIT_MS = 5 * 60_000;

interface Item {
  id: string;
  name: string;
  data: JobData;
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** Whether the job is known to be in Redis for this run (added, or found there). */
  submitted: boolean;
  /** The flow it belongs to, which is added (and removed) as a whole. */
  flow?: Flow;
}

/** A parent job that runs once its children are done (a BullMQ flow). */
interface Flow {
  parent: Item;
  children: Item[];
  /** Its submission under way: the poll checks every item of a flow at once, and one submission serves them all. */
  submitting?: Promise<void>;
}

export interface QueuePoolOptions {
  /**
   * How many ways to split work (TaskPool.size): runProblemsOn makes about four items per unit.
   * Results do not depend on it.
   */
  size: number;
  /** Names an item for people, e.g. which optimizer on which instances; the task's name by default. */
  describe?: (task: TaskRef, payload: unknown) => string;
  /** Hears of the connection being lost and coming back, and of jobs no worker takes (one line each). */
  onStatus?: (line: string) => void;
  /** After this long with jobs waiting and none running or finished, onStatus asks whether workers run (default 30 s). */
  idleWarningMs?: number;
}

/** A TaskPool on the queue, which can also run a flow: a parent item that runs once its children are done. */
export interface QueueTaskPool extends TaskPool {
  /**
   * Queues the children and a parent that a worker runs once they are all done, with their results
   * as `payload.results` (in the children's order). Each child's promise settles as it finishes; a
   * child that fails fails the parent.
   */
  runFlow<P, C>(parent: { task: TaskRef; payload: Record<string, unknown> }, children: { task: TaskRef; payload: unknown }[]): { parent: Promise<P>; children: Promise<C>[] };
}

/** A TaskPool on the queue (close() it): each item is a job for `l2o worker`. */
export async function createQueuePool(connection: QueueConnection, options: QueuePoolOptions): Promise<QueueTaskPool> {
  const { Queue, FlowProducer } = await import('bullmq');
  // Requests fail fast while Redis is away, and the poll below retries them: so an outage is noticed and bounded.
  const redis = { ...connection.options, maxRetriesPerRequest: 1 };
  // The queue's event stream (which nothing here reads) kept to 1,000 entries: BullMQ trims it only as
  // the queue is used, and a build's queue is not used again once the code changes (about 4 MB).
  const queue: Queue = new Queue(queueName(), { prefix: QUEUE_PREFIX, connection: redis, streams: { events: { maxLen: EVENTS_KEPT } } });
  return new QueuePool(queue, () => new FlowProducer({ prefix: QUEUE_PREFIX, connection: redis }), connection.address.display, options);
}

/** Entries of the queue's event stream that Redis keeps. */
export const EVENTS_KEPT = 1_000;

const JOB_OPTIONS = { attempts: 1, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS } };

class QueuePool implements QueueTaskPool {
  readonly size: number;
  private readonly items = new Map<string, Item>();
  /** Unsettled items, oldest first. */
  private pending: Item[] = [];
  private interval = POLL_MS;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  /** The poll under way, which close() lets finish before it closes the connection. */
  private polled: Promise<void> = Promise.resolve();
  private closed = false;
  private failed = false;
  private outageSince: number | null = null;
  private connectionError: unknown = null;
  /** When a job last finished or was seen running (or the pool started); null once warned. */
  private lastActivity: number | null = Date.now();

  private flows: FlowProducer | null = null;

  constructor(
    private readonly queue: Queue,
    private readonly flowProducer: () => FlowProducer,
    private readonly display: string,
    private readonly options: QueuePoolOptions,
  ) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new Error(`a queue pool's size must be a positive integer, got ${options.size}`);
    this.size = options.size;
    // Connection errors also fail the requests below; the last one says why better than a request's
    // 'max retries' (and without a listener they would crash the process).
    queue.on('error', (error) => (this.connectionError = error));
  }

  run<T>(task: TaskRef, payload: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the queue pool is closed'));
    const item = this.item(task, payload);
    if (!this.items.has(item.id)) this.track(item);
    return this.items.get(item.id)!.promise as Promise<T>;
  }

  runFlow<P, C>(parent: { task: TaskRef; payload: Record<string, unknown> }, children: { task: TaskRef; payload: unknown }[]): { parent: Promise<P>; children: Promise<C>[] } {
    if (this.closed) throw new Error('the queue pool is closed');
    const kids = children.map((c) => this.item(c.task, c.payload));
    if (new Set(kids.map((k) => k.id)).size !== kids.length) throw new Error('a flow has the same child twice');
    if (kids.some((k) => this.items.has(k.id))) throw new Error("a flow's child is queued already");
    const top = this.item(parent.task, parent.payload, kids.map((k) => k.id));
    const flow: Flow = { parent: top, children: kids };
    for (const item of [...kids, top]) {
      item.flow = flow;
      this.track(item);
    }
    return { parent: top.promise as Promise<P>, children: kids.map((k) => k.promise as Promise<C>) };
  }

  /** A new item for a task and payload; its id is the job's (a flow's parent's includes its children's). */
  private item(task: TaskRef, payload: unknown, children?: string[]): Item {
    const key = taskKey(task);
    const encoded = encodeValue(payload);
    const id = jobId(key, children ? { payload: encoded, children } : encoded);
    let resolve!: (value: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const label = this.options.describe?.(task, payload) ?? task.name;
    const data: JobData = { task: key, payload: encoded, label, code: codeFingerprint(), ...(children ? { children } : {}) };
    return { id, name: task.name, data, promise, resolve, reject, submitted: false };
  }

  private track(item: Item): void {
    this.items.set(item.id, item);
    this.pending.push(item);
    this.interval = POLL_MS; // new work: its submission and early results come at the short interval
    this.schedule(0);
  }

  map<T>(task: TaskRef, payloads: unknown[]): Promise<T[]> {
    return Promise.all(payloads.map((payload) => this.run<T>(task, payload)));
  }

  private schedule(delay: number): void {
    if (this.timer || this.polling || this.closed || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polled = this.poll();
    }, delay);
  }

  private async poll(): Promise<void> {
    this.polling = true;
    const waiting = this.pending.length;
    try {
      await Promise.all(this.pending.slice(0, POLL_BATCH).map((item) => this.check(item)));
      this.connectionError = null;
      await this.warnIfIdle();
      if (this.outageSince !== null) {
        this.outageSince = null;
        this.options.onStatus?.(`the queue at ${this.display} answers again`);
      }
    } catch (error) {
      if (!this.closed) this.outage(error);
    } finally {
      this.polling = false;
      this.pending = this.pending.filter((item) => this.items.get(item.id) === item && !settled.has(item));
      this.interval = this.pending.length < waiting ? POLL_MS : Math.min(2 * this.interval, MAX_POLL_MS);
      this.schedule(this.interval);
    }
  }

  /** Jobs wait, and no worker has taken one for a while: say so once (a run with no workers would wait silently). */
  private async warnIfIdle(): Promise<void> {
    if (this.lastActivity === null || this.pending.length === 0) return;
    if ((await this.queue.getActiveCount()) > 0) this.lastActivity = Date.now();
    else if (Date.now() - this.lastActivity > (this.options.idleWarningMs ?? 30_000)) {
      this.lastActivity = null;
      this.options.onStatus?.(`no worker has taken a job from ${this.display} for ${(this.options.idleWarningMs ?? 30_000) / 1000} s; start \`l2o worker --queue ${this.display}\` where it can reach the queue, with this build of l2o (code ${codeFingerprint()}: a worker of other code takes other jobs)`);
    }
  }

  private outage(requestError: unknown): void {
    const error = this.connectionError ?? requestError;
    const now = Date.now();
    if (this.outageSince === null) {
      this.outageSince = now;
      this.options.onStatus?.(`lost the queue at ${this.display} (${connectionReason(error)}); waiting up to ${OUTAGE_LIMIT_MS / 60_000} minutes for it`);
    } else if (now - this.outageSince > OUTAGE_LIMIT_MS) {
      const lost = new UserError(`lost the queue at ${this.display} for ${OUTAGE_LIMIT_MS / 60_000} minutes (${connectionReason(error)}); the jobs stay queued, so the same command collects them once it is back`);
      for (const item of this.pending) this.settle(item, lost);
    }
  }

  /** Adds the job (a no-op when it is there) unless done; then looks at its state and settles the item when it has finished. */
  private async check(item: Item): Promise<void> {
    if (!item.submitted && item.flow) return this.submitFlow(item.flow);
    if (!item.submitted) {
      const before = await this.queue.getJobState(item.id);
      if (before === 'unknown') await this.queue.add(item.name, item.data, { jobId: item.id, ...JOB_OPTIONS });
      // Failed in an earlier run: this run is a new attempt (a worker that kept dying, a bug since
      // fixed). A result from an earlier run is reused as it is.
      else if (before === 'failed') await (await this.queue.getJob(item.id))?.retry('failed');
      item.submitted = true;
      return;
    }
    const state = await this.queue.getJobState(item.id);
    if (state === 'unknown') {
      // Lost with a Redis that kept nothing, or removed by hand: added again (a flow as a whole).
      for (const lost of item.flow ? [item.flow.parent, ...item.flow.children] : [item]) lost.submitted = false;
    } else if (state === 'completed') {
      const job = await this.queue.getJob(item.id);
      if (!job) {
        item.submitted = false;
        return;
      }
      this.settle(item, decodeValue(job.returnvalue));
      // A flow goes as a whole, with its parent: a child removed alone would take its result from the parent.
      if (!item.flow) await this.queue.remove(item.id).catch(() => {});
      else if (item.flow.parent === item) await this.queue.remove(item.id, { removeChildren: true }).catch(() => {});
    } else if (state === 'failed') {
      const job = await this.queue.getJob(item.id);
      const reason = job?.failedReason ?? 'the job failed and was removed';
      // A flow's parent fails because a child did: the child's error is the one to report, for both.
      const child = item.flow?.parent === item ? item.flow.children.find((c) => reason === `child ${QUEUE_PREFIX}:${queueName()}:${c.id} failed`) : undefined;
      if (!child) return this.settle(item, jobError(item.data.label, reason));
      const error = jobError(child.data.label, (await this.queue.getJob(child.id))?.failedReason ?? reason);
      this.settle(child, error);
      this.settle(item, error);
    }
  }

  /** Adds a flow's jobs in one go (those there already are kept, and a finished child's result counts); a flow that failed before is added afresh. */
  private submitFlow(flow: Flow): Promise<void> {
    if (flow.parent.submitted) return Promise.resolve();
    flow.submitting ??= this.addFlow(flow).finally(() => (flow.submitting = undefined));
    return flow.submitting;
  }

  private async addFlow(flow: Flow): Promise<void> {
    const before = await this.queue.getJobState(flow.parent.id);
    if (before === 'failed') {
      await this.queue.remove(flow.parent.id, { removeChildren: true }).catch(() => 0);
      // A child of the failed flow still running (its lock held) keeps the flow from being removed,
      // and re-adding would leave its failed children failed: wait for it, and try on the next poll.
      if ((await this.queue.getJobState(flow.parent.id)) !== 'unknown') return;
    }
    if (before === 'unknown' || before === 'failed') {
      if (!this.flows) {
        this.flows = this.flowProducer();
        this.flows.on('error', () => {}); // connection errors fail the request below as well
      }
      await this.flows.add({
        name: flow.parent.name,
        queueName: queueName(),
        data: flow.parent.data,
        opts: { jobId: flow.parent.id, ...JOB_OPTIONS },
        children: flow.children.map((child) => ({ name: child.name, queueName: queueName(), data: child.data, opts: { jobId: child.id, ...JOB_OPTIONS, failParentOnFailure: true } })),
      });
    }
    for (const item of [flow.parent, ...flow.children]) item.submitted = true;
  }

  private settle(item: Item, result: unknown): void {
    if (settled.has(item)) return;
    settled.add(item);
    if (this.lastActivity !== null) this.lastActivity = Date.now();
    if (result instanceof Error) {
      this.failed = true;
      item.reject(result);
    } else item.resolve(result);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polled;
    // A failed run stops here: its jobs that no worker has started yet are withdrawn.
    if (this.failed) {
      const unsettled = [...this.items.values()].filter((item) => !settled.has(item) && item.submitted && (!item.flow || item.flow.parent === item));
      await Promise.all(unsettled.map((item) => this.queue.remove(item.id, { removeChildren: true }).catch(() => {})));
    }
    for (const item of this.items.values()) this.settle(item, new Error('the queue pool was closed'));
    await this.flows?.close().catch(() => {});
    await this.queue.close().catch(() => {});
  }
}

const settled = new WeakSet<Item>();

/** The error a failed job's reason stands for: the worker's error (a UserError stays one), named by the item. */
function jobError(label: string, reason: string): Error {
  let error: Partial<JobError> = {};
  try {
    error = JSON.parse(reason) as JobError;
  } catch {
    // Not thrown by a task: BullMQ's own reason, e.g. a job whose workers kept dying.
  }
  const message = typeof error.message === 'string' ? error.message : reason;
  const where = typeof error.worker === 'string' ? ` on worker ${error.worker}` : '';
  const text = `${label} failed${where}: ${message}`;
  return error.name === 'UserError' ? new UserError(text, { hint: error.hint }) : new Error(text);
}
