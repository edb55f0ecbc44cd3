// `l2o worker --queue redis://HOST:PORT`: runs the jobs that `l2o eval --queue` (and the other
// commands with --queue) put on the queue, on this machine, --workers at a time (docs/scale-out.md).
// Stops on SIGINT or SIGTERM after the jobs it is running; a second signal stops at once, and those
// jobs go to another worker.
import type { Argv } from 'yargs';
import { positiveNumber } from './options.ts';
import { queueFromArgs, type QueueArgs } from './queue-options.ts';
import { QUEUE_WORKER_ENV } from '../parent-watch.ts';

interface WorkerArgs extends QueueArgs {
  /** The global --workers (main.ts): threads, and jobs at once. */
  workers?: number;
  'stalled-after': number;
  quiet: boolean;
}

export const workerCommand = {
  command: 'worker',
  describe: 'run jobs from a queue (l2o eval --queue …) on this machine until stopped',
  builder: (y: Argv) =>
    y
      .option('queue', { type: 'string', requiresArg: true, demandOption: true, describe: 'the queue: redis://HOST:PORT' })
      .option('stalled-after', { default: 30, coerce: positiveNumber('stalled-after'), describe: "seconds after which a job whose worker stopped renewing its lock (killed, machine gone) is given to another worker; use the same value on every worker" })
      .option('quiet', { type: 'boolean', default: false, describe: 'no line per job on stderr' })
      .example('# take jobs, 8 at a time:', '')
      .example('$0 worker --queue redis://10.0.0.5:6379 --workers 8', ''),
  async handler(args: WorkerArgs) {
    const connection = await queueFromArgs(args.queue!); // before tfjs loads: an unreachable queue is one line
    const { initBackend } = await import('../backend.ts');
    const backend = await initBackend();
    const { createPool, defaultWorkers } = await import('../parallel/worker-pool.ts');
    // This thread stays free to renew the jobs' locks on time: the items run on worker threads only
    // (which copy the environment when they start: sweep items see that they run under a worker).
    process.env[QUEUE_WORKER_ENV] = '1';
    const pool = createPool(args.workers ?? defaultWorkers(), { callingThread: false });
    const { startQueueWorker } = await import('../queue/queue-worker.ts');
    const say = (line: string) => process.stderr.write(`l2o worker: ${line}\n`);
    const worker = await startQueueWorker(connection, {
      pool,
      stalledAfterMs: Math.round(args['stalled-after'] * 1000),
      log: args.quiet ? () => {} : say,
    });
    const { codeFingerprint } = await import('../queue/job-id.ts');
    say(`${worker.name} takes jobs from ${connection.address.display}, ${pool.size} at a time (l2o code ${codeFingerprint()}, tfjs backend ${backend}); Ctrl-C stops it`);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          say(`${signal} again: stopping now; the running jobs go to another worker`);
          process.exit(130);
        }
        stopping = true;
        say(`${signal}: finishing the running jobs, then stopping (send it again to stop now)`);
        void worker
          .close()
          .then(() => pool.close())
          .then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    say('stopped');
    // A queue that went away leaves its client reconnecting, which would keep the process alive.
    process.exit(0);
  },
};
