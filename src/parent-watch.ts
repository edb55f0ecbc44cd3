// A sweep item runs `l2o train` and `l2o eval` as child processes; under `l2o worker` each in a
// process group of its own, so that a Ctrl-C in the worker's terminal leaves them to finish (the
// worker stops after its running jobs). A worker killed outright cannot stop them: the child checks
// that its parent is still there, once a second and at every progress report. A synchronous stretch
// of training holds the timer back, so it stops at the next report: within a GPS iteration's phase.
// An orphan would go on training into a run directory whose job another worker has taken over,
// holding the directory's lock (docs/scale-out.md).
import { UserError } from './errors.ts';

/** Set by the process that started this one and wants it stopped when it is gone. */
export const PARENT_PID_ENV = 'L2O_PARENT_PID';

/** Set by `l2o worker` for its threads: a sweep item's children then get a process group of their own. */
export const QUEUE_WORKER_ENV = 'L2O_QUEUE_WORKER';

const parent = Number(process.env[PARENT_PID_ENV]) || null;

/** Stops this process at once if it was started by a process that is gone (it now has another parent). */
export function exitIfOrphaned(): void {
  if (parent === null || process.ppid === parent) return;
  process.stderr.write(`error: ${new UserError(`the process that started this one (${parent}) is gone; stopping`).message}\n`);
  process.exit(1);
}

/** Checks once a second while this process lives (the timer keeps nothing alive). */
export function watchParent(): void {
  if (parent !== null) setInterval(exitIfOrphaned, 1000).unref();
}
