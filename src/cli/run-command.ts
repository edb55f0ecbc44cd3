import type { Argv } from 'yargs';
import { UserError } from '../errors.ts';
import type { Objective } from '../../envs/objective.ts';
import type { Observation, Policy } from '../../policies/policy.ts';
import type { Rng } from '../random.ts';
import { findHandDesigned, HAND_DESIGNED } from '../../policies/hand-designed.ts';
import { checkFamilyFromArgs, describeBackend, familyFromArgs, familyUsesTfjs, LR_REFINE_OPTION, NO_TFJS, positiveNumber, problemCount, startBackend, withRunSetOptions, type RunSetArgs } from './options.ts';
import { learnedSpec } from './optimizers.ts';

interface RunArgs extends RunSetArgs {
  optimizer: string;
  'lr-refine'?: number;
  quiet: boolean;
  /** The global --workers (main.ts): the tuning's grid points run on them. */
  workers?: number;
}

/** Coordinates of the final x printed in full; a longer x shows its first ones and a count. */
const FULL_VECTOR = 10;

/** `[1, -2]`, or `[0.1, 0.2, …, 0.6, … 994 more]` for a long vector. */
export function formatVector(x: ArrayLike<number>, format: (v: number) => string): string {
  const values = Array.from(x);
  const shown = (values.length <= FULL_VECTOR ? values : values.slice(0, 6)).map(format);
  if (x.length > FULL_VECTOR) shown.push(`… ${(x.length - shown.length).toLocaleString('en-US')} more (${x.length.toLocaleString('en-US')} coordinates)`);
  return `[${shown.join(', ')}]`;
}

/**
 * The policy as it is, watched: the x it ends at (x_T = x_{T−1} + Δx, the environment's own sum).
 * Used on one instance at a time, so a run that never starts (f not finite at x0) leaves no x.
 */
class FinalPoint implements Policy {
  x: Float64Array | null = null;

  constructor(private readonly inner: Policy) {}

  get name(): string {
    return this.inner.name;
  }

  get historyLength(): number | undefined {
    return this.inner.historyLength;
  }

  reset(objective: Objective, rng: Rng): void {
    this.x = null;
    this.inner.reset(objective, rng);
  }

  act(observation: Observation): Float64Array {
    const action = this.inner.act(observation);
    const x = new Float64Array(action.length);
    for (let i = 0; i < x.length; i++) x[i] = observation.x[i] + action[i];
    this.x = x;
    return action;
  }
}

export const runCommand = {
  command: 'run',
  describe: 'run one optimizer on the instances of a split, and show where it ends',
  builder: (y: Argv) =>
    withRunSetOptions(y, '10')
      .option('optimizer', { type: 'string', demandOption: true, describe: `optimizer name (${HAND_DESIGNED.map((o) => o.name).join(', ')}), or gps:DIR / bptt:DIR / lista:DIR for one trained by l2o train (lista: K learned layers, then ISTA steps)` })
      .option('lr', { coerce: positiveNumber('lr'), describe: 'learning rate of a hand-designed optimizer (default: tuned on the training split)' })
      .option('lr-refine', LR_REFINE_OPTION)
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
      .example('$0 run --env quadratic --optimizer adam --lr 0.1 --steps 100', '')
      .example('$0 run --expr "(1-x)^2 + 100*(y-x^2)^2" --optimizer lbfgs --problems 3', '')
      .example('$0 run --env logreg --optimizer gps:runs/gps-logreg   # a learned optimizer', ''),
  async handler(args: RunArgs) {
    const learned = learnedSpec(args.optimizer);
    if (learned && args.lr !== undefined) throw new UserError(`--lr does not apply to a learned optimizer (${args.optimizer}): it computes its own steps`);
    if (args['lr-refine'] !== undefined && (learned || args.lr !== undefined)) throw new UserError(`--lr-refine refines the tuning, which ${learned ? 'a learned optimizer does not have' : '--lr skips'}: drop one of them`);
    if (!learned) findHandDesigned(args.optimizer); // an unknown name fails before tfjs loads
    await checkFamilyFromArgs(args); // before tfjs loads: a bad --env or --param costs no start-up
    let backend = (await familyUsesTfjs(args)) ? await startBackend() : NO_TFJS;
    const family = await familyFromArgs(args);
    const { runProblems, hasDiverged, startedBadly } = await import('../../policies/run-problems.ts');
    const { formatNumber, table } = await import('../evaluate/format.ts');
    const problems = problemCount(family, args.split, args.problems ?? Math.min(10, family.splitSizes[args.split]));
    let policy: Policy;
    let name: string;
    let lr: number | null = null;
    let tuning: import('../evaluate/tuner.ts').TuningResult | undefined;
    if (learned) {
      const { contender } = await import('./optimizers.ts');
      const loaded = await contender(args.optimizer); // starts the backend if the policy computes with tfjs
      if (!('policy' in loaded.contender)) throw new Error('a learned optimizer loads as a policy');
      if (loaded.tfjs) backend = await startBackend();
      policy = loaded.contender.policy;
      name = args.optimizer;
    } else {
      const { findHandDesigned, DEFAULT_LR_GRID } = await import('../../policies/hand-designed.ts');
      const optimizer = findHandDesigned(args.optimizer);
      if (args.lr === undefined) {
        // A pool only where there is tuning to share out; the runs themselves are few.
        const { tuneLearningRate, tuningRuns } = await import('../evaluate/tuner.ts');
        const { createPool, defaultWorkers } = await import('../parallel/worker-pool.ts');
        const { ProgressReporter } = await import('../progress.ts');
        const pool = createPool(args.workers ?? defaultWorkers(), { tfjs: backend !== NO_TFJS });
        // Tuning is most of a run's time (every rate on every training instance): a bar, and a line when done.
        const progress = new ProgressReporter({ label: `run: tuning ${optimizer.name}`, total: tuningRuns(DEFAULT_LR_GRID, args['lr-refine']) * family.splitSizes.train, quiet: args.quiet });
        // (With no training instances the tuning refuses at once: no line announces it.)
        if (family.splitSizes.train > 0) progress.line(`run: tuning ${optimizer.name}'s learning rate on ${family.splitSizes.train} training instances (--lr skips it)`);
        let done = 0;
        tuning = await tuneLearningRate(optimizer, family, { steps: args.steps, seed: args.seed, grid: DEFAULT_LR_GRID, refine: args['lr-refine'], pool, onRuns: (count) => progress.update((done += count)) }).finally(() => {
          progress.finish();
          return pool.close();
        });
        if (!args.quiet) process.stderr.write(`run: ${optimizer.name}: tuned lr ${tuning.lr} (${progress.elapsedSeconds().toFixed(1)} s)\n`);
      }
      lr = args.lr ?? tuning!.lr;
      policy = optimizer.create(lr);
      name = optimizer.name;
    }
    // One instance at a time, so each run's final x is known; instance i's run is the same as in a loop over all.
    const watched = new FinalPoint(policy);
    const runs = Array.from({ length: problems }, (_, i) => {
      const [run] = runProblems(watched, { family, split: args.split, first: i, problems: 1, steps: args.steps, seed: args.seed });
      const x = run.divergedAt === null && watched.x !== null ? watched.x : null;
      return { ...run, x };
    });
    const bad = runs.filter((r) => startedBadly(r)).map((r) => r.objective);
    if (bad.length === runs.length) throw new UserError(`f is not finite at the starting point of any of the ${runs.length} instance${runs.length === 1 ? '' : 's'} (${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}): the objective is broken there`);
    if (bad.length > 0) process.stderr.write(`warning: f is not finite at the starting point of ${bad.length} instance${bad.length === 1 ? '' : 's'} (${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}): counted as diverged\n`);
    if (args.json) {
      const out = {
        env: family.name,
        optimizer: name,
        lr,
        split: args.split,
        steps: args.steps,
        seed: args.seed,
        backend,
        ...(tuning ? { tuning } : {}),
        runs: runs.map((r) => ({
          objective: r.objective,
          initial: r.values[0],
          final: r.values[args.steps],
          diverged: hasDiverged(r),
          evaluations: r.evaluations,
          values: Array.from(r.values, (v) => (Number.isFinite(v) ? v : null)),
          x: r.x && Array.from(r.x),
        })),
      };
      console.log(JSON.stringify(out));
      return;
    }
    const how = learned ? 'learned' : `lr ${lr}${tuning ? ', tuned on train' : ''}`;
    console.log(`${name} (${how}) on ${problems} ${args.split} instance${problems === 1 ? '' : 's'} of ${family.name}, ${args.steps} steps, seed ${args.seed}, ${describeBackend(backend)}\n`);
    console.log(table(['objective', 'f(x0)', `f(x${args.steps})`, 'diverged', 'evaluations'], runs.map((r) => [r.objective, formatNumber(r.values[0]), formatNumber(r.values[args.steps]), hasDiverged(r) ? 'yes' : 'no', String(r.evaluations)])));
    console.log(`\nfinal x (x${args.steps}):`);
    const width = Math.max(...runs.map((r) => r.objective.length));
    for (const r of runs) console.log(`  ${r.objective.padEnd(width)}  ${r.x ? formatVector(r.x, (v) => String(Number(v.toPrecision(6)))) : 'none (the run diverged)'}`);
  },
};
