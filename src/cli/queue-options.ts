// `--queue redis://HOST:PORT` (docs/scale-out.md), shared by the commands that can send their work to
// `l2o worker` processes. Loaded by --help, so it imports nothing heavy: BullMQ loads when a queue is used.
import type { Argv } from 'yargs';
import { UserError } from '../errors.ts';
import { typed } from './resume-flags.ts';

export interface QueueArgs {
  queue?: string;
}

export function withQueueOption<T>(y: Argv<T>, what: string) {
  return y.option('queue', { type: 'string', requiresArg: true, describe: `send ${what} as jobs to the queue at redis://HOST:PORT, for \`l2o worker\` processes on any machine (results are the same as without)` });
}

/** The checked connection to `--queue`: a UserError of one line if it is malformed or unreachable. */
export async function queueFromArgs(text: string) {
  if (text.trim() === '') throw new UserError('--queue needs an address, e.g. --queue redis://127.0.0.1:6379');
  const { connectToQueue } = await import('../queue/connection.ts');
  return connectToQueue(text);
}

/**
 * With --queue the items run on the `l2o worker` processes, each with its own --workers, so a local
 * --workers above 1 would be ignored without a word: one warning line says so. (--workers 1, which
 * scripts pass to every command, changes nothing either way and is not warned about.)
 */
export function warnWorkersUnused(argv: readonly string[], workers: number | undefined): void {
  if (typed(argv, 'workers') && workers !== undefined && workers > 1) {
    process.stderr.write(`warning: --workers ${workers} does not apply with --queue: the l2o worker processes run the items, each with its own --workers\n`);
  }
}

/**
 * A command that queued its work and is stopped (Ctrl-C, SIGTERM) leaves its jobs on the queue: the
 * workers go on with them, and the same command run again collects their results. One line says so
 * before it exits as a stopped command does (130, 143); it waits on the queue, so the line comes at once.
 * `cleanUp` removes what the command made for results it will not write (an empty --out).
 */
export function sayJobsStayWhenStopped(command: string, display: string, cleanUp: () => void = () => {}): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      cleanUp();
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K'); // a progress bar may be half drawn
      process.stderr.write(`${command}: stopped; its jobs stay on the queue at ${display} for the workers, and the same command run again collects their results\n`);
      process.exit(code);
    });
  }
}

