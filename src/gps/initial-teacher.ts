// Li & Malik's first teacher for each training function: momentum with its step size and decay
// grid-searched on that function, plus Gaussian exploration noise. Momentum is linear in the
// gradient history, u_t = −α Σ_{j<H} μ^j ∇f(x_{t−j}) (truncated at the history length H), so it is
// exactly a linear-Gaussian policy in the teacher state [x; Φ].
import { Matrix } from '../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import { OptimizationEnv } from '../../envs/optimization-env.ts';
import type { Objective } from '../../envs/objective.ts';
import { Rng } from '../random.ts';
import { TeacherPolicy } from './teacher-state.ts';

export const MOMENTUM_STEP_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
export const MOMENTUM_DECAY_GRID = [0, 0.5, 0.9];

function truncatedMomentum(dim: number, historyLength: number, horizon: number, step: number, decay: number, sigmas: Float64Array | null): LinearGaussianPolicy {
  const dX = dim + historyLength * (1 + dim);
  const K = new Matrix(dim, dX);
  for (let j = 0; j < historyLength; j++) {
    const offset = dim + historyLength + j * dim; // ∇f(x_{t−j}) inside [x; Φ]
    for (let i = 0; i < dim; i++) K.set(i, offset + i, -step * decay ** j);
  }
  return new LinearGaussianPolicy(
    Array.from({ length: horizon }, () => K),
    Array.from({ length: horizon }, () => new Float64Array(dim)),
    Array.from({ length: horizon }, (_, t) => Matrix.identity(dim, sigmas ? sigmas[t] ** 2 : 1e-12)),
  );
}

export interface InitialTeacher {
  teacher: LinearGaussianPolicy;
  step: number;
  decay: number;
  /** Σ_t f(x_t) of the noiseless momentum run. */
  metaLoss: number;
}

/**
 * Picks (α, μ) by the noiseless meta-loss Σ_t f(x_t) from x0; the exploration noise's standard
 * deviation is `noise` times the RMS of that run's first step.
 */
export function initialTeacher(objective: Objective, startRng: Rng, options: { historyLength: number; horizon: number; noise: number }): InitialTeacher {
  const { historyLength, horizon } = options;
  const env = new OptimizationEnv({ historyLength });
  let best: { step: number; decay: number; metaLoss: number; actions: Float64Array[] } | null = null;
  for (const step of MOMENTUM_STEP_GRID) {
    for (const decay of MOMENTUM_DECAY_GRID) {
      const policy = new TeacherPolicy(truncatedMomentum(objective.dim, historyLength, horizon, step, decay, null), null);
      const run = env.rollout(policy, objective, horizon, startRng, { recordStates: true });
      if (run.divergedAt !== null) continue;
      let metaLoss = 0;
      for (let t = 0; t < horizon; t++) metaLoss += run.values[t];
      if (!best || metaLoss < best.metaLoss) best = { step, decay, metaLoss, actions: run.actions! };
    }
  }
  if (!best) throw new Error(`${objective.name}: every momentum setting diverged; cannot initialize a teacher`);
  // One noise level for all steps, set by the size of the first step. Noise proportional to each
  // step would make late, tiny steps' precisions enormous and swamp the policy's distillation loss.
  const first = best.actions[0];
  const rms = Math.sqrt(first.reduce((s, v) => s + v * v, 0) / first.length);
  const sigmas = new Float64Array(horizon).fill(options.noise * rms + 1e-6);
  return {
    teacher: truncatedMomentum(objective.dim, historyLength, horizon, best.step, best.decay, sigmas),
    step: best.step,
    decay: best.decay,
    metaLoss: best.metaLoss,
  };
}
