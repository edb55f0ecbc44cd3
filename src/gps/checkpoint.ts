// A GPS run directory: `policy.json` (what `l2o eval --optimizers gps:DIR` loads: the policy of the
// iteration with the best held-out score, or of the last one when nothing is held out), `state.json`
// (everything `--resume` needs) and `log.jsonl` (one line per finished iteration). state.json is
// written last, so it names the last iteration whose policy and log line are complete.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { Matrix } from '../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import { CoordinatewiseGpsPolicy, GpsPolicy } from '../../policies/gps-policy.ts';
import type { Policy } from '../../policies/policy.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { decodeRunFile, readRunFile, type RunIdentity } from '../run-directory.ts';
import { PolicyNetwork, type PolicyNetworkJson } from '../../policies/policy-network.ts';
import { DEFAULT_GPS_CONFIG, type ConditionState, type GpsConfig, type GpsRuntimeState } from './badmm.ts';
import type { MixtureState } from './gaussian-mixture.ts';
import { coordinateStateDim, type GradientScaling } from '../../envs/coordinate-history.ts';

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
  /** Held-out score of this policy (absent when the run held nothing out). */
  validation?: number;
  network: PolicyNetworkJson;
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
   * validation, no gradient scaling, cost-only step adjustment, no on-policy samples or floor).
   */
  config: Omit<GpsConfig, 'validation' | 'validationSteps' | 'gradientScaling' | 'stepAdjustment' | 'onPolicySamples' | 'explorationFloor' | 'warmStartMixtures'> & Partial<GpsConfig>;
  network: PolicyNetworkJson;
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

export const policyPath = (dir: string) => join(dir, 'policy.json');
export const statePath = (dir: string) => join(dir, 'state.json');
export const logPath = (dir: string) => join(dir, 'log.jsonl');

export function hasCheckpoint(dir: string): boolean {
  return existsSync(statePath(dir));
}

/** Writes the learned optimizer of the run (call before saveState, which commits the iteration). */
export function savePolicy(dir: string, identity: RunIdentity, config: GpsConfig, iteration: number, network: PolicyNetwork, validation?: number): void {
  const policy: PolicyFile = { format: FORMAT, version: VERSION, ...identity, iteration, historyLength: config.historyLength, coordinatewise: config.coordinatewise, gradientScaling: config.gradientScaling, validation, network: network.toJSON() };
  writeFileAtomic(policyPath(dir), JSON.stringify(policy));
}

export function saveState(dir: string, identity: RunIdentity, config: GpsConfig, iteration: number, network: PolicyNetwork, conditions: ConditionState[], best?: BestPolicy, runtime?: GpsRuntimeState): void {
  const state: StateFile = {
    format: FORMAT,
    version: VERSION,
    ...identity,
    iteration,
    config,
    network: network.toJSON(),
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

/** The learned optimizer of a run directory, for evaluation. */
export function loadGpsPolicy(dir: string): { policy: Policy; identity: RunIdentity; iteration: number } {
  const path = policyPath(dir);
  const file = readRunFile(path, 'GPS policy', FORMAT, VERSION) as PolicyFile;
  return decodeRunFile(path, () => {
    if (!Number.isInteger(file.historyLength) || file.historyLength < 1) throw new Error('historyLength must be a positive integer');
    const network = PolicyNetwork.fromJSON(file.network);
    const policy = file.coordinatewise ? new CoordinatewiseGpsPolicy(network, file.historyLength, file.gradientScaling ?? 'none') : new GpsPolicy(network, file.historyLength, file.gradientScaling ?? 'none');
    return { policy, identity: { env: file.env, envParams: file.envParams }, iteration: file.iteration };
  });
}

export function loadCheckpoint(dir: string): { identity: RunIdentity; config: GpsConfig; iteration: number; network: PolicyNetwork; conditions: ConditionState[]; best?: BestPolicy; runtime?: GpsRuntimeState } {
  const path = statePath(dir);
  const file = readRunFile(path, 'GPS checkpoint', FORMAT, VERSION) as StateFile;
  return decodeRunFile(path, () => {
    const dU = file.network.outputDim;
    const gradientScaling = file.config.gradientScaling ?? 'none';
    // The full-state teacher sees [x; Φ], the per-coordinate one the policy's own features (and the raw gradient where they are scaled).
    const dX = file.config.coordinatewise ? coordinateStateDim(file.config.historyLength, gradientScaling) : dU + file.network.inputDim;
    return {
      identity: { env: file.env, envParams: file.envParams },
      // Settings added later take what runs without them did (warm-started mixtures: today's default).
      config: { validation: 0, validationSteps: DEFAULT_GPS_CONFIG.validationSteps, stepAdjustment: 'cost', onPolicySamples: 0, explorationFloor: 0, warmStartMixtures: true, ...file.config, gradientScaling },
      iteration: file.iteration,
      network: PolicyNetwork.fromJSON(file.network),
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
