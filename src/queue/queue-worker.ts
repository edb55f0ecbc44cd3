// The loop of `l2o worker` (docs/scale-out.md): takes jobs from the queue, runs each one's task on a
// local TaskPool (worker threads, or this thread), and returns its result or fails it.
// - A flow's parent (queue-pool.ts runFlow) runs once its children are done, and its task gets their
//   results as `payload.results`.
// - A job queued by other code (another version, an edit: job-id.ts) is refused, as a failure.
// - A task that throws fails its job at once (BullMQ's UnrecoverableError): items are deterministic,
//   so a retry would throw the same; the error goes back as JSON (queue-pool.ts reads it).
// - A worker that dies mid-job (killed, its machine gone) stops renewing the job's lock; after
//   `stalledAfterMs` another worker's stalled-job check puts the job back and it runs again, with the
//   same result. A job whose workers die more than `MAX_STALLS` times fails.
// - Jobs that block this thread longer than the lock (one thread, a long item) look stalled to the
//   others: with several threads the items run off this thread and the lock is renewed.
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import { firstLine, UserError } from '../errors.ts';
import type { TaskPool } from '../parallel/worker-pool.ts';
import { decodeValue, encodeValue } from './codec.ts';
import { connectionReason, QUEUE_PREFIX, queueName, type QueueConnection } from './connection.ts';
import type { JobData, JobError } from './queue-pool.ts';
import { taskFromKey } from './task-key.ts';
import { codeFingerprint } from './job-id.ts';

/** How many times a job may lose its worker and still run again. */
export const MAX_STALLS = 3;

export interface QueueWorkerOptions {
  /** Runs the jobs' tasks; its size is how many jobs run at once. */
  pool: TaskPool;
  /** A job whose worker stops renewing its lock for this long is given to another worker. */
  stalledAfterMs: number;
  /** One line per job started, finished or failed, and per connection lost or back. */
  log: (line: string) => void;
}

export interface QueueWorker {
  /** `host:pid`: stored on the jobs it runs, and named in their errors. */
  readonly name: string;
  /** Stops taking jobs; waits for the running ones unless `force` (those are then retried elsewhere). */
  close(force?: boolean): Promise<void>;
}

/** A flow parent's children's results, in the order its data lists them (BullMQ keys them by their Redis keys). */
async function childrenResults(job: Job<JobData>): Promise<unknown[]> {
  const values = await job.getChildrenValues();
  const byId = new Map(Object.entries(values).map(([key, value]) => [key.slice(key.lastIndexOf(':') + 1), value]));
  return job.data.children!.map((id) => {
    if (!byId.has(id)) throw new Error(`the result of child job ${id} is missing`);
    return decodeValue(byId.get(id));
  });
}

/** Whether an error from BullMQ's connections means Redis cannot be reached (an outage), not a job's own trouble. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  return /^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)$/.test(code) || /Connection is closed|connect E[A-Z]+|getaddrinfo|socket|Stream isn't writeable|MaxRetriesPerRequest/i.test(message);
}

/** Seconds a closing worker with no job left waits for Redis before it stops without it. */
const CLOSE_IDLE_SECONDS = 3;

/** Starts taking jobs from the queue. */
export async function startQueueWorker(connection: QueueConnection, options: QueueWorkerOptions): Promise<QueueWorker> {
  const { Worker, UnrecoverableError } = await import('bullmq');
  const name = `${hostname()}:${process.pid}`;
  const { log } = options;
  let running = 0;
  const process_ = async (job: Job<JobData>): Promise<unknown> => {
    const started = Date.now();
    const { label } = job.data;
    log(`started ${label} (job ${job.id})`);
    running++;
    try {
      // Other code could compute something else: the run must not mix the two.
      if (job.data.code !== codeFingerprint()) {
        throw new UserError(`this worker runs other l2o code (${codeFingerprint()}) than the command that queued the job (${job.data.code}); run the same build of the package everywhere`);
      }
      let payload = decodeValue(job.data.payload);
      if (job.data.children) payload = { ...(payload as Record<string, unknown>), results: await childrenResults(job) };
      const result = await options.pool.run(taskFromKey(job.data.task), payload);
      log(`done ${label} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return encodeValue(result);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      log(`failed ${label}: ${firstLine(error)}`);
      const hint = (error as { hint?: unknown }).hint;
      const reported: JobError = { name: error.name, message: error.message, worker: name, ...(typeof hint === 'string' ? { hint } : {}) };
      throw new UnrecoverableError(JSON.stringify(reported));
    } finally {
      running--;
    }
  };
  const worker: Worker<JobData> = new Worker<JobData>(queueName(), process_, {
    prefix: QUEUE_PREFIX,
    connection: connection.options,
    name,
    concurrency: options.pool.size,
    lockDuration: options.stalledAfterMs,
    stalledInterval: options.stalledAfterMs,
    maxStalledCount: MAX_STALLS,
    autorun: true,
  });
  // Connection errors come here while Redis is away (the worker reconnects by itself): one line per
  // outage. BullMQ reports a job's own trouble here too (a lock it could not renew, a job removed
  // meanwhile) while Redis is up: said as it is, and not taken for an outage.
  let lost = false;
  worker.on('error', (error) => {
    if (!isConnectionError(error)) {
      log(`the queue reported: ${connectionReason(error)}`);
      return;
    }
    if (lost) return;
    lost = true;
    log(`lost the queue at ${connection.address.display} (${connectionReason(error)}); reconnecting`);
  });
  const client = await worker.client;
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    log(`the queue at ${connection.address.display} answers again`);
  });
  await worker.waitUntilReady();
  const close = async (force = false): Promise<void> => {
    const closing = worker.close(force).then(
      () => true,
      () => true,
    );
    // BullMQ's close also waits on its Redis connections, which never settle while Redis is away: a
    // worker stopped during an outage hung after its jobs were done. Away and idle, 3 s is enough.
    let idle = 0;
    for (;;) {
      if (await Promise.race([closing, new Promise<false>((resolve) => setTimeout(resolve, 1000, false).unref())])) return;
      idle = lost && running === 0 ? idle + 1 : 0;
      if (idle >= CLOSE_IDLE_SECONDS) {
        log(`the queue at ${connection.address.display} does not answer; stopping without it`);
        return;
      }
    }
  };
  return { name, close };
}
