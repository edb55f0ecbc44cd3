// A GPS run directory: `policy.json` (what `l2o eval --optimizers gps:DIR` loads: the policy of the
// iteration with the best held-out score, or of the last one when nothing is held out), `state.json`
// (everything `--resume` needs) and `log.jsonl` (one line per finished iteration). state.json is
// written last, so it names the last iteration whose policy and log line are complete.
import { join, relative } from 'node:path';
import { existsSync } from 'node:fs';
import { Matrix } from '../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import { CoordinatewiseGpsPolicy, GpsPolicy } from '../../policies/gps-policy.ts';
import type { Policy } from '../../policies/policy.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { UserError } from '../errors.ts';
import { OPTIMIZER_FILES, decodeRunFile, readRunFile, type RunIdentity } from '../run-directory.ts';
import { PolicyNetwork, type PolicyNetworkJson } from '../../policies/policy-network.ts';
import type { LstmPolicyJson } from '../../policies/lstm-policy-network.ts';
import { reviveDistilledPolicy, type DistilledPolicyJson } from './transfer.ts';
import type { DistilledPolicy } from '../../policies/distilled-policy.ts';

import { COST_GRADIENTS, GRADIENT_DYNAMICS, POLICY_KINDS, TEACHER_SCORES, savedGpsSettings } from './config.ts';
import { DEFAULT_GPS_CONFIG, type ConditionState, type GpsConfig, type GpsRuntimeState } from './badmm.ts';
import type { MixtureState } from './gaussian-mixture.ts';
import { FEATURES_PER_LAG, type GradientScaling } from '../../envs/coordinate-history.ts';
import { createCoordinateFeatures, FEATURE_SETS, type FeatureSet } from '../../envs/coordinate-features.ts';
import { fullStateDim, isFullStateFeatureSet, ratioMeanSquare, type FullStateFeatureSet } from '../../envs/full-state-features.ts';
import { array, at, boolean, checkLength, fail, field, number, numbers, object, oneOf, optional, string, type Schema } from '../schema.ts';
import { META_OBJECTIVES } from '../meta-objective.ts';

const FORMAT = 'l2o-gps';
const VERSION = 1;

interface PolicyFile extends RunIdentity {
  format: string;
  version: number;
  iteration: number;
  historyLength: number;
  /** Per-coordinate GPS (absent in files written before it existed: full state). */
  coordinatewise?: boolean;
  /** Per-coordinate gradient features' scaling (absent in files written before it existed: none). */
  gradientScaling?: GradientScaling;
  /** Per-coordinate feature set (absent in files written before it existed: history). */
  features?: FeatureSet;
  /** Held-out score of this policy (absent when the run held nothing out). */
  validation?: number;
  network: DistilledPolicyJson;
}

/** The iteration whose policy is in policy.json, and its held-out score. */
export interface BestPolicy {
  iteration: number;
  validation: number;
}

interface StateFile extends RunIdentity {
  format: string;
  version: number;
  iteration: number;
  /**
   * Files written before a setting existed lack it; loadCheckpoint fills in what they ran with (no
   * validation, no gradient scaling, cost-only step adjustment, no on-policy samples or floor, the sum-scored teacher search without refinement).
   */
  config: Omit<GpsConfig, 'validation' | 'validationSteps' | 'gradientScaling' | 'stepAdjustment' | 'onPolicySamples' | 'explorationFloor' | 'warmStartMixtures' | 'nuStep' | 'coordinatewise' | 'sampledCoordinates' | 'parameterGroups' | 'features' | 'gradientDynamics' | 'costGradient' | 'policy' | 'lstmCells' | 'teacherScore' | 'teacherRefine'> & Partial<GpsConfig>;
  network: DistilledPolicyJson;
  /** Absent in runs that hold nothing out (and in files written before validation existed). */
  best?: BestPolicy;
  /** Absent in files written before it was kept: such a run resumes with cold mixtures. */
  runtime?: RuntimeJson;
  conditions: {
    teacher: ReturnType<LinearGaussianPolicy['toJSON']>;
    eta: number;
    stepMult: number;
    nu: number[];
    lambdaK: number[][];
    lambdak: number[][];
  }[];
}

interface MixtureJson {
  fittedOn: number;
  components: { logWeight: number; mean: number[]; covariance: number[]; factor: number[]; logDet: number }[];
}

interface RuntimeJson {
  dynamicsPrior: { X: number[][][]; U: number[][][]; mixture: MixtureJson };
  conditions: { policyPrior: MixtureJson; base?: { previous: number; predicted: number }; lastKl?: number }[];
}

const mixtureToJson = (m: MixtureState): MixtureJson => ({
  fittedOn: m.fittedOn,
  components: m.components.map((c) => ({ logWeight: c.logWeight, mean: Array.from(c.mean), covariance: Array.from(c.covariance), factor: Array.from(c.factor), logDet: c.logDet })),
});

const mixtureFromJson = (m: MixtureJson): MixtureState => ({
  fittedOn: m.fittedOn,
  components: m.components.map((c) => ({ logWeight: c.logWeight, mean: Float64Array.from(c.mean), covariance: Float64Array.from(c.covariance), factor: Float64Array.from(c.factor), logDet: c.logDet })),
});

const runsToJson = (runs: Float64Array[][]) => runs.map((run) => run.map((v) => Array.from(v)));
const runsFromJson = (runs: number[][][]) => runs.map((run) => run.map((v) => Float64Array.from(v)));

function runtimeToJson(state: GpsRuntimeState): RuntimeJson {
  const { X, U, mixture } = state.dynamicsPrior;
  return {
    dynamicsPrior: { X: runsToJson(X), U: runsToJson(U), mixture: mixtureToJson(mixture) },
    conditions: state.conditions.map((c) => ({ policyPrior: mixtureToJson(c.policyPrior), base: c.base, lastKl: c.lastKl })),
  };
}

function runtimeFromJson(json: RuntimeJson): GpsRuntimeState {
  const { X, U, mixture } = json.dynamicsPrior;
  return {
    dynamicsPrior: { X: runsFromJson(X), U: runsFromJson(U), mixture: mixtureFromJson(mixture) },
    conditions: json.conditions.map((c) => ({ policyPrior: mixtureFromJson(c.policyPrior), base: c.base, lastKl: c.lastKl })),
  };
}

export const policyPath = (dir: string) => join(dir, OPTIMIZER_FILES.gps);
export const statePath = (dir: string) => join(dir, 'state.json');
export const logPath = (dir: string) => join(dir, 'log.jsonl');

// ---- What a valid file holds (src/schema.ts). Files written before a setting existed lack it; the
// schemas accept its absence and loadCheckpoint fills in what such runs ran with.

/** A held-out score: finite, or +Infinity when every run broke down, which JSON writes as null. */
const score: Schema<number> = (value, path) => (value === null ? Infinity : number()(value, path));
const count = (min: number) => number({ integer: true, min });
const positive = number({ above: 0 });
const nonNegative = number({ min: 0 });

/** What each network of an average has of its own (PolicyNetwork's MemberJson): its weights and input scaling. */
const memberFields = { W1: numbers(), b1: numbers(), W2: numbers(), inputScale: numbers({ above: 0 }), inputBound: numbers({ min: 0 }) };

/** The lengths of a network's own arrays (`memberFields`), from the dimensions of the file's network. */
function checkMemberLengths(m: { W1: number[]; b1: number[]; W2: number[]; inputScale: number[]; inputBound: number[] }, n: { inputDim: number; hidden: number; outputDim: number }, path: string): void {
  checkLength(m.W1, n.inputDim * n.hidden, field(path, 'W1'), `inputDim ${n.inputDim} × hidden ${n.hidden}`);
  checkLength(m.b1, n.hidden, field(path, 'b1'), `hidden ${n.hidden}`);
  checkLength(m.W2, n.hidden * n.outputDim, field(path, 'W2'), `hidden ${n.hidden} × outputDim ${n.outputDim}`);
  checkLength(m.inputScale, n.inputDim, field(path, 'inputScale'), `inputDim ${n.inputDim}`);
  checkLength(m.inputBound, n.inputDim, field(path, 'inputBound'), `inputDim ${n.inputDim}`);
}

/** A PolicyNetwork's JSON: its dimensions, and weight arrays of the lengths they give. */
const feedForwardSchema = object(
  {
    inputDim: count(1),
    hidden: count(1),
    outputDim: count(1),
    ...memberFields,
    variance: numbers({ above: 0 }),
    // An average of restarts (PolicyNetwork.average): the other networks, each with its own scaling.
    members: optional(array(object(memberFields))),
  },
  (n, path) => {
    (n.members ?? []).forEach((member, k) => checkMemberLengths(member, n, at(field(path, 'members'), k)));
    checkMemberLengths(n, n, path);
    checkLength(n.variance, n.outputDim, field(path, 'variance'), `outputDim ${n.outputDim}`);
  },
);

const lstmSchema = object(
  {
    kind: oneOf('lstm'),
    inputDim: count(1),
    hidden: count(1),
    outputDim: count(1),
    wx: numbers(),
    wh: numbers(),
    b: numbers(),
    wo: numbers(),
    bo: numbers(),
    inputScale: numbers({ above: 0 }),
    inputBound: numbers({ min: 0 }),
    variance: numbers({ above: 0 }),
  },
  (n, path) => {
    const [I, H, O] = [n.inputDim, n.hidden, n.outputDim];
    checkLength(n.wx, 4 * I * H, field(path, 'wx'), `4 gates × inputDim ${I} × hidden ${H}`);
    checkLength(n.wh, 4 * H * H, field(path, 'wh'), `4 gates × hidden ${H} × hidden ${H}`);
    checkLength(n.b, 4 * H, field(path, 'b'), `4 gates × hidden ${H}`);
    checkLength(n.wo, H * O, field(path, 'wo'), `hidden ${H} × outputDim ${O}`);
    checkLength(n.bo, O, field(path, 'bo'), `outputDim ${O}`);
    checkLength(n.inputScale, I, field(path, 'inputScale'), `inputDim ${I}`);
    checkLength(n.inputBound, I, field(path, 'inputBound'), `inputDim ${I}`);
    checkLength(n.variance, O, field(path, 'variance'), `outputDim ${O}`);
  },
);

/** The global policy's JSON by its kind: an LSTM says so; the feed-forward network (and every file from before the LSTM) does not. */
const networkSchema: Schema<(PolicyNetworkJson & { kind: 'mlp' }) | LstmPolicyJson> = (value, path) =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'lstm' ? lstmSchema(value, path) : { ...feedForwardSchema(value, path), kind: 'mlp' as const };

/** The network reads what the run's view gives it: one coordinate's observed features (3H of its history, or Li & Malik 2017's), or the full state Φ (H·(1 + d) for d = outputDim, and d more with Adam's ratio). */
function checkNetworkFits(network: DistilledPolicyJson, historyLength: number, coordinatewise: boolean, features: FeatureSet, path: string): void {
  const where = field(path, 'network');
  if (coordinatewise) {
    if (network.outputDim !== 1) fail(field(where, 'outputDim'), `is ${network.outputDim}, expected 1 (a per-coordinate policy steps one coordinate)`);
    const expected = createCoordinateFeatures(features, historyLength, 'none').observationDim;
    const why = features === 'history' ? `${FEATURES_PER_LAG} features × historyLength ${historyLength}` : `the ${features} features`;
    if (network.inputDim !== expected) fail(field(where, 'inputDim'), `is ${network.inputDim}, expected ${expected} (per coordinate, ${why})`);
  } else {
    if ('kind' in network && network.kind === 'lstm') fail(field(where, 'kind'), 'is lstm, but an LSTM policy is per coordinate and this run is full-state');
    if (!isFullStateFeatureSet(features)) fail(field(path, 'features'), `is ${features}, a per-coordinate feature set, but this run is full-state`);
    const expected = fullStateDim(features, historyLength, network.outputDim);
    const ratio = ratioMeanSquare(features) ? ` + ${network.outputDim} of Adam's ratio` : '';
    if (network.inputDim !== expected) fail(field(where, 'inputDim'), `is ${network.inputDim}, expected ${expected} (full state, historyLength ${historyLength} × (1 + dimension ${network.outputDim})${ratio})`);
  }
}

const policyFileSchema = object(
  {
    iteration: count(0),
    historyLength: count(1),
    coordinatewise: optional(boolean()),
    gradientScaling: optional(oneOf('none', 'adagrad')),
    features: optional(oneOf(...FEATURE_SETS)),
    validation: optional(score),
    network: networkSchema,
  },
  (file, path) => checkNetworkFits(file.network, file.historyLength, file.coordinatewise ?? false, file.features ?? 'history', path),
);

export const gpsConfigSchema = object({
  conditions: count(1),
  validation: optional(count(0)),
  validationSteps: optional(count(1)),
  horizon: count(1),
  metaObjective: optional(oneOf(...META_OBJECTIVES)),
  samples: count(2),
  iterations: count(1),
  historyLength: count(1),
  hidden: count(1),
  klStep: positive,
  initialNoise: positive,
  teacherScore: optional(oneOf(...TEACHER_SCORES)),
  teacherRefine: optional(count(0)),
  innerIterations: count(1),
  initialNu: nonNegative,
  nuStep: optional(oneOf('gradient', 'relative')),
  stepAdjustment: optional(oneOf('cost', 'cost-and-kl')),
  onPolicySamples: optional(count(0)),
  explorationFloor: optional(nonNegative),
  warmStartMixtures: optional(boolean()),
  lgStep: nonNegative,
  policyDualRate: nonNegative,
  policyDualRateCovar: nonNegative,
  policyIterations: count(1),
  policyBatch: count(1),
  policyLearningRate: positive,
  dynamicsRidge: nonNegative,
  dynamicsClusters: count(1),
  policyClusters: count(1),
  coordinatewise: optional(boolean()),
  sampledCoordinates: optional(count(1)),
  parameterGroups: optional(boolean()),
  features: optional(oneOf(...FEATURE_SETS)),
  gradientDynamics: optional(oneOf(...GRADIENT_DYNAMICS)),
  costGradient: optional(oneOf(...COST_GRADIENTS)),
  policy: optional(oneOf(...POLICY_KINDS)),
  lstmCells: optional(count(1)),
  gradientScaling: optional(oneOf('none', 'adagrad')),
  seed: string(),
});

/** T matrices of rows × cols finite numbers, as nested arrays. */
const matrices = (T: number, rows: number, cols: number, what: string) => array(array(numbers({}, cols, what), rows), T);

/** A Gaussian mixture over vectors of `dim` entries (no components before its first fit). */
const mixtureSchema = (dim: number, what: string) =>
  object({
    fittedOn: count(0),
    components: array(
      object({
        logWeight: number(),
        mean: numbers({}, dim, what),
        covariance: numbers({}, dim * dim, `${what}, squared`),
        factor: numbers({}, dim * dim, `${what}, squared`),
        logDet: number(),
      }),
    ),
  });

/**
 * state.json given the dimensions its config implies: T = horizon, dU actions, dX teacher states,
 * and the teachers: one per condition, or with parameter groups a whole number per condition (the
 * family's group count, which the run checks against the family when it resumes).
 */
function stateFileSchema(T: number, dU: number, dX: number, conditions: number, grouped: boolean, x: string) {
  const teachers = <S>(item: Schema<S>): Schema<S[]> =>
    grouped
      ? (value, path) => {
          const list = array(item)(value, path);
          if (list.length === 0 || list.length % conditions !== 0) fail(path, `has ${list.length} entries, expected a positive multiple of ${conditions} conditions (one per condition and parameter group)`);
          return list;
        }
      : array(item, conditions);
  const u = `dU ${dU}`;
  return object({
    iteration: count(0),
    best: optional(object({ iteration: count(1), validation: score })),
    runtime: optional(
      object({
        dynamicsPrior: object({
          X: array(array(numbers({}, dX, x), T)),
          U: array(array(numbers({}, dU, u), T)),
          mixture: mixtureSchema(2 * dX + dU, `2 dX + dU = ${2 * dX + dU}`),
        }),
        conditions: array(
          object({
            policyPrior: mixtureSchema(dX + dU, `dX + dU = ${dX + dU}`),
            base: optional(object({ previous: number(), predicted: number() })),
            lastKl: optional(number()),
          }),
        ),
      }),
    ),
    conditions: teachers(
      object({
        teacher: object({
          K: matrices(T, dU, dX, x),
          k: array(numbers({}, dU, u), T),
          covariance: matrices(T, dU, dU, u),
          choleskyCovariance: optional(matrices(T, dU, dU, u)),
          precision: optional(matrices(T, dU, dU, u)),
        }),
        eta: nonNegative,
        stepMult: positive,
        nu: numbers({ min: 0 }, T, `horizon ${T}`),
        lambdaK: array(numbers({}, dU * dX, `dU ${dU} × dX ${dX}`), T),
        lambdak: array(numbers({}, dU, u), T),
      }),
    ),
  });
}

/** Checks a parsed state.json: its config first, then everything whose shape the config sets. */
const stateSchema: Schema<StateFile> = (value, path) => {
  const { config, network } = object({ config: gpsConfigSchema, network: networkSchema })(value, path);
  const cells = network.kind === 'lstm' ? network.hidden : undefined;
  if ((config.policy ?? 'mlp') === 'lstm' && cells !== config.lstmCells) fail(field(field(path, 'network'), 'hidden'), `is ${network.hidden}, expected ${config.lstmCells} (config.lstmCells of an LSTM policy)`);
  if ((config.policy ?? 'mlp') !== network.kind) fail(field(field(path, 'network'), 'kind'), `is ${network.kind}, but config.policy is ${config.policy ?? 'mlp'}`);
  const coordinatewise = config.coordinatewise ?? false;
  const configPath = field(path, 'config');
  if (network.kind === 'mlp' && network.members) fail(field(field(path, 'network'), 'members'), "is an average of restarts' policies, which only a policy.json holds, never a training's state");
  if (network.kind === 'mlp' && network.hidden !== config.hidden) fail(field(field(path, 'network'), 'hidden'), `is ${network.hidden}, expected ${config.hidden} (config.hidden)`);
  const features = config.features ?? 'history';
  if (config.historyLength !== undefined) checkNetworkFits(network, config.historyLength, coordinatewise, features, path);
  const dU = network.outputDim;
  const scaling = config.gradientScaling ?? 'none';
  const dX = coordinatewise ? createCoordinateFeatures(features, config.historyLength, scaling).stateDim : dU + network.inputDim;
  const historyWhy = `${FEATURES_PER_LAG} × historyLength ${config.historyLength}${scaling === 'adagrad' ? ' + the raw gradient of adagrad scaling' : ', gradientScaling none'}`;
  const why = coordinatewise ? `dX ${dX}: ${features === 'history' ? historyWhy : `the ${features} state`}` : `dX ${dX}: dU ${dU} + inputDim ${network.inputDim}`;
  if (config.parameterGroups && !coordinatewise) fail(field(configPath, 'parameterGroups'), 'is true, but only per-coordinate runs have parameter groups');
  const rest = stateFileSchema(config.horizon, dU, dX, config.conditions, config.parameterGroups ?? false, why)(value, path);
  if (rest.runtime && rest.runtime.conditions.length !== rest.conditions.length) fail(field(field(path, 'runtime'), 'conditions'), `has ${rest.runtime.conditions.length} entries, expected ${rest.conditions.length}`);
  return { ...rest, config, network } as unknown as StateFile;
};

export function hasCheckpoint(dir: string): boolean {
  return existsSync(statePath(dir));
}

/** Writes the learned optimizer of the run (call before saveState, which commits the iteration). */
export function savePolicy(dir: string, identity: RunIdentity, config: GpsConfig, iteration: number, network: DistilledPolicy, validation?: number): void {
  const policy: PolicyFile = { format: FORMAT, version: VERSION, ...identity, iteration, historyLength: config.historyLength, coordinatewise: config.coordinatewise, gradientScaling: config.gradientScaling, ...(config.features === 'history' ? {} : { features: config.features }), validation, network: network.toJSON() as DistilledPolicyJson };
  writeFileAtomic(policyPath(dir), JSON.stringify(policy));
}

/**
 * `dir`/policy.json as the policy that steps by the mean action of the policies of the run
 * directories `sources` (PolicyNetwork.average; `l2o train --restarts K --combine mean`): the first
 * one's file, which every source shares but for its network, with the averaged network, `averageOf`
 * naming each source (relative to `dir`) and its iteration, iteration 0 (the policy of no single
 * iteration) and `validation`. Only feed-forward policies average: an LSTM's carried state is its own.
 */
export function saveAveragedPolicy(dir: string, sources: readonly string[], validation?: number): void {
  const files = sources.map((source) => readRunFile(policyPath(source), 'GPS policy', FORMAT, VERSION, policyFileSchema));
  const lstm = files.findIndex((f) => f.network.kind === 'lstm');
  if (lstm >= 0) throw new UserError(`${policyPath(sources[lstm])} holds an LSTM policy, and only feed-forward policies average (an LSTM's carried state is its own)`);
  const networks = files.map((f) => reviveDistilledPolicy(f.network) as PolicyNetwork);
  const averageOf = sources.map((source, k) => ({ dir: relative(dir, source), iteration: files[k].iteration }));
  const policy = { ...files[0], iteration: 0, averageOf, validation, network: PolicyNetwork.average(networks).toJSON() };
  writeFileAtomic(policyPath(dir), JSON.stringify(policy));
}

/**
 * The settings in one order, DEFAULT_GPS_CONFIG's (any others after): a resumed run's config is
 * assembled from the file and the fallbacks of older files, and its state.json must still be byte
 * for byte the uninterrupted run's.
 */
function inCanonicalOrder(config: GpsConfig): GpsConfig {
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_GPS_CONFIG)) if (key in config) ordered[key] = config[key as keyof GpsConfig];
  return Object.assign(ordered, config) as GpsConfig;
}

export function saveState(dir: string, identity: RunIdentity, config: GpsConfig, iteration: number, network: DistilledPolicy, conditions: ConditionState[], best?: BestPolicy, runtime?: GpsRuntimeState): void {
  const state: StateFile = {
    format: FORMAT,
    version: VERSION,
    ...identity,
    iteration,
    config: inCanonicalOrder(config),
    network: network.toJSON() as DistilledPolicyJson,
    best,
    runtime: runtime && runtimeToJson(runtime),
    conditions: conditions.map((c) => ({
      teacher: c.teacher.toJSON(true),
      eta: c.eta,
      stepMult: c.stepMult,
      nu: Array.from(c.nu),
      lambdaK: c.lambdaK.map((m) => Array.from(m.data)),
      lambdak: c.lambdak.map((v) => Array.from(v)),
    })),
  };
  writeFileAtomic(statePath(dir), JSON.stringify(state));
}

/**
 * The learned optimizer of a run directory, for evaluation. `tfjs` says whether it computes with
 * tfjs (an LSTM policy, whose caller must start a backend first: `initBackend`); the feed-forward
 * policy runs in plain JavaScript and wasm kernels of its own. `iteration` is the GPS iteration
 * whose policy it is, 0 for the mean of several restarts' (`--combine mean`).
 */
export function loadGpsPolicy(dir: string): { policy: Policy; identity: RunIdentity; iteration: number; tfjs: boolean } {
  const path = policyPath(dir);
  const file = readRunFile(path, 'GPS policy', FORMAT, VERSION, policyFileSchema);
  return decodeRunFile(path, () => {
    const network = reviveDistilledPolicy(file.network);
    const scaling = file.gradientScaling ?? 'none';
    const policy = file.coordinatewise ? new CoordinatewiseGpsPolicy(network, file.historyLength, scaling, file.features ?? 'history') : new GpsPolicy(network as PolicyNetwork, file.historyLength, scaling, (file.features ?? 'history') as FullStateFeatureSet);
    return { policy, identity: { env: file.env, envParams: file.envParams }, iteration: file.iteration, tfjs: network.kind === 'lstm' };
  });
}

export function loadCheckpoint(dir: string): { identity: RunIdentity; config: GpsConfig; iteration: number; network: DistilledPolicy; conditions: ConditionState[]; best?: BestPolicy; runtime?: GpsRuntimeState } {
  const path = statePath(dir);
  const file = readRunFile(path, 'GPS checkpoint', FORMAT, VERSION, stateSchema);
  return decodeRunFile(path, () => {
    const dU = file.network.outputDim;
    const config = savedGpsSettings(file.config);
    // The full-state teacher sees [x; Φ], the per-coordinate one the policy's own features (and the raw gradient where they are scaled).
    const dX = config.coordinatewise ? createCoordinateFeatures(config.features, config.historyLength, config.gradientScaling).stateDim : dU + file.network.inputDim;
    return {
      identity: { env: file.env, envParams: file.envParams },
      config,
      iteration: file.iteration,
      network: reviveDistilledPolicy(file.network),
      best: file.best,
      runtime: file.runtime && runtimeFromJson(file.runtime),
      conditions: file.conditions.map((c) => ({
        teacher: LinearGaussianPolicy.fromJSON(c.teacher),
        eta: c.eta,
        stepMult: c.stepMult,
        nu: Float64Array.from(c.nu),
        lambdaK: c.lambdaK.map((data) => new Matrix(dU, dX, Float64Array.from(data))),
        lambdak: c.lambdak.map((v) => Float64Array.from(v)),
      })),
    };
  });
}
