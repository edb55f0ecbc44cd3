// `l2o experiment NAME`: the experiments of experiments/ (what `npm run experiment -- NAME` runs),
// with the same options and the same files: runs/<name>/<timestamp>/{results.json, curves.csv,
// plots/*.svg, report.md}. The registry lists names only; an experiment's code loads when it runs.
// With --queue its stages are jobs for `l2o worker` processes (docs/scale-out.md).
import type { Argv } from 'yargs';
import { resolve } from 'node:path';
import { EXPERIMENTS } from '../../experiments/registry.ts';
import { seedString } from './options.ts';
import { queueFromArgs, sayJobsStayWhenStopped, warnWorkersUnused, withQueueOption, type QueueArgs } from './queue-options.ts';

interface ExperimentArgs extends QueueArgs {
  name: string;
  quick: boolean;
  seed: string;
  out: string;
  quiet: boolean;
  resume?: string;
  publish?: string;
  /** The global --workers (main.ts). */
  workers?: number;
}

export const experimentCommand = {
  command: 'experiment <name>',
  describe: 'run an experiment: train, compare with tuned baselines, write results, plots and a report',
  builder: (y: Argv) =>
    withQueueOption(y, 'the stages (training runs, comparisons); the output directory must be on a filesystem every worker shares')
      .positional('name', { type: 'string', demandOption: true, describe: `the experiment: ${EXPERIMENTS.map((e) => e.name).join(', ')}` })
      .option('quick', { type: 'boolean', default: false, describe: 'a seconds-long smoke setting (the tests use it; its numbers mean nothing)' })
      .option('seed', { type: 'string', default: '1', requiresArg: true, coerce: seedString, describe: 'training seed (evaluation uses seed + 1)' })
      .option('out', { type: 'string', default: 'runs', describe: 'root of the experiment directories (runs/<name>/<timestamp>/)' })
      .option('resume', { type: 'string', requiresArg: true, describe: 'continue the experiment in this directory (its finished stages are reused)' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
      .option('publish', { type: 'string', requiresArg: true, describe: 'also write the results page <name>.md and its plots into this folder, e.g. docs/results (resume a finished run to publish it again)' })
      .epilogue(`Experiments:\n${EXPERIMENTS.map((e) => `  ${e.name}\n      ${e.describe}`).join('\n')}`)
      .example('$0 experiment li-malik-2016 --quick   # the smoke setting, in seconds', '')
      .example('# continue a killed run:', '')
      .example('$0 experiment divergence --resume runs/divergence/<time>', '')
      .example('# the stages as jobs for `l2o worker` processes:', '')
      .example('$0 experiment li-malik-2016 --out /shared/runs --queue redis://host:6379', ''),
  async handler(args: ExperimentArgs) {
    const { findExperiment } = await import('../../experiments/registry.ts');
    findExperiment(args.name); // an unknown name fails before anything loads
    const connection = args.queue === undefined ? undefined : await queueFromArgs(args.queue); // before anything runs
    if (connection) warnWorkersUnused(process.argv, args.workers);
    if (connection) sayJobsStayWhenStopped('experiment', connection.address.display);
    const { runExperiment } = await import('../../experiments/run-experiment.ts');
    const options = { quick: args.quick, seed: args.seed, root: args.out, resume: args.resume, quiet: args.quiet, workers: args.workers, publish: args.publish };
    // The run directory on stdout, --quiet or not: where the results are, for a script to pick up.
    if (!connection) return void console.log(await runExperiment(args.name, options));
    const { createQueuePool } = await import('../queue/queue-pool.ts');
    const { ExperimentRun, EXPERIMENT_STAGE_TASK, EXPERIMENT_STAGES_DONE_TASK } = await import('../../experiments/experiment-run.ts');
    const pool = await createQueuePool(connection, {
      size: 1,
      describe: (_, payload) => {
        // A stage is one job; a group of independent stages is a flow whose parent carries their keys.
        const p = payload as { experiment: string; quick: boolean; seed: string; key?: string; keys?: string[] };
        const what = p.keys ? `the end of stages ${p.keys.join(', ')}` : `stage ${p.key}`;
        return `${p.experiment}${p.quick ? ' --quick' : ''} seed ${p.seed}, ${what}`;
      },
      onStatus: (line) => process.stderr.write(`experiment: ${line}\n`),
    });
    // Every stage of the runs this process opens becomes a job; its worker writes the stage's file.
    // Independent stages (the test problems of an experiment) go as one flow, whose parent runs once they are all done.
    ExperimentRun.queue = {
      run: (settings, dir, key) => pool.run(EXPERIMENT_STAGE_TASK, { ...settings, dir: resolve(dir), key }),
      runAll: (settings, dir, keys) =>
        pool.runFlow<unknown[], unknown>(
          { task: EXPERIMENT_STAGES_DONE_TASK, payload: { ...settings, dir: resolve(dir), keys } },
          keys.map((key) => ({ task: EXPERIMENT_STAGE_TASK, payload: { ...settings, dir: resolve(dir), key } })),
        ).parent,
    };
    try {
      console.log(await runExperiment(args.name, { ...options, workers: 1 })); // the work is the workers'
    } finally {
      ExperimentRun.queue = null;
      await pool.close();
    }
  },
};
