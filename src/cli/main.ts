// l2o: the command-line entry point, and its one error boundary. A user's mistake (a UserError, from
// this thread or a worker's, or a flag yargs refuses) prints `error: <message>` and exits 1; anything
// else is a bug: `error: internal error: <message>` and how to see its stack (L2O_DEBUG=1), exit 2.
// Unhandled rejections and uncaught exceptions end here too (the wasm backend's own rethrowing
// handlers are removed when it loads, src/backend.ts).
// The command modules import only yargs and small modules at the top; each handler imports what it
// runs (tfjs, the trainers, the families), so `l2o --help` and `l2o <command> --help` load no tfjs.
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { debugRequested, isUserError, reportError, UserError } from '../errors.ts';
import { watchParent } from '../parent-watch.ts';
import { envsCommand } from './envs-command.ts';
import { runCommand } from './run-command.ts';
import { evalCommand } from './eval-command.ts';
import { trainCommand } from './train-command.ts';
import { dataCommand } from './data-command.ts';
import { experimentCommand } from './experiment-command.ts';
import { workerCommand } from './worker-command.ts';
import { sweepCommand } from './sweep-command.ts';
import { DATA_DIR_ENV } from '../data/data-dir.ts';
import { defaultWorkers } from '../parallel/worker-pool.ts';
import { camelCase, positiveInteger, repeatedOption } from './options.ts';

// yargs 17's CommonJS build, required rather than imported: it starts in about 20 ms where yargs 18
// (or 17's ESM build) takes 35–100 ms, paid by every invocation, and its ESM build's help text
// breaks lines inside words (docs/cli.md, "Start-up").
const requireHere = createRequire(import.meta.url);
const yargs = requireHere('yargs') as typeof YargsFactory;
const { hideBin } = requireHere('yargs/helpers') as typeof import('yargs/helpers');

let exiting = false;

/** Prints the error as the boundary reports it and ends the process (1: the user's mistake, 2: a bug). */
function exitWithError(error: unknown): never {
  if (!exiting) {
    exiting = true;
    const { exitCode, text } = reportError(error, debugRequested());
    // A progress bar may be half drawn on a terminal: start the message on a clean line.
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stderr.write(text);
    process.exitCode = exitCode;
  }
  process.exit();
}

process.on('uncaughtException', exitWithError);
process.on('unhandledRejection', exitWithError);
watchParent();

/** A boolean flag given a value (`--json=banana`): yargs would read it as false. */
function refuseValuedBooleans(argv: readonly string[], booleans: readonly string[]): void {
  const known = new Set(booleans);
  for (const token of argv) {
    if (token === '--') break;
    const match = /^--(?:no-)?([^=]+)=(.*)$/s.exec(token);
    if (!match) continue;
    if (!known.has(match[1]) && !known.has(camelCase(match[1]))) continue;
    if (!['true', 'false'].includes(match[2])) {
      throw new UserError(`--${match[1]} is a switch and takes no value, got '${token}' (write --${match[1]} or --no-${match[1]})`);
    }
  }
}

/**
 * An option of one value given twice (`--out a --out b`): yargs makes it an array, which reached
 * the commands as 'a,b' (a seed, an env name) or as an internal error (a path, --optimizers).
 * Repeatable options (--param, a sweep's --train) are declared as arrays and pass. A global option's
 * coercion (--workers) runs before this, so the coercions refuse arrays too (options.ts `single`).
 */
function refuseRepeatedOptions(argv: readonly string[], options: { key: Record<string, unknown>; array: readonly string[] }): void {
  const known = new Set(Object.keys(options.key).map(camelCase));
  const repeatable = new Set(options.array.map(camelCase));
  const seen = new Set<string>();
  for (const token of argv) {
    if (token === '--') break;
    const match = /^--([^=]+)/.exec(token);
    if (!match) continue;
    let name = camelCase(match[1]);
    // --no-json is --json=false: the same option.
    if (!known.has(name) && /^no[A-Z]/.test(name)) name = name[2].toLowerCase() + name.slice(3);
    if (!known.has(name) || repeatable.has(name)) continue;
    if (seen.has(name)) throw repeatedOption(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    seen.add(name);
  }
}

try {
  await yargs(hideBin(process.argv))
    .scriptName('l2o')
    .usage('$0 <command> [options]\n\nLearn optimization algorithms, and compare them with tuned hand-designed ones.')
    .command(envsCommand)
    .command(runCommand)
    .command(evalCommand)
    .command(trainCommand)
    .command(dataCommand)
    .command(experimentCommand)
    .command(sweepCommand)
    .command(workerCommand)
    .option('workers', { global: true, default: defaultWorkers(), defaultDescription: 'the available cores', coerce: positiveInteger('workers'), describe: 'threads for independent work, this one and N - 1 workers (1: all in this thread); results are the same for any count' })
    .option('data-dir', { type: 'string', global: true, describe: `dataset directory (default: $${DATA_DIR_ENV}, else ~/.cache/learn-to-optimize/data)` })
    // Families and loaders read the directory from the environment, so one flag reaches them all.
    .middleware((args) => {
      if (typeof args.dataDir === 'string') process.env[DATA_DIR_ENV] = args.dataDir;
      // More threads than cores computes the same, only slower (--workers 32 on 2 cores: 5 times).
      const cores = defaultWorkers();
      // With --queue the local count does not apply (queue-options.ts says so in its own warning).
      if (typeof args.workers === 'number' && args.workers > cores && !args.quiet && args.queue === undefined) process.stderr.write(`warning: --workers ${args.workers} is more than the ${cores} core${cores === 1 ? '' : 's'} here: the results are the same, but slower\n`);
    })
    // Before validation, so that it runs for every command; yargs passes its instance second.
    .middleware(((_args: unknown, y: { getOptions(): { key: Record<string, unknown>; array: string[]; boolean: string[] } }) => {
      const argv = hideBin(process.argv);
      const options = y.getOptions();
      refuseValuedBooleans(argv, options.boolean);
      refuseRepeatedOptions(argv, options);
    }) as unknown as () => void, true)
    .demandCommand(1, 'name a command: envs, run, eval, train, data, experiment, sweep or worker')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .fail((message, err) => {
      // yargs re-wraps errors thrown by option coercion as YError; those are user mistakes too.
      if (err && !isUserError(err) && err.name !== 'YError') exitWithError(err);
      exitWithError(isUserError(err) ? err : new UserError(err?.message ?? message));
    })
    .parseAsync();
} catch (err) {
  exitWithError(err);
}
