import type { Argv } from 'yargs';
import { initBackend } from '../backend.ts';
import { DEFAULT_GPS_CONFIG, type GpsConfig, type IterationLog } from '../gps/badmm.ts';
import { trainGps } from '../gps/train.ts';
import { UserError } from '../errors.ts';
import { mean, median } from '../vector.ts';
import { familyFromArgs, positiveInteger, positiveNumber, withEnvOptions, type EnvArgs } from './options.ts';

interface TrainArgs extends EnvArgs {
  algo: string;
  out: string;
  resume: boolean;
  conditions?: number;
  horizon: number;
  iterations: number;
  samples: number;
  history: number;
  seed: string;
  klStep: number;
  inner: number;
  policyIterations: number;
  initialNoise: number;
  quiet: boolean;
}

export function describeIteration(log: IterationLog, config: GpsConfig): string {
  const t = log.timing;
  return (
    `iteration ${log.iteration + 1}/${config.iterations}: teacher cost ${mean(log.teacherCost).toPrecision(4)}, ` +
    `policy cost ${mean(log.policyCost).toPrecision(4)}, KL(p‖π̄) ${median(log.klTeacherPolicy).toPrecision(3)}, ` +
    `η ${median(log.eta).toPrecision(3)}, ν ${median(log.nu).toPrecision(3)} (medians); ${log.seconds.toFixed(1)} s ` +
    `(sampling ${t.sampling.toFixed(1)}, dynamics ${t.dynamics.toFixed(1)}, LQR ${t.lqr.toFixed(1)}, policy ${t.policy.toFixed(1)})`
  );
}

export const trainCommand = {
  command: 'train',
  describe: 'train a learned optimizer (guided policy search) on the training split',
  builder: (y: Argv) =>
    withEnvOptions(y)
      .option('algo', { type: 'string', default: 'gps', choices: ['gps'], describe: 'training algorithm' })
      .option('out', { type: 'string', demandOption: true, describe: 'run directory: checkpoint, policy and log' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out after its last finished iteration' })
      .option('conditions', { coerce: positiveInteger('conditions'), describe: 'training objectives used (default: the whole training split)' })
      .option('horizon', { default: DEFAULT_GPS_CONFIG.horizon, coerce: positiveInteger('horizon'), describe: 'T, steps per sample' })
      .option('iterations', { default: DEFAULT_GPS_CONFIG.iterations, coerce: positiveInteger('iterations'), describe: 'GPS iterations' })
      .option('samples', { default: DEFAULT_GPS_CONFIG.samples, coerce: positiveInteger('samples'), describe: 'M, samples per condition per iteration (≥ 2)' })
      .option('history', { default: DEFAULT_GPS_CONFIG.historyLength, coerce: positiveInteger('history'), describe: 'history length H of the state' })
      .option('seed', { type: 'string', default: '1', describe: 'seed of every random draw' })
      .option('kl-step', { default: DEFAULT_GPS_CONFIG.klStep, coerce: positiveNumber('kl-step'), describe: 'KL bound per step of the teacher update' })
      .option('inner', { default: DEFAULT_GPS_CONFIG.innerIterations, coerce: positiveInteger('inner'), describe: 'BADMM inner iterations' })
      .option('initial-noise', { default: DEFAULT_GPS_CONFIG.initialNoise, coerce: positiveNumber('initial-noise'), describe: "first teachers' noise, relative to momentum's first step" })
      .option('policy-iterations', { default: DEFAULT_GPS_CONFIG.policyIterations, coerce: positiveInteger('policy-iterations'), describe: 'Adam steps per policy update' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
      .example('$0 train --algo gps --env logreg --iterations 10 --out runs/gps-logreg', '')
      .example('$0 train --algo gps --env logreg --iterations 15 --out runs/gps-logreg --resume', ''),
  async handler(args: TrainArgs) {
    const backend = await initBackend();
    const family = await familyFromArgs(args);
    const conditions = args.conditions ?? family.splitSizes.train;
    if (conditions > family.splitSizes.train) throw new UserError(`--conditions ${conditions} exceeds the ${family.splitSizes.train} training instances of ${family.name}`);
    if (args.samples < 2) throw new UserError('--samples must be at least 2 (the dynamics fit needs two samples per condition)');
    const config: GpsConfig = {
      ...DEFAULT_GPS_CONFIG,
      conditions,
      horizon: args.horizon,
      iterations: args.iterations,
      samples: args.samples,
      historyLength: args.history,
      seed: args.seed,
      klStep: args.klStep,
      innerIterations: args.inner,
      policyIterations: args.policyIterations,
      initialNoise: args.initialNoise,
    };
    const say = (message: string) => {
      if (!args.quiet) process.stderr.write(`${message}\n`);
    };
    say(`GPS on ${family.name}: ${conditions} conditions, T = ${config.horizon}, M = ${config.samples}, H = ${config.historyLength}, tfjs backend ${backend}`);
    const started = Date.now();
    const envParams = Object.fromEntries(args.param.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    if (args.expr !== undefined) envParams.expr = args.expr;
    trainGps({
      config,
      family,
      identity: { env: args.expr !== undefined ? 'expr' : args.env, envParams },
      out: args.out,
      resume: args.resume,
      onIteration: (log) => say(describeIteration(log, config)),
      onProgress: (message) => {
        if (!args.quiet && process.stderr.isTTY) process.stderr.write(`  … ${message}\x1b[K\r`);
      },
    });
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; evaluate with: l2o eval --env ${args.env} --optimizers gps:${args.out},gd,momentum,cg,lbfgs`);
  },
};
