// A pool task for the GPS bench: the calling thread's event-loop utilization so far (time spent
// running callbacks, items and the messages that carry them, against time spent waiting). Read
// before and after an iteration in every thread, it says how much of the iteration a worker waited.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export function eventLoopUtilization(): EventLoopUtilization {
  return performance.eventLoopUtilization();
}

export const EVENT_LOOP_UTILIZATION = { module: import.meta.url, name: 'eventLoopUtilization' };

/** The share of the time between two readings that the thread was busy. */
export function busyShare(before: EventLoopUtilization, after: EventLoopUtilization): number {
  const active = after.active - before.active;
  const idle = after.idle - before.idle;
  return active / (active + idle);
}
