import type { Argv } from 'yargs';
import { initBackend } from '../backend.ts';
import { compareOptimizers, type Contender, type EvalReport } from '../evaluate/compare.ts';
import { DEFAULT_RESTART_SPREAD } from '../evaluate/reference-minimum.ts';
import { loadGpsPolicy } from '../gps/checkpoint.ts';
import { loadBpttPolicy } from '../supervised/checkpoint.ts';
import { UserError } from '../errors.ts';
import { learnedPolicySpec } from '../evaluate/parallel-runs.ts';
import { createPool, defaultWorkers } from '../parallel/worker-pool.ts';
import { HAND_DESIGNED, findHandDesigned } from '../../policies/hand-designed.ts';
import { familyFromArgs, nonNegativeInteger, positiveNumber, problemCount, withRunSetOptions, type RunSetArgs } from './options.ts';
import { describeReference, resultTable, table } from '../evaluate/format.ts';

interface EvalArgs extends RunSetArgs {
  /** The global --workers (main.ts). */
  workers?: number;
  optimizers: string;
  'reference-minimum'?: number;
  'restart-spread'?: number;
}

export function printReport(report: EvalReport): void {
  console.log(`${report.env}: ${report.problems} ${report.split} instances, ${report.steps} steps, seed ${report.seed}, tfjs backend ${report.backend}\n`);
  const { columns, rows } = resultTable(report.results);
  console.log(table(columns, rows));
  if (report.reference) console.log(`\n${describeReference(report.reference, report.problems).join('\n')}`);
}

/** `gps:DIR` / `bptt:DIR` is the learned optimizer saved in DIR (row `gps` / `bptt`); anything else a hand-designed one. */
function contender(spec: string): Contender {
  const colon = spec.indexOf(':');
  if (colon < 0) {
    findHandDesigned(spec);
    return { name: spec };
  }
  const kind = spec.slice(0, colon);
  const dir = spec.slice(colon + 1);
  if (kind === 'gps') return { name: kind, policy: loadGpsPolicy(dir).policy, lr: null, spec: learnedPolicySpec(kind, dir) };
  if (kind === 'bptt') return { name: kind, policy: loadBpttPolicy(dir).policy, lr: null, spec: learnedPolicySpec(kind, dir) };
  throw new UserError(`unknown learned-optimizer kind '${kind}' in '${spec}'; use gps:DIR or bptt:DIR`);
}

export const evalCommand = {
  command: 'eval',
  describe: 'tune and compare optimizers on the instances of a split',
  builder: (y: Argv) =>
    withRunSetOptions(y, 'the whole split')
      .option('optimizers', { type: 'string', default: HAND_DESIGNED.map((o) => o.name).join(','), describe: 'comma-separated optimizer names, or gps:DIR / bptt:DIR for a trained optimizer' })
      .option('lr', { coerce: positiveNumber('lr'), describe: 'one learning rate for all (default: each tuned on the training split)' })
      .option('reference-minimum', { requiresArg: true, coerce: nonNegativeInteger('reference-minimum'), describe: "estimate each instance's minimum f* by L-BFGS from x0 and from this many random restarts, and report final f − f*" })
      .option('restart-spread', { requiresArg: true, coerce: positiveNumber('restart-spread'), describe: `standard deviation of those restarts around x0 (default ${DEFAULT_RESTART_SPREAD})` })
      .example('$0 eval --env logreg --optimizers gd,momentum,nag,adagrad,rmsprop,adam,lbfgs,cg --split test --steps 100 --problems 100 --seed 1 --json', ''),
  async handler(args: EvalArgs) {
    const backend = await initBackend();
    const family = await familyFromArgs(args);
    const names = args.optimizers.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (names.length === 0) throw new UserError('--optimizers names no optimizer');
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new UserError(`--optimizers lists '${duplicate}' twice`);
    if (args['restart-spread'] !== undefined && args['reference-minimum'] === undefined) throw new UserError('--restart-spread needs --reference-minimum');
    // Resolve every name before any optimizer runs, so a typo fails at once.
    const contenders = names.map(contender);
    const pool = createPool(args.workers ?? defaultWorkers());
    const report = await compareOptimizers(
      contenders,
      {
        family,
        split: args.split,
        steps: args.steps,
        problems: problemCount(family, args.split, args.problems),
        seed: args.seed,
        backend,
        historyLength: args.history,
        lr: args.lr,
        referenceMinimum: args['reference-minimum'] === undefined ? undefined : { restarts: args['reference-minimum'], spread: args['restart-spread'] ?? DEFAULT_RESTART_SPREAD },
        onProgress: (message) => process.stderr.write(`  ${message}\n`),
        pool,
      },
    ).finally(() => pool.close());
    if (args.json) console.log(JSON.stringify(report));
    else printReport(report);
  },
};
