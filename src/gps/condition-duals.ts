// One condition's BADMM bookkeeping (docs/design.md §2 steps 4f and 6): the dual step on λ and ν,
// the expected KL between a teacher and the linearized policy, and the objective the step-size
// adjustment compares. Pure functions of a condition's models, so the pool's tasks run them beside
// the linearization and the LQR (condition-tasks.ts) instead of this thread running them for every
// condition while the workers wait.
import { matmul, matVec, type Matrix } from '../linalg/matrix.ts';
import type { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import type { LinearDynamics } from './dynamics.ts';
import { expectedCost, forwardPass, stateMarginals, type QuadraticCost } from './lqr.ts';
import { sum } from '../vector.ts';

/**
 * ν_t × 2 where KL_t ≥ mean + ½ std over t, × ½ where KL_t < mean − std (cbfinn/gps fixed_lg_step 3,
 * the rule of all its BADMM example configurations):
 * a step relative to the other time steps, so ν does not scale with the KL's absolute size, which
 * for optimization teachers runs to 1e3–1e5 and made the gradient step's ν and η climb together.
 */
export function relativeNuStep(nu: Float64Array, kl: Float64Array): void {
  const mean = sum(kl) / kl.length;
  const std = Math.sqrt(kl.reduce((s, v) => s + (v - mean) ** 2, 0) / kl.length);
  for (let t = 0; t < kl.length; t++) {
    if (kl[t] >= mean + 0.5 * std) nu[t] *= 2;
    else if (kl[t] < mean - std) nu[t] *= 0.5;
  }
}

/** The dual gradient step on ν, in place: ν_t ← max(ν_t + step·KL_t, 0) (docs/design.md §2 step 6). */
export function gradientNuStep(nu: Float64Array, kl: Float64Array, step: number): void {
  for (let t = 0; t < nu.length; t++) nu[t] = Math.max(nu[t] + step * kl[t], 0);
}

/**
 * Step 6's dual step on the mean at step t, in place: l_t ← l_t − rate·P_t·mean_n(K_t s_n + k_t − μ_θ(o_n)),
 * with rate = α·ν_t: λ moves against the teachers' excess over the policy at the samples.
 */
export function meanDualStep(lambdak: Float64Array, teacher: LinearGaussianPolicy, t: number, states: Float64Array[], policyMeans: Float64Array[], rate: number): void {
  const dU = lambdak.length;
  // The teacher's mean is affine in s, so its average over the samples is its mean at their average.
  const meanState = new Float64Array(states[0].length);
  for (const s of states) for (let j = 0; j < s.length; j++) meanState[j] += s[j] / states.length;
  const gap = teacher.mean(t, meanState);
  for (const mu of policyMeans) for (let i = 0; i < dU; i++) gap[i] -= mu[i] / policyMeans.length;
  const step = matVec(teacher.precision[t], gap);
  for (let i = 0; i < dU; i++) lambdak[i] -= rate * step[i];
}

/** Per-step E[KL(teacher ‖ π̄)] under the teacher's own state marginals. */
export function teacherPolicyKl(dynamics: LinearDynamics, teacher: LinearGaussianPolicy, policy: LinearGaussianPolicy): Float64Array {
  const states = stateMarginals(dynamics, teacher);
  return teacher.expectedKl(policy, states.means, states.covariances);
}

/** A condition's duals: λ = (Λ_t, l_t) on the mean action and ν_t on the KL. */
export interface Duals {
  lambdaK: Matrix[];
  lambdak: Float64Array[];
  nu: Float64Array;
}

/** What step 6 needs of one condition, besides its duals. */
export interface DualStepInput {
  /** The teacher the policy was just distilled from. */
  teacher: LinearGaussianPolicy;
  /** The policy linearized around the condition's samples, and its means there ([n][t]). */
  linearized: LinearGaussianPolicy;
  policyMeans: Float64Array[][];
  states: Float64Array[][];
  /** Needed only when ν moves (its KL). */
  dynamics: LinearDynamics | null;
  /** α: λ's step is α·ν_t; and the step on Λ (0: none). */
  rate: number;
  rateCovariance: number;
  /** Whether ν moves too (the last inner pass of an iteration), and by which rule. */
  updateNu: boolean;
  nuStep: 'relative' | 'gradient';
  lgStep: number;
}

/** Step 6: λ moved against the teacher–policy disagreement; with updateNu, ν by the KL. Returns new duals; `duals` is left as it was. */
export function dualStep(duals: Duals, input: DualStepInput): Duals {
  const { teacher, linearized, rate, rateCovariance } = input;
  const lambdak = duals.lambdak.map((l) => l.slice());
  const lambdaK = duals.lambdaK.map((L) => L.clone());
  const nu = duals.nu.slice();
  for (let t = 0; t < lambdak.length; t++) {
    meanDualStep(lambdak[t], teacher, t, input.states.map((run) => run[t]), input.policyMeans.map((run) => run[t]), rate * nu[t]);
    if (rateCovariance > 0) {
      const gapK = teacher.K[t].clone().addScaled(linearized.K[t], -1);
      lambdaK[t].addScaled(matmul(teacher.precision[t], gapK), -rateCovariance * nu[t]);
    }
  }
  if (input.updateNu) {
    if (!input.dynamics) throw new Error('the ν step needs the dynamics');
    const kl = teacherPolicyKl(input.dynamics, teacher, linearized);
    if (input.nuStep === 'relative') relativeNuStep(nu, kl);
    else gradientNuStep(nu, kl, input.lgStep);
  }
  return { lambdak, lambdaK, nu };
}

/** The models the step adjustment's objective is measured under, and whether ν·KL counts. */
export interface StepObjectiveModels {
  dynamics: LinearDynamics;
  cost: QuadraticCost;
  /** With the KL: the linearized policy and ν. */
  kl?: { policy: LinearGaussianPolicy; nu: Float64Array };
}

/**
 * The objective the step adjustment compares (docs/design.md §2 step 4f): E[Σ_t cost] of `teacher`'s
 * marginals, plus Σ_t ν_t E[KL_t(teacher ‖ π̄)] when the KL counts.
 */
export function stepObjective(models: StepObjectiveModels, teacher: LinearGaussianPolicy): number {
  const marginals = forwardPass(models.dynamics, teacher);
  let value = sum(expectedCost(models.cost, marginals));
  if (models.kl) {
    const dX = teacher.dX;
    const kl = teacher.expectedKl(
      models.kl.policy,
      marginals.means.map((m) => m.subarray(0, dX)),
      marginals.covariances.map((S) => S.block(0, 0, dX, dX)),
    );
    for (let t = 0; t < kl.length; t++) value += models.kl.nu[t] * kl[t];
  }
  return value;
}
