// The per-condition steps of a GPS iteration as tasks for the worker pool: each is a pure function
// of its payload, so a condition's dynamics, policy linearization and new teacher are the same
// whether it ran in this thread or in a worker (transfer.ts rebuilds what cloning flattens).
// Conditions are independent within each step (docs/design.md §4), which is what lets them run side
// by side.
import { Rng } from '../random.ts';
import { sum } from '../vector.ts';
import { DynamicsPriorGMM, fitDynamics, dynamicsPriorFromState, type DynamicsPriorSnapshot, type DynamicsPriorState, type LinearDynamics } from './dynamics.ts';
import { GaussianMixture, type MixtureState } from './gaussian-mixture.ts';
import { optimizeTrajectory, stateMarginals, trajectoryKl, type QuadraticCost, type TrajectoryOptimization } from './lqr.ts';
import { linearizePolicy } from './policy-linearization.ts';
import { PolicyNetwork, type PolicyNetworkJson } from '../../policies/policy-network.ts';
import { dualStep, stepObjective, teacherPolicyKl, type Duals, type DualStepInput } from './condition-duals.ts';
import { withExplorationFloor } from './exploration-floor.ts';
import { packSamples, reviveCost, reviveCoupling, reviveDistilledPolicy, reviveDynamics, reviveLinearGaussian, reviveMatrix, unpackSequences, type DistilledPolicyJson, type PackedSamples, type PackedSequences } from './transfer.ts';
import type { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import type { FamilySpec, Objective } from '../../envs/objective.ts';
import { OptimizationEnv } from '../../envs/optimization-env.ts';
import { rollout } from '../../policies/rollout.ts';
import type { Policy } from '../../policies/policy.ts';
import { cachedFamilyFromSpec } from '../../envs/registry.ts';
import type { GpsConfig } from './config.ts';
import { gpsProblem } from './problem/create-problem.ts';

/** A condition's start stream, the same in the main thread and in a worker: `gps-<seed>` / `start/<m>`. */
export function conditionStartRng(seed: string, condition: number): Rng {
  return new Rng(`gps-${seed}`).fork(`start/${condition}`);
}

/**
 * A condition's first teacher (the momentum grid search of initial-teacher.ts): at T = 400 on the
 * MNIST net each takes about 10 s, and the conditions are independent.
 */
export async function initialConditionTeacher(payload: { family: FamilySpec; config: GpsConfig; condition: number }): Promise<LinearGaussianPolicy> {
  const family = await cachedFamilyFromSpec(payload.family);
  const objective = family.sample('train', payload.condition);
  try {
    return gpsProblem(payload.config, family.dim).initialTeacher(objective, conditionStartRng(payload.config.seed, payload.condition));
  } finally {
    objective.dispose?.();
  }
}

/**
 * Step 1 for one condition: its teachers' rollouts (per coordinate at T = 400, 8 s of an iteration
 * in one thread), on an objective built again from the spec, which gives what the main thread's
 * instance would (a rollout starts from a fork of the start stream, never drawing from it). Each
 * sample set's cost model (step 2's quadratic expansion of f, a finite-difference Hessian per
 * sample and step) is built here too, beside the objective: in the main thread it was serial work
 * while the workers waited.
 */
export async function sampleCondition(payload: { family: FamilySpec; config: GpsConfig; condition: number; teachers: unknown[]; seed: string }): Promise<{ samples: PackedSamples[]; costs: QuadraticCost[] }> {
  const family = await cachedFamilyFromSpec(payload.family);
  const objective = family.sample('train', payload.condition);
  try {
    const problem = gpsProblem(payload.config, family.dim);
    const samples = problem.sample(objective, payload.teachers.map(reviveLinearGaussian), conditionStartRng(payload.config.seed, payload.condition), new Rng(payload.seed));
    return { samples: samples.map(packSamples), costs: samples.map((set) => problem.costModel(objective, set)) };
  } finally {
    objective.dispose?.();
  }
}

/** Σ_{t<T} f(x_t) of `policy`'s run on a condition from its start; Infinity if the run breaks down. */
export function runCost(policy: Policy, objective: Objective, config: GpsConfig, start: Rng): number {
  const env = new OptimizationEnv({ historyLength: config.historyLength });
  const run = rollout(env, policy, objective, config.horizon, start);
  return run.divergedAt === null ? sum(run.values.subarray(0, config.horizon)) : Infinity;
}

/**
 * The iteration log's cost of one condition: runCost of its teachers acting together, or of the
 * distilled network. Per coordinate at T = 400 on the MNIST net the log's two runs per condition
 * took 3.8 s of an iteration in the main thread, while the workers waited.
 */
export async function conditionCost(payload: { family: FamilySpec; config: GpsConfig; condition: number; teachers?: unknown[]; network?: DistilledPolicyJson }): Promise<number> {
  const family = await cachedFamilyFromSpec(payload.family);
  const objective = family.sample('train', payload.condition);
  try {
    const problem = gpsProblem(payload.config, family.dim);
    const policy = payload.network ? problem.policy(reviveDistilledPolicy(payload.network)) : problem.teachersAsPolicy(objective, payload.teachers!.map(reviveLinearGaussian));
    return runCost(policy, objective, payload.config, conditionStartRng(payload.config.seed, payload.condition));
  } finally {
    objective.dispose?.();
  }
}

export const TASKS = {
  initialTeacher: { module: import.meta.url, name: 'initialConditionTeacher' },
  sample: { module: import.meta.url, name: 'sampleCondition' },
  cost: { module: import.meta.url, name: 'conditionCost' },
  dynamics: { module: import.meta.url, name: 'fitConditionDynamics' },
  prior: { module: import.meta.url, name: 'refitDynamicsPrior' },
  linearize: { module: import.meta.url, name: 'linearizeCondition' },
  trajectory: { module: import.meta.url, name: 'optimizeCondition' },
};

/**
 * The run's dynamics prior: a mixture over the recent transitions of every teacher (docs/design.md
 * §2 step 2). Each iteration adds one trajectory per teacher (a condition's parameter groups each
 * have one), and the buffer holds two iterations' worth.
 */
export function dynamicsPriorFor(config: GpsConfig, teachers: number): DynamicsPriorGMM {
  return new DynamicsPriorGMM({ maxClusters: config.dynamicsClusters, maxSamples: Math.max(20, 2 * teachers) });
}

/**
 * DynamicsPriorGMM.update on a worker, from the prior's snapshot: the same mixture as in the main
 * thread (a resumed run restores the same snapshot), while the main thread distills meanwhile.
 */
export function refitDynamicsPrior(payload: { config: GpsConfig; snapshot: DynamicsPriorSnapshot; X: Float64Array[][]; U: Float64Array[][]; seed: string }): DynamicsPriorSnapshot {
  const prior = dynamicsPriorFor(payload.config, payload.X.length); // one new trajectory per teacher
  prior.restore(payload.snapshot);
  prior.update(payload.X, payload.U, new Rng(payload.seed), payload.config.warmStartMixtures);
  return prior.snapshot;
}

export function fitConditionDynamics(payload: { states: PackedSequences; actions: PackedSequences; prior: DynamicsPriorState; ridge: number }): LinearDynamics {
  return fitDynamics(unpackSequences(payload.states), unpackSequences(payload.actions), dynamicsPriorFromState(payload.prior), { ridge: payload.ridge });
}

export interface Linearization {
  policy: LinearGaussianPolicy;
  /** μ_θ(o) at every sample, [n][t] (the dual step reuses them). */
  means: Float64Array[][];
  mixture: MixtureState;
}

/** A linearization as the task returns it: the means in one block (transfer.ts), and the extras asked for. */
export type LinearizationResult = Omit<Linearization, 'means'> & { means: PackedSequences; adjustObjective?: number; duals?: Duals };

/**
 * What may ride along with a linearization, each computed right after it under the condition's
 * models: the step adjustment's objective of the current teacher (with ν·KL to the new
 * linearization when `kl` is set), and step 6's dual step.
 */
export interface LinearizationExtras {
  adjust?: { dynamics: unknown; cost: unknown; teacher: unknown; kl?: { nu: Float64Array } };
  dual?: { duals: unknown; teacher: unknown; dynamics: unknown } & Omit<DualStepInput, 'teacher' | 'linearized' | 'policyMeans' | 'states' | 'dynamics'>;
}

export function linearizeCondition(
  payload: {
    states: PackedSequences;
    observations: PackedSequences;
    seed: string;
    clusters: number;
    mixture: MixtureState;
    warmStart: boolean;
  } & ({ network: PolicyNetworkJson } | { means: PackedSequences; variance: ArrayLike<number> }) &
    LinearizationExtras,
): LinearizationResult {
  // The feed-forward network runs here, over every sample's observation in one pass; a recurrent
  // policy's means come computed (it runs in the main thread, on tfjs).
  // The packed observations are already the rows the network reads, and its means come back packed.
  let means: PackedSequences;
  let variance: ArrayLike<number>;
  if ('network' in payload) {
    const network = PolicyNetwork.fromJSON(payload.network);
    const { data, sequences, steps, width } = payload.observations;
    means = { data: network.meansOfRows(data, sequences * steps, width), sequences, steps, width: network.outputDim };
    variance = network.variance;
  } else {
    ({ means, variance } = payload);
  }
  const mixture = GaussianMixture.fromState(payload.mixture);
  const states = unpackSequences(payload.states);
  const policyMeans = unpackSequences(means);
  const policy = linearizePolicy(states, policyMeans, Float64Array.from(variance), new Rng(payload.seed), { clusters: payload.clusters, ridge: 1e-8 }, mixture, payload.warmStart);
  const result: LinearizationResult = { policy, means, mixture: mixture.state };
  const { adjust, dual } = payload;
  if (adjust) {
    const models = { dynamics: reviveDynamics(adjust.dynamics), cost: reviveCost(adjust.cost), kl: adjust.kl && { policy, nu: adjust.kl.nu } };
    result.adjustObjective = stepObjective(models, reviveLinearGaussian(adjust.teacher));
  }
  if (dual) {
    const { duals, teacher, dynamics, ...rates } = dual;
    result.duals = dualStep(reviveDuals(duals), { ...rates, teacher: reviveLinearGaussian(teacher), linearized: policy, policyMeans, states, dynamics: dynamics ? reviveDynamics(dynamics) : null });
  }
  return result;
}

/** A new teacher as the task returns it: with the exploration floor applied, and on the last inner pass what the iteration's end needs of it. */
export type ConditionTrajectory = TrajectoryOptimization & {
  /** Σ_t E[KL_t(new teacher ‖ π̄)], for the log. */
  klToPolicy?: number;
  /** The step adjustment's baseline: the objective of the teacher that sampled and of the new one. */
  base?: { previous: number; predicted: number };
};

export function optimizeCondition(payload: {
  dynamics: unknown;
  cost: unknown;
  previous: unknown;
  coupling: unknown;
  eta: number;
  klBound: number;
  /** withExplorationFloor on the new teacher, from the condition's sampled actions. */
  floor?: { value: number; actions: PackedSequences };
  /** The last inner pass: the log's KL and the step adjustment's baseline, ν·KL counted in it when `withKl`. */
  finish?: { withKl: boolean };
}): ConditionTrajectory {
  const dynamics = reviveDynamics(payload.dynamics);
  const cost = reviveCost(payload.cost);
  const previous = reviveLinearGaussian(payload.previous);
  const coupling = payload.coupling === null ? null : reviveCoupling(payload.coupling);
  const result: ConditionTrajectory = optimizeTrajectory({ dynamics, cost, previous, coupling, eta: payload.eta, klBound: payload.klBound });
  if (payload.floor) {
    // The floor widens the teacher past the LQR's KL bound on purpose: the KL logged and used by the
    // step adjustment is the floored teacher's own (docs/design.md §2 step 4g), not the bound's.
    result.teacher = withExplorationFloor(result.teacher, unpackSequences(payload.floor.actions), payload.floor.value);
    result.kl = trajectoryKl(result.teacher, previous, stateMarginals(dynamics, result.teacher));
  }
  if (payload.finish) {
    if (!coupling) throw new Error('the last inner pass of an iteration has a linearized policy');
    result.klToPolicy = sum(teacherPolicyKl(dynamics, result.teacher, coupling.policy));
    const models = { dynamics, cost, kl: payload.finish.withKl ? { policy: coupling.policy, nu: coupling.weights } : undefined };
    result.base = { previous: stepObjective(models, previous), predicted: stepObjective(models, result.teacher) };
  }
  return result;
}

/** Duals as they arrive from a worker (plain data) or from this thread. */
export function reviveDuals(duals: unknown): Duals {
  const d = duals as Duals;
  return { lambdak: d.lambdak, nu: d.nu, lambdaK: d.lambdaK.map(reviveMatrix) };
}

/** A task's result as it arrives from a worker (plain data) or from this thread, rebuilt alike. */
export function reviveLinearization(result: LinearizationResult): Linearization {
  return { ...result, policy: reviveLinearGaussian(result.policy), means: unpackSequences(result.means) };
}

export function reviveTrajectory(result: ConditionTrajectory): ConditionTrajectory {
  return { ...result, teacher: reviveLinearGaussian(result.teacher) };
}
