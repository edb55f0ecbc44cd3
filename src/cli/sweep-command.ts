// `l2o sweep`: a grid of training settings (families, family parameters, training options) times
// seeds. Each item trains with `l2o train … --resume` into its own run directory and evaluates the
// trained optimizer with `l2o eval … --json`; the table gives, per setting, the mean over seeds of the
// mean final test loss and a 95% t-interval (docs/scale-out.md). With --queue the items are jobs for
// `l2o worker` processes: the run directories must then be on a filesystem every worker sees.
// An item runs the CLI as child processes, so every training option is a grid axis as it is, and a
// worker's event loop stays free to renew the job's lock during a long training.
import type { Argv } from 'yargs';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { makeUserDirectory, writeFileAtomic } from '../atomic-file.ts';
import { PARENT_PID_ENV, QUEUE_WORKER_ENV } from '../parent-watch.ts';
import { IN_USE } from '../run-lock.ts';
import { checkFileStamp, fileStamp } from '../file-stamp.ts';
import { ProgressReporter } from '../progress.ts';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { notReadBy } from './algo-options.ts';
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { camelCase, checkFamilyFromArgs, positiveInteger, seedString } from './options.ts';
import { queueFromArgs, sayJobsStayWhenStopped, warnWorkersUnused, withQueueOption, type QueueArgs } from './queue-options.ts';

interface SweepArgs extends QueueArgs {
  algo: 'gps' | 'bptt';
  env: string;
  param: string[];
  train: string[];
  seeds: string;
  problems: number;
  steps: number;
  'eval-seed': string;
  out: string;
  json: boolean;
  quiet: boolean;
  /** The global --workers (main.ts): items at once without --queue. */
  workers?: number;
}

/** One setting of the grid: everything but the seed. */
interface Setting {
  env: string;
  params: [string, string][];
  train: [string, string][];
}

/** A job's payload: one setting and one seed, with where its run goes. Small, and only plain data. */
export interface SweepItem {
  algo: 'gps' | 'bptt';
  setting: Setting;
  seed: string;
  dir: string;
  problems: number;
  steps: number;
  evalSeed: string;
  /** A family module's contents as the sweep read them. */
  familyStamp?: string;
}

/** What an item returns: the trained optimizer's row of `l2o eval --json`, reduced. */
export interface SweepResult {
  meanFinal: number;
  medianFinal: number;
  diverged: number;
}

/** bin/l2o.js of this copy of the package (two folders up from the sources, three from dist/src/cli). */
function binPath(): string {
  for (const path of ['../../bin/l2o.js', '../../../bin/l2o.js']) {
    const file = fileURLToPath(new URL(path, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error('cannot find bin/l2o.js of this package');
}

/** The signals that stop a process on someone's request, as opposed to a crash. */
const STOP_SIGNALS: readonly string[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'];

/**
 * Runs `l2o ...args` and returns its stdout; its `error:` line, as the error, if it fails. Under
 * `l2o worker` the child has a process group of its own, so a Ctrl-C in the worker's terminal leaves it
 * to finish (the worker stops after its running jobs); it stops itself when this process is gone
 * (src/parent-watch.ts).
 */
function l2o(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    // Only under l2o worker: a local sweep's children share its terminal, and its Ctrl-C stops them at once.
    const detached = process.env[QUEUE_WORKER_ENV] === '1';
    const child = spawn(process.execPath, [binPath(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached, env: { ...process.env, [PARENT_PID_ENV]: String(process.pid) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) return resolvePromise(stdout);
      const line = stderr.split('\n').find((l) => l.startsWith('error: '))?.slice('error: '.length) ?? (signal ? `stopped by ${signal}` : `exited with code ${code}`);
      const message = `l2o ${args[0]}: ${line}`;
      // Stopped by a signal is not a bug in l2o: someone or something stopped it (a crash, SIGSEGV or SIGABRT, may be).
      reject(code === 1 || STOP_SIGNALS.includes(signal ?? '') ? new UserError(message) : new Error(message));
    });
  });
}

function familyArgs(setting: Setting): string[] {
  return ['--env', setting.env, ...setting.params.flatMap(([k, v]) => ['--param', `${k}=${v}`])];
}

function trainFlags(train: [string, string][]): string[] {
  return train.flatMap(([key, value]) => (value === 'true' ? [`--${key}`] : value === 'false' ? [`--no-${key}`] : [`--${key}`, value]));
}

/**
 * One setting's --train options as `l2o train` parses them, before anything is made or trained: an
 * option train does not have, or a value it refuses, is one line now rather than a failed item later.
 */
async function checkTrainFlags(algo: string, train: [string, string][]): Promise<void> {
  const { trainCommand } = await import('./train-command.ts');
  const yargs = createRequire(import.meta.url)('yargs') as typeof YargsFactory;
  // The global options train takes from main.ts, declared here as there.
  const parser = (trainCommand.builder as (y: Argv) => Argv)(yargs([]).exitProcess(false).option('data-dir', { type: 'string' }));
  // getOptions is yargs's, undeclared in its types (main.ts reads it the same way).
  const options = (parser as unknown as { getOptions(): { key: Record<string, unknown>; boolean: string[] } }).getOptions();
  // As train accepts them: kebab-case or camelCase, and a switch as no-<switch> too.
  const known = new Set(Object.keys(options.key).flatMap((key) => [key, camelCase(key)]));
  for (const key of options.boolean) known.add(`no-${key}`);
  for (const [key] of train) if (!known.has(key)) throw new UserError(`--train ${key}=… is not an option of l2o train (l2o train --help lists them)`);
  parser
    .strict()
    .fail((message: string, err?: Error) => {
      throw err ?? new UserError(message);
    })
    .parseSync(['--algo', algo, '--out', 'unused', ...trainFlags(train)]);
}

/** How long an item waits for its run directory while another process holds it. */
const DIRECTORY_WAIT_MS = 10 * 60_000;

/**
 * `l2o train` into the item's run directory, once no other process holds it. On a queue that is the
 * same item started before: on a worker that died, whose child stops at its next progress report
 * (src/parent-watch.ts), or still running where Redis lost the job and the submitter queued it again.
 * When it is done or stopped, this one resumes what it left. A holder on a machine that is gone never
 * lets go: after DIRECTORY_WAIT_MS its lock's error stands (it says which file to delete).
 */
async function trainWhenFree(args: string[]): Promise<void> {
  const deadline = Date.now() + DIRECTORY_WAIT_MS;
  let said = false;
  for (;;) {
    try {
      await l2o(args);
      return;
    } catch (err) {
      if (!(err instanceof UserError && err.message.includes(IN_USE)) || Date.now() > deadline) throw err;
      // Said once: a wait of minutes should not look like a hang.
      if (!said) process.stderr.write(`sweep: ${err.message.replace(/^l2o train: /, '').replace(/; wait for it.*$/, '')}; waiting for it, up to ${DIRECTORY_WAIT_MS / 60_000} min\n`);
      said = true;
      await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    }
  }
}

/** Task: train one setting with one seed (resuming its run directory), then evaluate it on the test split. */
export async function sweepItem(item: SweepItem): Promise<SweepResult> {
  if (item.familyStamp !== undefined) checkFileStamp(resolve(item.setting.env), item.familyStamp);
  // One thread per child: the items themselves run side by side; results do not depend on it.
  await trainWhenFree(['train', '--algo', item.algo, ...familyArgs(item.setting), ...trainFlags(item.setting.train), '--seed', item.seed, '--out', item.dir, '--resume', '--quiet', '--workers', '1']);
  const report = JSON.parse(
    await l2o(['eval', ...familyArgs(item.setting), '--optimizers', `${item.algo}:${item.dir}`, '--split', 'test', '--problems', String(item.problems), '--steps', String(item.steps), '--seed', item.evalSeed, '--json', '--quiet', '--workers', '1']),
  ) as { results: SweepResult[] };
  const { meanFinal, medianFinal, diverged } = report.results[0];
  return { meanFinal, medianFinal, diverged };
}

/** What the summary needs besides the items' results: small, so it can be a job's payload. */
interface SummaryPayload {
  algo: string;
  fixed: { params: Record<string, string>; train: Record<string, string> };
  problems: number;
  steps: number;
  evalSeed: string;
  /** The settings' names, in the order of the items (each setting's seeds in a row). */
  settings: string[];
  seeds: string[];
  out: string;
}

/** The sweep's result: OUT/sweep.json and `--json`. */
export interface SweepSummary extends Omit<SummaryPayload, 'settings' | 'seeds' | 'out'> {
  rows: { setting: string; seeds: string[]; finals: number[]; mean: number; low: number | null; high: number | null; diverged: number }[];
}

/** Task (a flow's parent with --queue): per setting, the mean and interval over seeds; writes OUT/sweep.json. */
export function sweepSummary(payload: SummaryPayload & { results: SweepResult[] }): SweepSummary {
  const { settings, seeds, out, results, ...header } = payload;
  const rows = settings.map((setting, s) => {
    const mine = seeds.map((_, k) => results[s * seeds.length + k]);
    const finals = mine.map((r) => r.meanFinal);
    return { setting, seeds, finals, ...meanInterval(finals), diverged: mine.reduce((sum, r) => sum + r.diverged, 0) };
  });
  const summary = { ...header, rows };
  writeFileAtomic(join(out, 'sweep.json'), `${JSON.stringify(summary)}\n`);
  return summary;
}

const SWEEP_ITEM = { module: import.meta.url, name: 'sweepItem' };
const SWEEP_SUMMARY = { module: import.meta.url, name: 'sweepSummary' };

/** A setting as the table names it: its family and the values of the axes that vary (fixed options are said once, above the table). */
export function settingLabel(setting: Setting, varying: ReadonlySet<string>): string {
  const parts = [basename(setting.env), ...setting.params.filter(([k]) => varying.has(`param:${k}`)).map(([k, v]) => `${k}=${v}`), ...setting.train.filter(([k]) => varying.has(`train:${k}`)).map(([k, v]) => `--${k} ${v}`)];
  return parts.join(' ');
}

/** `key=v1,v2` pairs as axes: each key with its values. */
function axes(pairs: string[], flag: string): [string, string[]][] {
  const seen = new Set<string>();
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new UserError(`--${flag} expects key=value or key=v1,v2,…, got '${pair}'`);
    const key = pair.slice(0, eq).trim().replace(/^--/, '');
    const values = pair.slice(eq + 1).split(',').map((v) => v.trim());
    if (values.some((v) => v === '')) throw new UserError(`--${flag} ${pair} has an empty value`);
    if (seen.has(key)) throw new UserError(`--${flag} ${key}=… is given twice; list its values once, comma-separated (${key}=v1,v2)`);
    seen.add(key);
    return [key, values];
  });
}

/** Every combination of the axes' values, the first axis slowest. */
function product(list: [string, string[]][]): [string, string][][] {
  return list.reduce<[string, string][][]>((combos, [key, values]) => combos.flatMap((c) => values.map((v) => [...c, [key, v] as [string, string]])), [[]]);
}

/** The two-sided 95% quantile of Student's t with `df` degrees of freedom. */
function t95(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
  return df <= table.length ? table[df - 1] : 1.96;
}

/** The mean of the values and a 95% t-interval for it (none from one value). */
export function meanInterval(values: number[]): { mean: number; low: number | null; high: number | null } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, low: null, high: null };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = (t95(n - 1) * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half };
}

export const sweepCommand = {
  command: 'sweep',
  describe: 'train over a grid of settings and seeds, evaluate each, and tabulate the mean and interval per setting',
  builder: (y: Argv) =>
    withQueueOption(y, 'the items (one training and its evaluation per setting and seed)')
      .option('algo', { choices: ['gps', 'bptt'] as const, default: 'gps' as const, describe: 'the learned optimizer to train' })
      .option('env', { type: 'string', default: 'logreg', describe: 'families, comma-separated (an axis of the grid)' })
      .option('param', { type: 'string', array: true, default: [] as string[], describe: 'family parameter key=v1,v2,… (repeatable; several values are an axis)' })
      .option('train', { type: 'string', array: true, default: [] as string[], describe: 'l2o train option key=v1,v2,… without its dashes, e.g. kl-step=0.1,0.2 or iterations=3 (repeatable; several values are an axis; true/false for a switch)' })
      .option('seeds', { type: 'string', default: '1,2,3', describe: 'training seeds, comma-separated: the replicates each setting is averaged over' })
      .option('problems', { default: 100, coerce: positiveInteger('problems'), describe: 'test instances each trained optimizer is evaluated on' })
      .option('steps', { default: 100, coerce: positiveInteger('steps'), describe: 'steps of each evaluation run' })
      .option('eval-seed', { type: 'string', default: '1', requiresArg: true, coerce: seedString, describe: 'seed of the evaluation (the same starting points for every setting and training seed)' })
      .option('out', { type: 'string', default: 'runs/sweep', describe: 'the run directories go to OUT/<setting>/seed-<s> (reused on a rerun), and the results to OUT/sweep.json' })
      .option('json', { type: 'boolean', default: false, describe: 'print exactly one JSON object to stdout' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
      .example('# GPS on logistic regression, 3 training seeds:', '')
      .example('$0 sweep --algo gps --env logreg --seeds 1,2,3', '')
      .example('# a 2×2 grid, its items run by `l2o worker` processes:', '')
      .example('$0 sweep --env logreg,small-net --train kl-step=0.1,0.2 --queue redis://h', ''),
  async handler(args: SweepArgs) {
    const seeds = args.seeds.split(',').map((s) => s.trim());
    if (seeds.some((s) => s === '')) throw new UserError(`--seeds '${args.seeds}' has an empty seed`);
    if (new Set(seeds).size !== seeds.length) throw new UserError(`--seeds '${args.seeds}' lists a seed twice`);
    const envs = args.env.split(',').map((e) => e.trim());
    if (envs.some((e) => e === '')) throw new UserError(`--env '${args.env}' has an empty name`);
    const paramAxes = axes(args.param, 'param');
    const trainAxes = axes(args.train, 'train');
    for (const [key] of trainAxes) if (['seed', 'out', 'resume', 'env', 'param', 'algo', 'workers', 'quiet'].includes(key)) throw new UserError(`--train ${key}=… is set by the sweep itself`);
    for (const [key] of trainAxes) {
      const why = notReadBy(args.algo, key);
      if (why !== null) throw new UserError(`--train ${key}=… ${why}; leave it out`);
    }
    for (const train of product(trainAxes)) await checkTrainFlags(args.algo, train);
    const settings: Setting[] = [];
    for (const env of envs) {
      // A family file is named by its absolute path, so that a worker elsewhere finds it (on a shared filesystem).
      const name = /\.(ts|mts|js|mjs)$/.test(env) ? resolve(env) : env;
      for (const params of product(paramAxes)) {
        await checkFamilyFromArgs({ env: name, param: params.map(([k, v]) => `${k}=${v}`) }); // a bad family fails before any training
        for (const train of product(trainAxes)) settings.push({ env: name, params, train });
      }
    }
    const queue = args.queue === undefined ? undefined : await queueFromArgs(args.queue);
    if (queue) warnWorkersUnused(process.argv, args.workers);
    if (queue) sayJobsStayWhenStopped('sweep', queue.address.display);
    const out = resolve(args.out);
    const varying = new Set([...paramAxes.filter(([, v]) => v.length > 1).map(([k]) => `param:${k}`), ...trainAxes.filter(([, v]) => v.length > 1).map(([k]) => `train:${k}`)]);
    const name = (s: Setting) => settingLabel(s, varying);
    const slug = (s: Setting) => name(s).replace(/[^A-Za-z0-9._=-]+/g, '_');
    // Two settings in one directory would train into each other's runs (family files of one name in two folders).
    const bySlug = new Map<string, Setting>();
    for (const setting of settings) {
      const other = bySlug.get(slug(setting));
      if (other && other.env !== setting.env) throw new UserError(`--env ${other.env} and ${setting.env} would share the run directories ${join(out, slug(setting))}: give the family files different names`);
      bySlug.set(slug(setting), setting);
    }
    // A family module's contents are part of the item (src/file-stamp.ts): an edit is new work, and a file changed before the item runs is refused.
    const { isFamilyModulePath } = await import('../../envs/registry.ts');
    const stamps = new Map(settings.filter((s) => isFamilyModulePath(s.env)).map((s) => [s.env, fileStamp(resolve(s.env))]));
    const items: SweepItem[] = settings.flatMap((setting) =>
      seeds.map((seed) => ({ algo: args.algo, setting, seed, dir: join(out, slug(setting), `seed-${seed}`), problems: args.problems, steps: args.steps, evalSeed: args['eval-seed'], ...(stamps.has(setting.env) ? { familyStamp: stamps.get(setting.env) } : {}) })),
    );
    const label = (item: SweepItem) => `${item.algo} on ${name(item.setting)}, seed ${item.seed}`;
    makeUserDirectory(out, '--out');
    let done = 0;
    // A line per item with the time left at the rate so far (items are trainings: minutes each).
    const progress = new ProgressReporter({ label: 'sweep items', total: items.length, quiet: args.quiet });
    const finished = (item: SweepItem, r: SweepResult) => {
      done += 1;
      progress.phase(done, `sweep: ${label(item)}: mean final ${r.meanFinal.toPrecision(4)}`);
      return r;
    };
    const summaryPayload: SummaryPayload = {
      algo: args.algo,
      fixed: { params: Object.fromEntries(paramAxes.filter(([, v]) => v.length === 1).map(([k, v]) => [k, v[0]])), train: Object.fromEntries(trainAxes.filter(([, v]) => v.length === 1).map(([k, v]) => [k, v[0]])) },
      problems: args.problems,
      steps: args.steps,
      evalSeed: args['eval-seed'],
      settings: settings.map(name),
      seeds,
      out,
    };
    let summary: SweepSummary;
    if (queue) {
      // A flow: the items are the children, and the summary (the table, OUT/sweep.json) their parent,
      // which a worker runs once they are all done, even if this process is gone by then.
      const { createQueuePool } = await import('../queue/queue-pool.ts');
      const pool = await createQueuePool(queue, {
        size: 1,
        describe: (task, payload) => (task.name === 'sweepSummary' ? `the summary of the sweep in ${out}` : label(payload as SweepItem)),
        onStatus: (line) => process.stderr.write(`sweep: ${line}\n`),
      });
      try {
        const flow = pool.runFlow<SweepSummary, SweepResult>({ task: SWEEP_SUMMARY, payload: { ...summaryPayload } }, items.map((item) => ({ task: SWEEP_ITEM, payload: item })));
        const children = flow.children.map((child, k) => child.then((r) => finished(items[k], r)));
        [summary] = await Promise.all([flow.parent, ...children]);
      } finally {
        await pool.close();
      }
    } else {
      // Without a queue: --workers items at a time, each a child process with one thread.
      const results: SweepResult[] = new Array(items.length);
      let next = 0;
      const lane = async () => {
        while (next < items.length) {
          const k = next++;
          try {
            results[k] = finished(items[k], await sweepItem(items[k]));
          } catch (err) {
            next = items.length; // the run stops: no new items
            const message = `${label(items[k])} failed: ${(err as Error).message}`;
            throw err instanceof UserError ? new UserError(message) : new Error(message);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(args.workers ?? 1, items.length) }, lane));
      summary = sweepSummary({ ...summaryPayload, results });
    }
    progress.finish();
    const { rows } = summary;
    if (args.json) return console.log(JSON.stringify(summary));
    const { formatNumber, table } = await import('../evaluate/format.ts');
    const fixed = [...paramAxes.filter(([, v]) => v.length === 1).map(([k, v]) => `--param ${k}=${v[0]}`), ...trainAxes.filter(([, v]) => v.length === 1).map(([k, v]) => `--${k} ${v[0]}`)];
    console.log(`${args.algo}${fixed.length > 0 ? ` (${fixed.join(' ')})` : ''}: mean final f on ${args.problems} test instances, ${args.steps} steps (evaluation seed ${args['eval-seed']}), over training seeds ${seeds.join(', ')}\n`);
    console.log(
      table(
        ['setting', 'seeds', 'mean final', '95% interval', 'per seed', 'diverged'],
        rows.map((r) => [r.setting, String(r.seeds.length), formatNumber(r.mean), r.low === null ? '-' : `[${formatNumber(r.low)}, ${formatNumber(r.high)}]`, r.finals.map(formatNumber).join(' '), String(r.diverged)]),
      ),
    );
  },
};
