import type { Argv } from 'yargs';
import { rmSync } from 'node:fs';
import { makeUserDirectory, removeEmptyDirectories } from '../atomic-file.ts';
import { UserError } from '../errors.ts';
import { ProgressReporter } from '../progress.ts';
import { findHandDesigned, HAND_DESIGNED } from '../../policies/hand-designed.ts';
import { DEFAULT_RESTART_SPREAD } from '../evaluate/reference-minimum.ts';
import type { EvalReport } from '../evaluate/compare.ts';
import { checkFamilyFromArgs, describeBackend, familyFromArgs, familyUsesTfjs, LR_REFINE_OPTION, NO_TFJS, nonNegativeInteger, positiveNumber, problemCount, startBackend, withRunSetOptions, type RunSetArgs } from './options.ts';
import { contender, learnedSpec, rowNames } from './optimizers.ts';
import { queueFromArgs, sayJobsStayWhenStopped, warnWorkersUnused, withQueueOption, type QueueArgs } from './queue-options.ts';

interface EvalArgs extends RunSetArgs, QueueArgs {
  /** The global --workers (main.ts). */
  workers?: number;
  optimizers: string;
  'lr-refine'?: number;
  'reference-minimum'?: number;
  'restart-spread'?: number;
  out?: string;
  quiet: boolean;
}

export async function printReport(report: EvalReport): Promise<void> {
  const { describeReference, resultTable, table } = await import('../evaluate/format.ts');
  console.log(`${report.env}: ${report.problems} ${report.split} instances, ${report.steps} steps, seed ${report.seed}, ${describeBackend(report.backend)}\n`);
  const { columns, rows } = resultTable(report.results);
  console.log(table(columns, rows));
  if (report.reference) console.log(`\n${describeReference(report.reference, report.problems).join('\n')}`);
}

/** `--out DIR`: the report as JSON, the mean curves with their spread as CSV, and a plot of them. */
async function writeEvalFiles(dir: string, report: EvalReport): Promise<string[]> {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { curvesCsv, curvePlots } = await import('../../experiments/results.ts');
  const problem = { name: 'curves', title: `${report.env}: mean over ${report.problems} ${report.split} instances`, reference: report.reference, results: report.results };
  const files: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(join(dir, name));
  };
  write('report.json', `${JSON.stringify(report)}\n`);
  write('curves.csv', curvesCsv([problem], { problemColumn: false }));
  for (const plot of curvePlots(problem)) write(plot.file, plot.svg);
  return files;
}

export const evalCommand = {
  command: 'eval',
  describe: 'tune and compare optimizers on the instances of a split',
  builder: (y: Argv) =>
    withQueueOption(withRunSetOptions(y, 'the whole split'), 'the runs (per optimizer, per block of instances), the tuning and the f* search')
      .option('optimizers', { type: 'string', default: HAND_DESIGNED.map((o) => o.name).join(','), describe: 'comma-separated optimizer names, or gps:DIR / bptt:DIR / lista:DIR for a trained optimizer (lista: its K learned layers, then ISTA steps with step 1/L)' })
      .option('lr', { coerce: positiveNumber('lr'), describe: 'one learning rate for all (default: each tuned on the training split)' })
      .option('lr-refine', LR_REFINE_OPTION)
      .option('reference-minimum', { requiresArg: true, coerce: nonNegativeInteger('reference-minimum'), describe: "estimate each instance's minimum f* by L-BFGS from x0 and from this many random restarts, and report final f − f*" })
      .option('restart-spread', { requiresArg: true, coerce: positiveNumber('restart-spread'), describe: `standard deviation of those restarts around x0 (default ${DEFAULT_RESTART_SPREAD})` })
      .option('out', { type: 'string', requiresArg: true, describe: 'also write report.json, curves.csv (mean and 25th/75th percentile per optimizer and step) and curves.svg into this directory' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
      .example('$0 eval --env logreg --optimizers gd,adam,lbfgs,cg --steps 100 --json', '')
      .example('# the table, and curves.csv and curves.svg in runs/eval:', '')
      .example('$0 eval --env quadratic --optimizers gd,adam,lbfgs --out runs/eval', '')
      .example('# the runs as jobs for `l2o worker --queue redis://host:6379` processes:', '')
      .example('$0 eval --env logreg --queue redis://host:6379', ''),
  async handler(args: EvalArgs) {
    const names = args.optimizers.split(',').map((s) => s.trim());
    if (names.some((name) => name === '')) throw new UserError(`--optimizers '${args.optimizers}' has an empty name: separate the names by single commas`);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new UserError(`--optimizers lists '${duplicate}' twice`);
    for (const name of names) if (!learnedSpec(name)) findHandDesigned(name); // an unknown name fails before tfjs loads
    if (args['restart-spread'] !== undefined && args['reference-minimum'] === undefined) throw new UserError('--restart-spread needs --reference-minimum');
    if (args['lr-refine'] !== undefined && args.lr !== undefined) throw new UserError('--lr-refine refines the tuning, and --lr skips it: give one of them');
    // The rate and its tuning are the hand-designed optimizers'; a learned one takes its own steps.
    if (names.every((name) => learnedSpec(name)) && (args.lr !== undefined || args['lr-refine'] !== undefined)) {
      throw new UserError(`--${args.lr !== undefined ? 'lr' : 'lr-refine'} applies to hand-designed optimizers, and --optimizers ${args.optimizers} names only learned ones, which take their own steps: leave it out`);
    }
    // An unreachable queue is one line before anything runs or is created.
    const queue = args.queue === undefined ? undefined : await queueFromArgs(args.queue);
    if (queue) warnWorkersUnused(process.argv, args.workers);
    // --out is made before anything runs, so that an unusable directory does not cost the whole
    // comparison, and removed again if the comparison fails (what this run created, nothing else).
    let created: string[] = [];
    if (args.out !== undefined) created = makeUserDirectory(args.out, '--out');
    if (queue) sayJobsStayWhenStopped('eval', queue.address.display, () => removeEmptyDirectories(created));
    try {
      await compareAndReport(args, names, queue);
    } catch (err) {
      if (created.length > 0) rmSync(created[0], { recursive: true, force: true });
      throw err;
    }
  },
};

/** With --queue, items per optimizer's runs: about four blocks per unit of TaskPool.size (parallel-runs.ts). */
const QUEUE_SPLIT = 4;

async function compareAndReport(args: EvalArgs, names: string[], queue: Awaited<ReturnType<typeof queueFromArgs>> | undefined): Promise<void> {
  await checkFamilyFromArgs(args); // before tfjs loads: a bad --env or --param costs no start-up
  let backend = (await familyUsesTfjs(args)) ? await startBackend() : NO_TFJS;
  const family = await familyFromArgs(args);
  // Resolve every name before any optimizer runs, so a typo fails at once. A learned optimizer that
  // computes with tfjs starts its backend as it loads (a GPS MLP policy needs none).
  const rows = rowNames(names);
  const loaded = await Promise.all(names.map((name, i) => contender(name, rows[i])));
  const contenders = loaded.map((c) => c.contender);
  if (loaded.some((c) => c.tfjs)) backend = await startBackend();
  const tfjs = backend !== NO_TFJS;
  const { compareOptimizers } = await import('../evaluate/compare.ts');
  const { createPool, defaultWorkers } = await import('../parallel/worker-pool.ts');
  let pool;
  if (queue) {
    const { createQueuePool } = await import('../queue/queue-pool.ts');
    const { describeTask } = await import('../evaluate/parallel-runs.ts');
    pool = await createQueuePool(queue, { size: QUEUE_SPLIT, describe: describeTask, onStatus: (line) => process.stderr.write(`eval: ${line}\n`) });
  } else pool = createPool(args.workers ?? defaultWorkers(), { tfjs });
  const progress = new ProgressReporter({ label: 'eval: runs', total: 0, quiet: args.quiet });
  const report = await compareOptimizers(contenders, {
    family,
    split: args.split,
    steps: args.steps,
    problems: problemCount(family, args.split, args.problems),
    seed: args.seed,
    backend,
    lr: args.lr,
    refine: args['lr-refine'],
    referenceMinimum: args['reference-minimum'] === undefined ? undefined : { restarts: args['reference-minimum'], spread: args['restart-spread'] ?? DEFAULT_RESTART_SPREAD },
    onProgress: (message) => progress.line(`  ${message} [${progress.summary()}]`),
    onWork: (done, total) => {
      if (total !== progress.total) progress.setTotal(total);
      progress.update(done);
    },
    pool,
  }).finally(() => {
    progress.finish();
    return pool.close();
  });
  if (args.json) console.log(JSON.stringify(report));
  else {
    await printReport(report);
    // A LISTA network runs only its K layers as learned; say once what the rest of the steps are.
    for (const [i, c] of contenders.entries()) {
      const description = 'policy' in c && learnedSpec(names[i])?.kind === 'lista' ? (c.policy as { description?: string }).description : undefined;
      if (description) console.log(`\n${c.name}: ${description}`);
    }
  }
  if (args.out !== undefined) {
    const files = await writeEvalFiles(args.out, report);
    if (!args.quiet) process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
}
