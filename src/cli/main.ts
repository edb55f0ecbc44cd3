// l2o: the command-line entry point. User mistakes print one line and exit 1; bugs keep their stack.
// The command modules import only yargs and small modules at the top; each handler imports what it
// runs (tfjs, the trainers, the families), so `l2o --help` and `l2o <command> --help` load no tfjs.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../errors.ts';
import { envsCommand } from './envs-command.ts';
import { runCommand } from './run-command.ts';
import { evalCommand } from './eval-command.ts';
import { trainCommand } from './train-command.ts';
import { dataCommand } from './data-command.ts';
import { experimentCommand } from './experiment-command.ts';
import { DATA_DIR_ENV } from '../data/data-dir.ts';
import { defaultWorkers } from '../parallel/worker-pool.ts';
import { positiveInteger } from './options.ts';

function fail(message: string): never {
  process.stderr.write(`l2o: ${message}\n`);
  process.exit(1);
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
    .option('workers', { global: true, default: defaultWorkers(), defaultDescription: 'the available cores', coerce: positiveInteger('workers'), describe: 'worker threads for independent work (1: all in this thread); results are the same for any count' })
    .option('data-dir', { type: 'string', global: true, describe: `dataset directory (default: $${DATA_DIR_ENV}, else ~/.cache/learn-to-optimize/data)` })
    // Families and loaders read the directory from the environment, so one flag reaches them all.
    .middleware((args) => {
      if (typeof args.dataDir === 'string') process.env[DATA_DIR_ENV] = args.dataDir;
    })
    .demandCommand(1, 'name a command: envs, run, eval, train, data or experiment')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .fail((message, err) => {
      // yargs re-wraps errors thrown by option coercion as YError; those are user mistakes too.
      if (err && !(err instanceof UserError) && err.name !== 'YError') throw err;
      fail(err?.message ?? message);
    })
    .parseAsync();
} catch (err) {
  if (err instanceof UserError) fail(err.message);
  throw err;
}
