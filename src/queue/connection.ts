// The connection to a queue's Redis server. `connectToQueue` checks it once, with no retries and a
// bounded wait, before any work starts, so an unreachable queue is one line (`cannot reach the queue
// at redis://…: <reason>`) instead of a client that retries forever. After that check the connections
// reconnect on their own: a Redis restart is survived (docs/scale-out.md).
import type { RedisOptions } from 'bullmq';
import { UserError } from '../errors.ts';
import { parseQueueAddress, type QueueAddress } from './address.ts';
import { codeFingerprint } from './job-id.ts';

/** The prefix of the queue's Redis keys. */
export const QUEUE_PREFIX = 'l2o';

/**
 * The BullMQ queue of this copy of the package: one per code fingerprint (job-id.ts). A worker takes
 * only jobs its own code computes exactly as the submitter's would; one of another version or build
 * waits on its own queue, so machines can be upgraded one at a time without failing the runs of the
 * others (a worker used to take such jobs and fail each one).
 */
export function queueName(): string {
  return `jobs-${codeFingerprint()}`;
}

/** How long the first connection may take before the queue counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** A checked queue address and the Redis options its connections use. */
export interface QueueConnection {
  address: QueueAddress;
  /** For the connections that do the work: they reconnect after an outage. */
  options: RedisOptions;
}

function redisOptions(address: QueueAddress): RedisOptions {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username === undefined ? {} : { username: address.username }),
    ...(address.password === undefined ? {} : { password: address.password }),
    ...(address.tls ? { tls: {} } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
}

/** The reason an error gives, in one line (a connection refused on every address of a host is an AggregateError with no message of its own). */
export function connectionReason(error: unknown): string {
  const inner = (error as { errors?: unknown[] }).errors;
  const first = Array.isArray(inner) && inner.length > 0 ? inner[0] : error;
  const message = first instanceof Error ? first.message || (first as NodeJS.ErrnoException).code || first.name : String(first);
  return message.split('\n')[0].trim();
}

/**
 * Parses `--queue`, connects once and checks that a Redis server answers there (and is one BullMQ
 * can use); a UserError with one line if not.
 */
export async function connectToQueue(text: string): Promise<QueueConnection> {
  const address = parseQueueAddress(text);
  const { Queue } = await import('bullmq');
  const queue = new Queue(queueName(), {
    prefix: QUEUE_PREFIX,
    connection: { ...redisOptions(address), retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false },
  });
  let firstError: unknown;
  queue.on('error', (error) => (firstError ??= error));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      // SELECT again, awaited: a database the server does not have is otherwise left for database 0
      // without a word (not for 0 itself, which some proxies and hosted servers refuse to SELECT).
      queue.waitUntilReady().then((client) => (address.db === 0 ? client : (client as unknown as { select(db: number): Promise<unknown> }).select(address.db))),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    throw new UserError(`cannot reach the queue at ${address.display}: ${connectionReason(firstError ?? error)}`);
  } finally {
    clearTimeout(timer);
    await queue.disconnect().catch(() => {});
  }
  return {
    address,
    // Reconnect at once and then every second at most: a restarted Redis is back within about a second.
    options: { ...redisOptions(address), retryStrategy: (times: number) => Math.min(100 * times, 1_000) },
  };
}
