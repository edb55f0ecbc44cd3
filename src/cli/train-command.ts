import type { Argv } from 'yargs';
import { existsSync } from 'node:fs';
import { describeDirectory } from '../run-directory.ts';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { COST_GRADIENTS, DEFAULT_GPS_CONFIG, GRADIENT_DYNAMICS, POLICY_KINDS, TEACHER_SCORES, defaultFeatures, defaultGpsConfig, defaultHistoryLength, defaultInitialNoise, defaultTeacherScore, type GpsConfig } from '../gps/config.ts';
import { DEFAULT_BPTT_CONFIG, type BpttConfig } from '../supervised/config.ts';
import { META_OBJECTIVES, type MetaObjective } from '../meta-objective.ts';
import { DEFAULT_LISTA_CONFIG, type ListaConfig } from '../supervised/lista-config.ts';
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { extendsHistory, FEATURE_SETS } from '../../envs/coordinate-features.ts';
import { isFullStateFeatureSet } from '../../envs/full-state-features.ts';
import type { RunIdentity } from '../run-directory.ts';
import { ProgressReporter } from '../progress.ts';
import { ALGOS, refuseOtherAlgorithmsOptions, type Algo } from './algo-options.ts';
import { checkRestartsDirectory, describeRestarts, restartDir, savedCombine, savedFirstSeed, savedRestarts } from '../gps/restarts-directory.ts';
import { COMBINES, defaultCombine, defaultRestarts, type Combine } from '../gps/restarts.ts';
import { refuseContradictingBpttFlags, refuseContradictingGpsFlags, resumedBpttConfig, resumedGpsConfig, savedConfig, savedIteration, savedTargetIterations, typed, type SavedConfig } from './resume-flags.ts';
import { checkFamilyFromArgs, describeBackend, familyFromArgs, familyUsesTfjs, NO_TFJS, nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber, seedString, startBackend, withEnvOptions, type EnvArgs } from './options.ts';

interface TrainArgs extends EnvArgs {
  algo: string;
  out: string;
  resume: boolean;
  seed: string;
  /** Filled in by view (defaultRestarts, defaultCombine) by the handler when not given. */
  restarts?: number;
  combine?: string;
  quiet: boolean;
  /** The global --workers (main.ts). */
  workers?: number;
  iterations?: number;
  horizon?: number;
  metaObjective?: string;
  // gps
  conditions?: number;
  samples: number;
  history?: number;
  klStep: number;
  inner: number;
  policyIterations: number;
  policyBatch: number;
  initialNoise?: number;
  teacherScore?: string;
  teacherRefine: number;
  coordinatewise: boolean;
  nuStep: string;
  stepAdjustment: string;
  onPolicySamples: number;
  explorationFloor: number;
  warmStartMixtures: boolean;
  initialNu: number;
  sampledCoordinates: number;
  parameterGroups: boolean;
  features?: string;
  gradientDynamics: string;
  costGradient: string;
  policy: string;
  lstmCells: number;
  gradientScaling?: string;
  // bptt (batch, lr, validation, validateEvery: lista too)
  unroll: number;
  batch?: number;
  lr?: number;
  validation?: number;
  validationSteps: number;
  validateEvery?: number;
  // lista
  layers: number;
  hidden: number;
  outputScale: number;
  preprocessP: number;
  chunkSize: number;
}

/**
 * Whether a GPS training computes with tfjs through its policy: the LSTM does, the feed-forward
 * network runs in plain JavaScript and wasm kernels of its own (BPTT's and LISTA's networks are tfjs).
 * A resumed run keeps the policy it was started with (`saved`); a state file that cannot be read
 * counts as tfjs, and the trainer reports what is wrong with it.
 */
function gpsPolicyUsesTfjs(args: TrainArgs, saved: SavedConfig): boolean {
  if (args.policy === 'lstm' || saved === 'unreadable') return true;
  return saved !== null && (saved.policy ?? 'mlp') !== 'mlp';
}

/** The header of a GPS training: the run's settings (a resumed run's are its saved ones) and the backend. */
function describeGpsRun(familyName: string, config: GpsConfig, backend: string): string {
  const notes = [...(config.gradientScaling === 'none' ? [] : [`gradients scaled by ${config.gradientScaling}`]), ...(config.features === 'history' ? [] : [`${config.features} features`])];
  const view = config.coordinatewise
    ? `per coordinate (${[`${config.sampledCoordinates} coordinates recorded per rollout${config.parameterGroups ? ' and parameter group, a teacher per group' : ''}`, ...notes].join(', ')})`
    : `full state${notes.length ? ` (${notes.join(', ')})` : ''}`;
  return `GPS on ${familyName}, ${view}: ${config.conditions} conditions, ${config.validation} held out, T = ${config.horizon}, meta-objective ${config.metaObjective}, M = ${config.samples}, H = ${config.historyLength}${config.policy === 'lstm' ? `, LSTM policy (${config.lstmCells} cells)` : ''}, ${describeBackend(backend)}`;
}

/** --restarts N: each restart a whole GPS training in its own directory, then the best one or their mean kept (--combine; src/gps/train-restarts.ts). */
async function runGpsRestarts(args: TrainArgs, restarts: number, family: ObjectiveFamily, identity: RunIdentity, say: (m: string) => void, backend: string): Promise<void> {
  const { divideTrainingSplit } = await import('../gps/train.ts');
  const { runRestarts } = await import('../gps/train-restarts.ts');
  if (args.combine === 'best' && divideTrainingSplit(family, args).validation === 0) throw new UserError(`--restarts needs held-out instances to choose between the restarts; ${family.name} has none left after --conditions (give --validation N, or raise trainSize, or keep their mean with --combine mean)`);
  const firstSeed = args.resume ? savedFirstSeed(args.out) : null;
  if (firstSeed !== null && typed(process.argv, 'seed') && args.seed !== firstSeed) throw new UserError(`--seed ${args.seed} contradicts the run in ${args.out}, whose first restart has seed ${firstSeed}; leave --seed as it was`);
  // A restart not started yet takes its settings from the flags given now; on resume they must be
  // the first restart's, or the restarts' held-out scores would not compare like with like.
  const first = args.resume ? savedConfig(restartDir(args.out, 1)) : null;
  // Checked here, for every restart not started, before any training: a refusal must not come
  // after restart 1 has gone on.
  if (first !== null && first !== 'unreadable') {
    for (let k = 2; k <= restarts; k++) {
      if (!existsSync(join(restartDir(args.out, k), 'state.json'))) await runGps({ ...args, out: restartDir(args.out, k) }, family, identity, say, backend, null, { settings: first, label: `restart ${k}` }, true);
    }
  }
  const file = await runRestarts(args.out, args.seed, restarts, args.resume, async ({ index, dir, seed, resume }) => {
    say(`restart ${index} of ${restarts}, seed ${seed}, in ${dir}${resume ? ' (resumed)' : ''}`);
    await runGps({ ...args, out: dir, seed, resume }, family, identity, say, backend, resume ? savedConfig(dir) : null);
  }, args.combine as Combine, family); // yargs has checked the choice
  say(describeRestarts(file));
  say(file.mean ? `kept the mean of the ${file.restarts.length} restarts' policies as ${join(args.out, 'policy.json')}` : `kept restart ${file.kept}'s policy as ${join(args.out, 'policy.json')}`);
}

async function runGps(args: TrainArgs, family: ObjectiveFamily, identity: RunIdentity, say: (m: string) => void, backend: string, saved: SavedConfig, sameAs?: { settings: Record<string, unknown>; label: string }, checkOnly = false): Promise<void> {
  const { checkGpsConfig } = await import('../gps/badmm.ts');
  const { describeIteration } = await import('../gps/iteration-summary.ts');
  const { divideTrainingSplit, trainGps } = await import('../gps/train.ts');
  const { createPool, defaultWorkers } = await import('../parallel/worker-pool.ts');
  const { conditions, validation } = divideTrainingSplit(family, args);
  // The settings that differ by view default to the view's own (defaultGpsConfig).
  const base = defaultGpsConfig(args.coordinatewise);
  const features = (args.features ?? base.features) as GpsConfig['features']; // yargs has checked the choices
  const config: GpsConfig = {
    ...base,
    conditions,
    validation,
    validationSteps: args.validationSteps,
    horizon: args.horizon ?? DEFAULT_GPS_CONFIG.horizon,
    metaObjective: (args.metaObjective ?? base.metaObjective) as MetaObjective, // yargs has checked the choices
    // A plain --resume trains to the count the run was started with; --iterations N extends it.
    iterations: args.iterations ?? (args.resume ? savedTargetIterations(args.out) : undefined) ?? DEFAULT_GPS_CONFIG.iterations,
    samples: args.samples,
    historyLength: args.history ?? base.historyLength,
    seed: args.seed,
    klStep: args.klStep,
    innerIterations: args.inner,
    policyIterations: args.policyIterations,
    policyBatch: args.policyBatch,
    initialNoise: args.initialNoise ?? base.initialNoise,
    teacherScore: (args.teacherScore ?? base.teacherScore) as GpsConfig['teacherScore'], // yargs has checked the choices
    teacherRefine: args.teacherRefine,
    coordinatewise: args.coordinatewise,
    nuStep: args.nuStep as GpsConfig['nuStep'], // yargs has checked the choices
    stepAdjustment: args.stepAdjustment as GpsConfig['stepAdjustment'],
    onPolicySamples: args.onPolicySamples,
    explorationFloor: args.explorationFloor,
    warmStartMixtures: args.warmStartMixtures,
    initialNu: args.initialNu,
    sampledCoordinates: args.sampledCoordinates,
    parameterGroups: args.parameterGroups,
    features,
    gradientDynamics: args.gradientDynamics as GpsConfig['gradientDynamics'],
    costGradient: args.costGradient as GpsConfig['costGradient'],
    policy: args.policy as GpsConfig['policy'],
    lstmCells: args.lstmCells,
    // The li-malik-2017 features normalize their gradients themselves.
    gradientScaling: (args.gradientScaling ?? (extendsHistory(features) ? DEFAULT_GPS_CONFIG.gradientScaling : 'none')) as GpsConfig['gradientScaling'],
  };

  // The library checks these too, in its own terms; here they are named by their flags.
  if (config.samples < 2) throw new UserError('--samples must be at least 2 (the dynamics fit needs two samples per condition)');
  if (config.parameterGroups && !config.coordinatewise) throw new UserError('--parameter-groups needs --coordinatewise (the full-state teacher acts on all coordinates at once)');
  if (config.policy === 'lstm' && !config.coordinatewise) throw new UserError('--policy lstm needs --coordinatewise (the LSTM steps one coordinate at a time)');
  if (config.gradientDynamics !== 'fitted' && !config.coordinatewise) throw new UserError('--gradient-dynamics coherent needs --coordinatewise (the full-state dynamics see every coordinate)');
  if (config.costGradient !== 'minibatch' && !config.coordinatewise) throw new UserError('--cost-gradient denoised needs --coordinatewise (the full-state cost model has no per-coordinate gradient to shrink)');
  if (!isFullStateFeatureSet(config.features) && !config.coordinatewise) throw new UserError(`--features ${config.features} needs --coordinatewise (they are per-coordinate features)`);
  if (config.features === 'li-malik-2017' && config.gradientScaling !== 'none') throw new UserError(`--features li-malik-2017 normalizes its gradients itself: leave out --gradient-scaling ${config.gradientScaling}`);
  if (config.conditions + config.validation > family.splitSizes.train) {
    // --validation by default takes what the conditions leave: named only when it was given.
    const asked = args.validation === undefined ? `--conditions ${config.conditions} needs` : `--conditions ${config.conditions} and --validation ${config.validation} need`;
    throw new UserError(`${asked} ${config.conditions + config.validation} training instances; ${family.name} has ${family.splitSizes.train} (lower ${args.validation === undefined ? 'it' : 'them'}, or give it more with --param trainSize=N)`);
  }
  checkGpsConfig(config, family); // before the header, so a bad setting prints only its error
  if (sameAs) {
    // Everything but the seed and the number of iterations (which --resume may extend).
    const differ = Object.keys(sameAs.settings).filter((key) => !['seed', 'iterations'].includes(key) && JSON.stringify(sameAs.settings[key]) !== JSON.stringify(config[key as keyof GpsConfig]));
    if (differ.length > 0) {
      throw new UserError(`${sameAs.label} has not started, and the flags given now would train it unlike restart 1 (${differ.map((key) => `${key} ${JSON.stringify(config[key as keyof GpsConfig])} against ${JSON.stringify(sameAs.settings[key])}`).join(', ')}); resume with the run's original flags`);
    }
  }
  if (checkOnly) return;
  if (args.resume) refuseContradictingGpsFlags(args.out, process.argv, config);
  // Options that only some forms of GPS read, typed for one that does not (judged by the settings the
  // run goes on with, a resumed run's saved ones), would be ignored without a word.
  const goesOnWith = resumedGpsConfig(saved, config);
  if (typed(process.argv, 'sampled-coordinates') && !goesOnWith.coordinatewise) throw new UserError('--sampled-coordinates needs --coordinatewise (the full-state teacher records every coordinate)');
  if (typed(process.argv, 'lstm-cells') && goesOnWith.policy !== 'lstm') throw new UserError('--lstm-cells needs --policy lstm (the MLP policy has its own 50 units)');
  if (typed(process.argv, 'validation-steps') && goesOnWith.validation === 0) throw new UserError('--validation-steps needs held-out instances: with --validation 0 no iteration is scored and the last is kept');
  say(describeGpsRun(family.name, goesOnWith, backend));
  // Without tfjs here, the workers skip it too; an item that builds a tfjs family starts it there.
  const pool = createPool(args.workers ?? defaultWorkers(), { tfjs: backend !== NO_TFJS });
  const progress = new ProgressReporter({ label: 'GPS iterations', total: config.iterations, start: args.resume ? savedIteration(args.out) : 0, quiet: args.quiet });
  await trainGps({
    config: goesOnWith, // a resumed run's trainer insists on the run's own settings
    family,
    identity,
    out: args.out,
    resume: args.resume,
    pool,
    onIteration: (log, _config, best) => progress.phase(log.iteration + 1, describeIteration(log, goesOnWith, best)),
    // What the iteration is doing now (sampling, condition k's LQR, …): on a TTY, after the bar.
    onProgress: (message) => progress.note(message),
  }).finally(() => {
    progress.finish();
    return pool.close();
  });
}

async function runBptt(args: TrainArgs, family: ObjectiveFamily, identity: RunIdentity, say: (m: string) => void, backend: string): Promise<void> {
  const { validateBpttConfig } = await import('../supervised/bptt.ts');
  const { trainBptt } = await import('../supervised/train.ts');
  const config: BpttConfig = {
    lstm: { hidden: args.hidden, layers: DEFAULT_BPTT_CONFIG.lstm.layers, preprocessP: args.preprocessP, outputScale: args.outputScale },
    // A plain --resume trains to the count the run was started with; --iterations N extends it.
    iterations: args.iterations ?? (args.resume ? savedTargetIterations(args.out) : undefined) ?? DEFAULT_BPTT_CONFIG.iterations,
    horizon: args.horizon ?? DEFAULT_BPTT_CONFIG.horizon,
    unroll: args.unroll,
    batch: args.batch ?? DEFAULT_BPTT_CONFIG.batch,
    learningRate: args.lr ?? DEFAULT_BPTT_CONFIG.learningRate,
    validationProblems: args.validation ?? DEFAULT_BPTT_CONFIG.validationProblems,
    validateEvery: args.validateEvery ?? DEFAULT_BPTT_CONFIG.validateEvery,
    metaObjective: (args.metaObjective ?? DEFAULT_BPTT_CONFIG.metaObjective) as MetaObjective,
    chunkSize: args.chunkSize,
    seed: args.seed,
  };
  if (config.horizon % config.unroll !== 0) throw new UserError(`--horizon (${config.horizon}) must be a multiple of --unroll (${config.unroll})`);
  validateBpttConfig(config, family);
  if (args.resume) refuseContradictingBpttFlags(args.out, process.argv, config);
  // A resumed run goes on with its own settings (its trainer insists on them): the header says those.
  const goesOnWith = resumedBpttConfig(args.resume ? savedConfig(args.out) : null, config);
  say(`BPTT on ${family.name}: ${goesOnWith.batch} problems × ${goesOnWith.horizon} steps per iteration, unroll ${goesOnWith.unroll}, meta-objective ${goesOnWith.metaObjective}, Adam ${goesOnWith.learningRate}, tfjs backend ${backend}`);
  const progress = new ProgressReporter({ label: 'BPTT meta-iterations', total: config.iterations, start: args.resume ? savedIteration(args.out) : 0, quiet: args.quiet });
  try {
    await trainBptt({
      config: goesOnWith,
      family,
      identity,
      out: args.out,
      resume: args.resume,
      onIteration: (log, state) => {
        const iteration = `iteration ${log.iteration + 1}/${config.iterations}`;
        // A skipped unroll is an optimizee that broke down (NaN/Inf): say so, every time.
        if (log.skipped > 0) progress.line(`${iteration}: ${log.skipped} unroll${log.skipped === 1 ? '' : 's'} broke down (NaN/Inf) and ${log.skipped === 1 ? 'was' : 'were'} skipped`);
        if (log.validation === undefined) {
          progress.update(log.iteration + 1, `meta-loss ${log.metaLoss.toPrecision(4)}`);
          return;
        }
        const best = state.best ? `best ${state.best.validation.toPrecision(4)} at ${state.best.iteration}` : 'no finite score yet';
        progress.phase(log.iteration + 1, `${iteration}: meta-loss ${log.metaLoss.toPrecision(4)}, held-out final f ${log.validation.toPrecision(4)} (${best}); ${log.seconds.toFixed(1)} s per iteration`);
      },
    });
  } finally {
    progress.finish();
  }
}

async function runLista(args: TrainArgs, family: ObjectiveFamily, identity: RunIdentity, say: (m: string) => void, backend: string): Promise<void> {
  const { trainListaRun, listaPath } = await import('../supervised/lista.ts');
  const config: ListaConfig = {
    layers: args.layers,
    iterations: args.iterations ?? DEFAULT_LISTA_CONFIG.iterations,
    batch: args.batch ?? DEFAULT_LISTA_CONFIG.batch,
    learningRate: args.lr ?? DEFAULT_LISTA_CONFIG.learningRate,
    validationProblems: args.validation ?? DEFAULT_LISTA_CONFIG.validationProblems,
    validateEvery: args.validateEvery ?? DEFAULT_LISTA_CONFIG.validateEvery,
    seed: args.seed,
  };
  if (config.validationProblems < 1) throw new UserError('--validation must be at least 1 for --algo lista: the held-out instances pick the best weights');
  let announced = false;
  // Each held-out check (every --validate-every steps) is a line with the time left, and on a TTY a bar.
  const progress = new ProgressReporter({ label: 'LISTA Adam steps', total: config.iterations, quiet: args.quiet });
  const result = await trainListaRun({
    family,
    config,
    identity,
    out: args.out,
    onValidation: (log) => {
      if (!announced) {
        announced = true;
        say(`LISTA on ${family.name}: K = ${config.layers} layers, ${config.iterations} Adam steps of ${config.learningRate} on batches of ${config.batch}, ${config.validationProblems} held out, tfjs backend ${backend}`);
      }
      const loss = Number.isNaN(log.trainLoss) ? '' : `train loss ${log.trainLoss.toPrecision(4)}, `;
      progress.phase(log.iteration, `iteration ${log.iteration}/${config.iterations}: ${loss}held-out NMSE ${log.validationNmseDb.toFixed(2)} dB`);
    },
  }).finally(() => progress.finish());
  const best = result.bestIteration === 0 ? 'no Adam step improved on it, the ISTA initialization is kept' : `best after ${result.bestIteration} Adam steps`;
  console.log(`LISTA, K = ${config.layers}: held-out NMSE ${result.initialNmseDb.toFixed(2)} dB before training (${config.layers} ISTA steps), ${result.validationNmseDb.toFixed(2)} dB after (${best}); saved ${listaPath(args.out)}`);
}

export const trainCommand = {
  command: 'train',
  describe: 'train a learned optimizer: guided policy search (gps), the supervised LSTM baseline (bptt), or LISTA on sparse coding (lista)',
  builder: (y: Argv) =>
    withEnvOptions(y)
      .option('algo', { type: 'string', default: 'gps', choices: [...ALGOS], describe: 'training algorithm' })
      .option('out', { type: 'string', demandOption: true, describe: 'run directory: checkpoint, learned optimizer and log' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out after its last checkpoint (gps, bptt; a LISTA training has no checkpoint and no resume)' })
      .option('seed', { type: 'string', default: '1', requiresArg: true, coerce: seedString, describe: 'seed of every random draw' })
      .option('combine', { group: 'GPS:', type: 'string', choices: [...COMBINES], describe: `with --restarts: what --out/policy.json holds, the 'best' restart's policy by the held-out score, or one that steps by the 'mean' action of all their policies (feed-forward policies only; default ${defaultCombine(false)}, per coordinate ${defaultCombine(true)}; a resumed run keeps what it kept)` })
      .option('restarts', { group: 'GPS:', coerce: positiveInteger('restarts'), describe: `independent trainings in --out/restart-k, with seeds --seed, --seed + 1, …, of which --combine keeps the best or the mean as --out/policy.json (default ${defaultRestarts(false)}, per coordinate ${defaultRestarts(true)}; a resumed run keeps its own; docs/gps.md)` })
      .option('iterations', { coerce: positiveInteger('iterations'), describe: `GPS iterations (default ${DEFAULT_GPS_CONFIG.iterations}), BPTT meta-iterations (default ${DEFAULT_BPTT_CONFIG.iterations}) or LISTA Adam steps (default ${DEFAULT_LISTA_CONFIG.iterations})` })
      .option('horizon', { coerce: positiveInteger('horizon'), describe: `steps per sample: GPS T (default ${DEFAULT_GPS_CONFIG.horizon}), BPTT steps per problem (default ${DEFAULT_BPTT_CONFIG.horizon})` })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
      .option('meta-objective', { type: 'string', requiresArg: true, choices: [...META_OBJECTIVES], describe: "what GPS and BPTT train for over a run: 'sum' of f (the default per coordinate and for BPTT), 'rate', the log-gap log((f − f*)/(f(x0) − f*)) at every step (f* the family's minimum, else 0), or the 'final' f (the default of full-state GPS)" })
      .option('conditions', { group: 'GPS:', coerce: positiveInteger('conditions'), describe: `training objectives used (default ${DEFAULT_GPS_CONFIG.conditions}, at most four fifths of the training split or what --validation leaves)` })
      .option('validation-steps', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.validationSteps, coerce: positiveInteger('validation-steps'), describe: 'steps of each held-out validation run' })
      .option('samples', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.samples, coerce: positiveInteger('samples'), describe: 'M, samples per condition per iteration (≥ 2)' })
      .option('history', { group: 'GPS:', coerce: positiveInteger('history'), describe: `history length H of the state (default ${defaultHistoryLength(false)}, per coordinate ${defaultHistoryLength(true)})` })
      .option('kl-step', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.klStep, coerce: positiveNumber('kl-step'), describe: 'KL bound per step of the teacher update' })
      .option('inner', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.innerIterations, coerce: positiveInteger('inner'), describe: 'BADMM inner iterations' })
      .option('initial-noise', { group: 'GPS:', coerce: positiveNumber('initial-noise'), describe: `first teachers' noise, relative to momentum's first step (default ${defaultInitialNoise(false)}, per coordinate ${defaultInitialNoise(true)})` })
      .option('teacher-score', { group: 'GPS:', type: 'string', choices: [...TEACHER_SCORES], describe: `what picks the first teachers' step and decay from the grid: the 'sum' of f over a noiseless run of T steps, or its 'final' loss (on the full data where the family has it) (default ${defaultTeacherScore(false)}, per coordinate ${defaultTeacherScore(true)})` })
      .option('teacher-refine', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.teacherRefine, coerce: nonNegativeInteger('teacher-refine'), describe: "rounds refining the first teachers' step around the grid's best, each halving the factor (¼ decade first; 0: the grid alone)" })
      .option('policy-batch', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.policyBatch, coerce: positiveInteger('policy-batch'), describe: 'minibatch of each distillation step: rows of the MLP, whole sequences of the LSTM' })
      .option('policy-iterations', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.policyIterations, coerce: positiveInteger('policy-iterations'), describe: 'Adam steps per policy update' })
      .option('initial-nu', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.initialNu, coerce: positiveNumber('initial-nu'), describe: 'ν at the first iteration: the weight of KL(teacher‖policy) in the teachers\' cost' })
      .option('warm-start-mixtures', { group: 'GPS:', type: 'boolean', default: DEFAULT_GPS_CONFIG.warmStartMixtures, describe: 'start each EM fit of the dynamics and policy priors from the previous one (--no-warm-start-mixtures: from k-means++)' })
      .option('exploration-floor', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.explorationFloor, coerce: nonNegativeNumber('exploration-floor'), describe: "raise each teacher's action std to at least this multiple of the RMS of its sampled actions (0: off)" })
      .option('on-policy-samples', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.onPolicySamples, coerce: nonNegativeInteger('on-policy-samples'), describe: "noisy runs of the policy per condition and iteration, distilled on the teachers' actions at the states the policy visits (mirror-descent GPS)" })
      .option('step-adjustment', { group: 'GPS:', type: 'string', default: DEFAULT_GPS_CONFIG.stepAdjustment, choices: ['cost', 'cost-and-kl'], describe: 'what the KL step adapts to: predicted vs realized improvement of the expected cost, or of cost + Σ ν·KL(teacher‖policy) (cbfinn/gps)' })
      .option('nu-step', { group: 'GPS:', type: 'string', default: DEFAULT_GPS_CONFIG.nuStep, choices: ['gradient', 'relative'], describe: 'how ν follows KL(teacher‖policy): a dual gradient step, or ×2 / ×½ per step relative to the mean KL (cbfinn/gps examples)' })
      .option('coordinatewise', { group: 'GPS:', type: 'boolean', default: false, describe: 'per-coordinate GPS (Li & Malik 2017): one teacher and policy shared by all coordinates, for high-dimensional objectives' })
      .option('gradient-scaling', { group: 'GPS:', type: 'string', choices: ['none', 'adagrad'], describe: `gradient features as they are, or each divided by its coordinate's AdaGrad accumulator √(Σ g²), which makes them scale-free (default ${DEFAULT_GPS_CONFIG.gradientScaling}; none with --features li-malik-2017)` })
      .option('policy', { group: 'GPS:', type: 'string', default: DEFAULT_GPS_CONFIG.policy, choices: [...POLICY_KINDS], describe: "the global policy: a feed-forward 'mlp' (50 softplus units), or per coordinate an 'lstm' of --lstm-cells cells whose state is carried through a run (Li & Malik 2017), distilled on whole sample sequences" })
      .option('lstm-cells', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.lstmCells, coerce: positiveInteger('lstm-cells'), describe: 'cells of the LSTM policy (--policy lstm)' })
      .option('gradient-dynamics', { group: 'GPS:', type: 'string', default: DEFAULT_GPS_CONFIG.gradientDynamics, choices: [...GRADIENT_DYNAMICS], describe: "per-coordinate GPS: the raw gradient's dynamics as fitted, or 'coherent': g' = g + h·u with h the curvature along the teachers' mean step, the direction all coordinates move together" })
      .option('cost-gradient', { group: 'GPS:', type: 'string', default: DEFAULT_GPS_CONFIG.costGradient, choices: [...COST_GRADIENTS], describe: "per-coordinate GPS: the gradient in the cost model's g·u, the run's minibatch one, or 'denoised': shrunk by the share a second, independent minibatch agrees with (one more gradient per teacher step; docs/gps.md)" })
      .option('features', { group: 'GPS:', type: 'string', choices: [...FEATURE_SETS], describe: `(default ${defaultFeatures(false)}, per coordinate ${defaultFeatures(true)}) ` + "per-coordinate GPS: each coordinate's state, its last --history gradients, steps and relative changes of f (history-adam: and Adam's m̂/√v̂; history-adam-mean: and its mean size over all coordinates), or Li & Malik 2017's (3 observation features, 25 stride-5 lags of 3-step averages); full state: history, or history-adam, Φ and each coordinate's m̂/√v̂, with Adam among the first teachers; either view: history-adam-held, the ratio with its v̂ held from step 40 on, so its gain never grows past step 40" })
      .option('sampled-coordinates', { group: 'GPS:', default: DEFAULT_GPS_CONFIG.sampledCoordinates, coerce: positiveInteger('sampled-coordinates'), describe: 'per-coordinate GPS: coordinates recorded per rollout (per parameter group) as samples' })
      .option('parameter-groups', { group: 'GPS:', type: 'boolean', default: DEFAULT_GPS_CONFIG.parameterGroups, describe: "per-coordinate GPS: a teacher per parameter group of the objective (a net's weight matrices and bias vectors; Li & Malik 2017), not one for all coordinates" })
      .option('unroll', { group: 'BPTT:', default: DEFAULT_BPTT_CONFIG.unroll, coerce: positiveInteger('unroll'), describe: 'steps per truncated-BPTT unroll (one Adam step each)' })
      .option('batch', { group: 'BPTT:', coerce: positiveInteger('batch'), describe: `training problems per meta-iteration (default ${DEFAULT_BPTT_CONFIG.batch}), or LISTA's per Adam step (default ${DEFAULT_LISTA_CONFIG.batch})` })
      .option('lr', { group: 'BPTT:', coerce: positiveNumber('lr'), describe: `Adam learning rate of the meta-optimizer (default ${DEFAULT_BPTT_CONFIG.learningRate}) or of LISTA (default ${DEFAULT_LISTA_CONFIG.learningRate})` })
      .option('validation', { coerce: nonNegativeInteger('validation'), describe: `held-out training instances (from the end of the split) that pick the best weights or GPS iteration (default GPS: the rest of the training split after --conditions, 0 keeps the last iteration; BPTT: ${DEFAULT_BPTT_CONFIG.validationProblems}; LISTA: ${DEFAULT_LISTA_CONFIG.validationProblems})` })
      .option('validate-every', { group: 'BPTT:', coerce: positiveInteger('validate-every'), describe: `meta-iterations between validations and checkpoints (default ${DEFAULT_BPTT_CONFIG.validateEvery}), or LISTA Adam steps between validations (default ${DEFAULT_LISTA_CONFIG.validateEvery})` })
      .option('hidden', { group: 'BPTT:', default: DEFAULT_BPTT_CONFIG.lstm.hidden, coerce: positiveInteger('hidden'), describe: 'LSTM units per layer (2 layers)' })
      .option('output-scale', { group: 'BPTT:', default: DEFAULT_BPTT_CONFIG.lstm.outputScale, coerce: positiveNumber('output-scale'), describe: 'step = LSTM output × this' })
      .option('preprocess-p', { group: 'BPTT:', default: DEFAULT_BPTT_CONFIG.lstm.preprocessP, coerce: positiveNumber('preprocess-p'), describe: 'p of the LogAndSign gradient preprocessing' })
      .option('chunk-size', { group: 'BPTT:', default: DEFAULT_BPTT_CONFIG.chunkSize, coerce: positiveInteger('chunk-size'), describe: 'coordinates taped at once (bounds memory)' })
      .option('layers', { group: 'LISTA:', default: DEFAULT_LISTA_CONFIG.layers, coerce: positiveInteger('layers'), describe: 'K, the unrolled layers of LISTA (--env sparse-coding; also takes --iterations, --batch, --lr, --validation, --validate-every, --seed). Saved to --out/lista.json; lista:DIR runs its K layers, then ISTA steps' })
      .example('$0 train --algo gps --env logreg --iterations 10 --out runs/gps-logreg', '')
      .example('$0 train --env logreg --iterations 15 --out runs/gps-logreg --resume', '')
      .example('$0 train --algo bptt --env quadratic --out runs/bptt-quadratic', '')
      .example('$0 train --algo lista --env sparse-coding --layers 16 --out runs/lista', ''),
  async handler(args: TrainArgs) {
    // Before anything is made: restarts would otherwise land in the working directory.
    if (args.out.trim() === '') throw new UserError("--out must name a directory, not ''");
    if (args.algo === 'lista' && args.resume) throw new UserError('--resume does not apply to --algo lista: a LISTA training has no checkpoint; run it again with a fresh --out');
    if (args.algo === 'lista' && args.metaObjective !== undefined) throw new UserError('--meta-objective does not apply to --algo lista: LISTA is trained on ‖z_K − z*‖² (docs/sparse.md)');
    refuseOtherAlgorithmsOptions(args.algo as Algo, process.argv); // yargs has checked the choices
    await checkFamilyFromArgs(args); // before tfjs loads: a bad --env or --param costs no start-up
    if (args.algo === 'gps') {
      // By view when not given; a resumed run continues with as many as it has.
      args.restarts ??= (args.resume ? savedRestarts(args.out) : null) ?? defaultRestarts(args.coordinatewise);
      args.combine ??= (args.resume ? savedCombine(args.out) : null) ?? defaultCombine(args.coordinatewise);
      checkRestartsDirectory(args.out, args.restarts, args.resume);
    }
    const restarts = args.restarts ?? 1;
    if (restarts === 1 && typed(process.argv, 'combine')) throw new UserError('--combine needs --restarts 2 or more: it says what is kept of several trainings');
    // Before what follows from it (the mean of restarts cannot average an LSTM): the cause first.
    if (args.policy === 'lstm' && !args.coordinatewise) throw new UserError('--policy lstm needs --coordinatewise (the LSTM steps one coordinate at a time)');
    if (args.combine === 'mean' && args.policy === 'lstm' && restarts > 1) throw new UserError('--combine mean averages feed-forward policies; an LSTM policy carries its own state (use --combine best)');
    // With restarts, the first restart's directory stands for the run in what follows.
    const first = restarts > 1 ? restartDir(args.out, 1) : args.out;
    // A resumed GPS run's saved settings, read once: they decide the backend and the header.
    const saved = args.algo === 'gps' && args.resume ? savedConfig(first) : null;
    const tfjs = args.algo !== 'gps' || (await familyUsesTfjs(args)) || gpsPolicyUsesTfjs(args, saved);
    const backend = tfjs ? await startBackend() : NO_TFJS;
    const family = await familyFromArgs(args);
    const say = (message: string) => {
      if (!args.quiet) process.stderr.write(`${message}\n`);
    };
    const envParams = Object.fromEntries(args.param.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    if (args.expr !== undefined) envParams.expr = args.expr;
    const identity = { env: args.expr !== undefined ? 'expr' : args.env, envParams };
    if (!args.resume && existsSync(join(args.out, 'state.json'))) {
      // LISTA has no --resume: the other run in its --out is named instead.
      if (args.algo === 'lista') throw new UserError(`--out ${describeDirectory(args.out)}; train LISTA into another --out`);
      throw new UserError(`--out ${args.out} already holds a training run; pass --resume to continue it, or choose another --out`);
    }
    const started = Date.now();
    if (args.algo === 'gps' && restarts > 1) await runGpsRestarts(args, restarts, family, identity, say, backend);
    else if (args.algo === 'gps') await runGps(args, family, identity, say, backend, saved);
    else if (args.algo === 'bptt') await runBptt(args, family, identity, say, backend);
    else await runLista(args, family, identity, say, backend);
    // The family as it was given (an --expr, or --env with its --param), and where its data are.
    const quote = (text: string) => (/^[\w./:=,+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);
    const dataDir = (args as { dataDir?: string }).dataDir;
    const params = `${args.param.map((p) => ` --param ${quote(p)}`).join('')}${dataDir === undefined ? '' : ` --data-dir ${quote(dataDir)}`}`;
    const env = args.expr !== undefined ? `--expr ${quote(args.expr)}` : `--env ${quote(args.env)}`;
    if (args.algo === 'lista') {
      say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; evaluate with: l2o eval ${env}${params} --optimizers lista:${args.out},ista,fista --lr 1`);
      return;
    }
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; evaluate with: l2o eval ${env}${params} --optimizers ${args.algo}:${args.out},${args.algo === 'gps' ? 'gd,momentum,cg,lbfgs' : 'gd,nag,rmsprop,adam'}`);
  },
};
