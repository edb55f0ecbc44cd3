// npm run experiment -- <name> [--quick] [--resume DIR] [--seed S] [--data-dir DIR]: the same as
// `l2o experiment` (src/cli/experiment-command.ts), kept for scripts that call it.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../src/errors.ts';
import { DATA_DIR_ENV } from '../src/data/data-dir.ts';
import { EXPERIMENTS } from './registry.ts';
import { runExperiment } from './run-experiment.ts';
import { defaultWorkers } from '../src/parallel/worker-pool.ts';

try {
  await yargs(hideBin(process.argv))
    .scriptName('npm run experiment --')
    .command(
      '$0 <name>',
      'run an experiment',
      (y) =>
        y
          .positional('name', { type: 'string', demandOption: true, describe: EXPERIMENTS.map((e) => `${e.name}: ${e.describe}`).join('; ') })
          .option('quick', { type: 'boolean', default: false, describe: 'the minutes-long setting the tests use' })
          .option('seed', { type: 'string', default: '1', describe: 'training seed (evaluation uses seed + 1)' })
          .option('out', { type: 'string', default: 'runs', describe: 'root of the experiment directories' })
          .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
          .option('workers', { default: defaultWorkers(), defaultDescription: 'the available cores', coerce: (value: unknown) => {
              const n = Number(value);
              if (!Number.isInteger(n) || n < 1) throw new UserError(`--workers must be a positive integer, got '${value}'`);
              return n;
            }, describe: 'worker threads; results are the same for any count' })
          .option('resume', { type: 'string', describe: 'continue the experiment in this directory' })
          .option('publish', { type: 'string', describe: 'also write the results page <name>.md and its plots into this folder (docs/results)' })
          .option('data-dir', { type: 'string', describe: `dataset directory (default: $${DATA_DIR_ENV})` }),
      async (args) => {
        if (args.dataDir) process.env[DATA_DIR_ENV] = args.dataDir;
        await runExperiment(args.name, { quick: args.quick, seed: args.seed, root: args.out, resume: args.resume, quiet: args.quiet, workers: args.workers, publish: args.publish });
      },
    )
    .strict()
    .version(false)
    .help()
    .fail((message, err) => {
      // A user's mistake (an unknown experiment, a bad count) is one line, as in `l2o experiment`.
      if (err && !(err instanceof UserError) && err.name !== 'YError') throw err;
      process.stderr.write(`experiment: ${err?.message ?? message}\n`);
      process.exit(1);
    })
    .parseAsync();
} catch (err) {
  if (!(err instanceof UserError)) throw err;
  process.stderr.write(`experiment: ${err.message}\n`);
  process.exit(1);
}
