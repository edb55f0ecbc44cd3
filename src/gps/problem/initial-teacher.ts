// Li & Malik's first teacher for each training function: momentum with its step size and decay
// grid-searched on that function, plus Gaussian exploration noise. Momentum is linear in the
// gradient history, u_t = −α Σ_{j<H} μ^j ∇f(x_{t−j}) (truncated at the history length H), so it is
// exactly a linear-Gaussian policy in the teacher state [x; Φ]; per-coordinate GPS searches the
// same grids with its own momentum teacher.
import { Matrix } from '../../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../../policies/linear-gaussian.ts';
import { OptimizationEnv } from '../../../envs/optimization-env.ts';
import type { Objective } from '../../../envs/objective.ts';
import { Rng } from '../../random.ts';
import { UserError } from '../../errors.ts';
import { TeacherPolicy } from './teacher-state.ts';
import type { GradientScaling } from '../../../envs/coordinate-history.ts';
import type { Policy } from '../../../policies/policy.ts';
import { rollout } from '../../../policies/rollout.ts';

export const MOMENTUM_STEP_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
export const MOMENTUM_DECAY_GRID = [0, 0.5, 0.9];

function truncatedMomentum(dim: number, historyLength: number, horizon: number, step: number, decay: number, sigma: number): LinearGaussianPolicy {
  const dX = dim + historyLength * (1 + dim);
  const K = new Matrix(dim, dX);
  for (let j = 0; j < historyLength; j++) {
    const offset = dim + historyLength + j * dim; // ∇f(x_{t−j}) inside [x; Φ]
    for (let i = 0; i < dim; i++) K.set(i, offset + i, -step * decay ** j);
  }
  return new LinearGaussianPolicy(
    Array.from({ length: horizon }, () => K),
    Array.from({ length: horizon }, () => new Float64Array(dim)),
    Array.from({ length: horizon }, () => Matrix.identity(dim, Math.max(sigma ** 2, 1e-12))),
  );
}

export interface MomentumSearch {
  horizon: number;
  historyLength: number;
  /** Exploration noise relative to the RMS of the chosen run's first step. */
  noise: number;
  /** The decays to try (default MOMENTUM_DECAY_GRID); [0] where the state has no last step to carry. */
  decays?: readonly number[];
  /** The teacher for step size α, decay μ and a noise standard deviation. */
  build(step: number, decay: number, sigma: number): LinearGaussianPolicy;
  /** The teacher run as an optimizer (without noise). */
  asPolicy(teacher: LinearGaussianPolicy): Policy;
}

/**
 * Picks (α, μ) from the grids by the noiseless meta-loss Σ_t f(x_t) from x0. One noise level for
 * all steps, set by the size of the first step: noise proportional to each step would make late,
 * tiny steps' precisions enormous and swamp the policy's distillation loss.
 */
export function searchMomentumTeacher(objective: Objective, startRng: Rng, search: MomentumSearch): LinearGaussianPolicy {
  const env = new OptimizationEnv({ historyLength: search.historyLength });
  let best: { step: number; decay: number; metaLoss: number; firstStep: Float64Array } | null = null;
  for (const step of MOMENTUM_STEP_GRID) {
    for (const decay of search.decays ?? MOMENTUM_DECAY_GRID) {
      const run = rollout(env, search.asPolicy(search.build(step, decay, 0)), objective, search.horizon, startRng, { recordStates: true });
      if (run.divergedAt !== null) continue;
      let metaLoss = 0;
      for (let t = 0; t < search.horizon; t++) metaLoss += run.values[t];
      if (!best || metaLoss < best.metaLoss) best = { step, decay, metaLoss, firstStep: run.actions![0] };
    }
  }
  // The family's doing, not a bug: its objective breaks down (NaN/Inf) under every step size tried.
  if (!best) throw new UserError(`${objective.name}: every momentum setting diverged (the objective turned NaN or infinite); cannot initialize a GPS teacher on it`);
  const rms = Math.sqrt(best.firstStep.reduce((s, v) => s + v * v, 0) / best.firstStep.length);
  return search.build(best.step, best.decay, search.noise * rms + 1e-6);
}

/** The full-state first teacher: truncated momentum in [x; Φ] (on scaled gradients where Φ's are, which makes it AdaGrad with momentum). */
export function initialTeacher(objective: Objective, startRng: Rng, options: { historyLength: number; horizon: number; noise: number; gradientScaling: GradientScaling }): LinearGaussianPolicy {
  return searchMomentumTeacher(objective, startRng, {
    ...options,
    build: (step, decay, sigma) => truncatedMomentum(objective.dim, options.historyLength, options.horizon, step, decay, sigma),
    asPolicy: (teacher) => new TeacherPolicy(teacher, null, options),
  });
}
