import type { Argv } from 'yargs';
import { initBackend } from '../backend.ts';
import { runProblems, hasDiverged } from '../../policies/run-problems.ts';
import { tuneLearningRate, type TuningResult } from '../evaluate/tuner.ts';
import { createPool, defaultWorkers } from '../parallel/worker-pool.ts';
import { findHandDesigned, DEFAULT_LR_GRID } from '../../policies/hand-designed.ts';
import { familyFromArgs, positiveNumber, problemCount, withRunSetOptions, type RunSetArgs } from './options.ts';
import { formatNumber, table } from '../evaluate/format.ts';

interface RunArgs extends RunSetArgs {
  optimizer: string;
  /** The global --workers (main.ts): the tuning's grid points run on them. */
  workers?: number;
}

export const runCommand = {
  command: 'run',
  describe: 'run one optimizer on the instances of a split',
  builder: (y: Argv) =>
    withRunSetOptions(y, '10')
      .option('optimizer', { type: 'string', demandOption: true, describe: 'optimizer name (gd, momentum, nag, adagrad, rmsprop, adam, lbfgs, cg)' })
      .option('lr', { coerce: positiveNumber('lr'), describe: 'learning rate (default: tuned on the training split)' })
      .example('$0 run --env quadratic --optimizer adam --lr 0.1 --steps 100', '')
      .example('$0 run --expr "(1-x)^2 + 100*(y-x^2)^2" --optimizer lbfgs --problems 3', ''),
  async handler(args: RunArgs) {
    const backend = await initBackend();
    const family = await familyFromArgs(args);
    const optimizer = findHandDesigned(args.optimizer);
    const problems = problemCount(family, args.split, args.problems ?? Math.min(10, family.splitSizes[args.split]));
    let tuning: TuningResult | undefined;
    if (args.lr === undefined) {
      // A pool only where there is tuning to share out; the runs themselves are few.
      const pool = createPool(args.workers ?? defaultWorkers());
      tuning = await tuneLearningRate(optimizer, family, { steps: args.steps, seed: args.seed, grid: DEFAULT_LR_GRID, historyLength: args.history, pool }).finally(() => pool.close());
    }
    const lr = args.lr ?? tuning!.lr;
    const runs = runProblems(optimizer.create(lr), { family, split: args.split, problems, steps: args.steps, seed: args.seed, historyLength: args.history });
    if (args.json) {
      const out = {
        env: family.name,
        optimizer: optimizer.name,
        lr,
        split: args.split,
        steps: args.steps,
        seed: args.seed,
        backend,
        ...(tuning ? { tuning } : {}),
        runs: runs.map((r) => ({ objective: r.objective, initial: r.values[0], final: r.values[args.steps], diverged: hasDiverged(r), evaluations: r.evaluations, values: Array.from(r.values, (v) => (Number.isFinite(v) ? v : null)) })),
      };
      console.log(JSON.stringify(out));
      return;
    }
    console.log(`${optimizer.name} (lr ${lr}${tuning ? ', tuned on train' : ''}) on ${problems} ${args.split} instances of ${family.name}, ${args.steps} steps, seed ${args.seed}, tfjs backend ${backend}\n`);
    console.log(table(['objective', 'f(x0)', `f(x${args.steps})`, 'diverged', 'evaluations'], runs.map((r) => [r.objective, formatNumber(r.values[0]), formatNumber(r.values[args.steps]), hasDiverged(r) ? 'yes' : 'no', String(r.evaluations)])));
  },
};
