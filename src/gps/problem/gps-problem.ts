// How GPS sees an objective family as an MDP. Two views share every other part of the algorithm
// (dynamics fit, LQR, BADMM distillation):
// - full state (Li & Malik 2016, full-state-problem.ts): one teacher acts on the whole
//   iterate and its history, s = [x; Φ]; the LQR is (d + H(1+d))-dimensional, so d must be small;
// - per coordinate (Li & Malik 2017, coordinatewise-problem.ts): every coordinate is a sample of one
//   low-dimensional MDP; one teacher and one policy are shared by all coordinates.
import type { LinearGaussianPolicy } from '../../../policies/linear-gaussian.ts';
import type { Policy } from '../../../policies/policy.ts';
import type { Objective } from '../../../envs/objective.ts';
import type { ParameterGroup } from '../../../envs/parameter-groups.ts';
import type { Rng } from '../../random.ts';
import type { MetaObjective } from '../../meta-objective.ts';
import type { TeacherScore } from '../config.ts';
import type { QuadraticCost } from '../lqr.ts';
import type { LinearDynamics } from '../dynamics.ts';
import type { DistilledPolicy } from '../../../policies/distilled-policy.ts';

/** M sample trajectories of one condition, each of length T. */
export interface Samples {
  /** Teacher states s_t (what the LQR and the dynamics fit see). */
  states: Float64Array[][];
  /** Policy inputs o_t. */
  observations: Float64Array[][];
  actions: Float64Array[][];
  /** f(x_t), t < T, of the rollout each sample came from (for the log). */
  values: Float64Array[];
  /** Iterates and gradients, where the cost model needs them (the full state: x_0..x_T and ∇f there). */
  iterates?: Float64Array[][];
  gradients?: Float64Array[][];
  /** f(x_{t+1}), t < T, where the cost model needs them (the full state). */
  nextValues?: Float64Array[];
  /**
   * Per coordinate, with the denoised cost: the coordinate's raw gradient at each x_t, t < T, on a
   * second minibatch drawn independently of the run's (Objective.resample).
   */
  probes?: Float64Array[];
  /** The teacher's mean action at each recorded state, where the dynamics need it (per coordinate). */
  means?: Float64Array[][];
}

export interface GpsProblemSettings {
  /** What the cost model weights each step's f by (step-weights.ts). */
  metaObjective: MetaObjective;
  historyLength: number;
  horizon: number;
  samples: number;
  initialNoise: number;
  /** How the first teachers are searched (initial-teacher.ts); the default scores Σ_t f and does not refine. */
  teacherScore?: TeacherScore;
  teacherRefine?: number;
}

export interface GpsProblem {
  /** Teacher state, policy observation and action dimensions. */
  readonly dX: number;
  readonly dO: number;
  readonly dU: number;
  initialTeacher(objective: Objective, startRng: Rng): LinearGaussianPolicy;
  /** The coordinates each of a condition's teachers acts on: one group of all in the full state; per coordinate, one per parameter group where asked. */
  teacherGroups(objective: Objective): readonly ParameterGroup[];
  /** M samples of each group's teacher, all groups' teachers acting together in each rollout; one Samples per group. */
  sample(objective: Objective, teachers: readonly LinearGaussianPolicy[], startRng: Rng, rng: Rng): Samples[];
  /** Up to `count` noisy runs of the global policy, recorded as each group's teacher states (on-policy distillation). */
  samplePolicy(objective: Objective, network: DistilledPolicy, startRng: Rng, rng: Rng, count: number): Samples[];
  costModel(objective: Objective, samples: Samples): QuadraticCost;
  /** The fitted dynamics, corrected where the view knows more of their structure than a regression sees (per coordinate). */
  adjustDynamics?(dynamics: LinearDynamics, samples: Samples): LinearDynamics;
  /** Whether observation feature `index` is zero padding at step t (skipped by the normalization). */
  isPadding(index: number, t: number): boolean;
  /** The global policy as an optimizer. */
  policy(network: DistilledPolicy): Policy;
  /** A condition's teachers (one per group, acting together) without their noise, as an optimizer. */
  teachersAsPolicy(objective: Objective, teachers: readonly LinearGaussianPolicy[]): Policy;
}
