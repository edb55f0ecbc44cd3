import type { Argv } from 'yargs';
import { initBackend } from '../backend.ts';
import { runProblems, hasDiverged } from '../evaluate/run-problems.ts';
import { tuneLearningRate } from '../evaluate/tuner.ts';
import { findHandDesigned, DEFAULT_LR_GRID } from '../../policies/hand-designed.ts';
import { familyFromArgs, positiveInteger, positiveNumber, problemCount, splitOption, withEnvOptions, type EnvArgs } from './options.ts';
import { formatNumber, table } from './format.ts';
import type { Split } from '../../envs/objective.ts';

interface RunArgs extends EnvArgs {
  optimizer: string;
  lr?: number;
  steps: number;
  problems?: number;
  split: Split;
  seed: string;
  history: number;
  json: boolean;
}

export const runCommand = {
  command: 'run',
  describe: 'run one optimizer on the instances of a split',
  builder: (y: Argv) =>
    withEnvOptions(y)
      .option('optimizer', { type: 'string', demandOption: true, describe: 'optimizer name (gd, momentum, nag, adagrad, rmsprop, adam, lbfgs, cg)' })
      .option('lr', { coerce: positiveNumber('lr'), describe: 'learning rate (default: tuned on the training split)' })
      .option('steps', { default: 100, coerce: positiveInteger('steps'), describe: 'optimization steps per run' })
      .option('problems', { coerce: positiveInteger('problems'), describe: 'number of instances (default: 10)' })
      .option('split', { default: 'test', coerce: splitOption, describe: 'train or test' })
      .option('seed', { type: 'string', default: '1', describe: 'seed of every random draw' })
      .option('history', { default: 25, coerce: positiveInteger('history'), describe: 'history length H of the MDP state' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
      .example('$0 run --env quadratic --optimizer adam --lr 0.1 --steps 100', '')
      .example('$0 run --expr "(1-x)^2 + 100*(y-x^2)^2" --optimizer lbfgs --problems 3', ''),
  async handler(args: RunArgs) {
    const backend = await initBackend();
    const family = await familyFromArgs(args);
    const optimizer = findHandDesigned(args.optimizer);
    const problems = problemCount(family, args.split, args.problems ?? Math.min(10, family.splitSizes[args.split]));
    const tuning = args.lr === undefined ? tuneLearningRate(optimizer, family, { steps: args.steps, seed: args.seed, grid: DEFAULT_LR_GRID, historyLength: args.history }) : undefined;
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
