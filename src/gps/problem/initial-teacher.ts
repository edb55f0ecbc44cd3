// Li & Malik's first teacher for each training function: momentum with its step size and decay
// grid-searched on that function, plus Gaussian exploration noise. Momentum is linear in the
// gradient history, u_t = −α Σ_{j<H} μ^j ∇f(x_{t−j}) (truncated at the history length H), so it is
// exactly a linear-Gaussian policy in the teacher state [x; Φ]; per-coordinate GPS searches the
// same grids with its own momentum teacher. Where the full state carries Adam's ratio
// (--features history-adam), Adam is linear in it too and is searched at the same step sizes.
import { Matrix } from '../../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../../policies/linear-gaussian.ts';
import { OptimizationEnv } from '../../../envs/optimization-env.ts';
import type { Objective } from '../../../envs/objective.ts';
import { Rng } from '../../random.ts';
import { UserError } from '../../errors.ts';
import { TeacherPolicy } from './teacher-state.ts';
import type { GradientScaling } from '../../../envs/coordinate-history.ts';
import { adamRatioOffset, fullStateDim, ratioMeanSquare, type FullStateFeatureSet } from '../../../envs/full-state-features.ts';
import type { Policy } from '../../../policies/policy.ts';
import type { TeacherScore } from '../config.ts';
import { rollout } from '../../../policies/rollout.ts';

export const MOMENTUM_STEP_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
export const MOMENTUM_DECAY_GRID = [0, 0.5, 0.9];
/** How the first teachers' (α, μ) are chosen: what a noiseless run is scored by, and rounds of refining α. */
export interface TeacherSearch {
  /**
   * 'sum': Σ_{t<T} f(x_t), the sum meta-objective; 'final': the loss at x_T, on the full data where
   * the family has it (what validation and the evaluation score). On MNIST at T = 400 the sum prefers
   * a smaller AdaGrad rate than the final loss does (docs/gps.md).
   */
  score: TeacherScore;
  /** Rounds that try α·10^(±h) around the best, h = ¼ decade then halving (the grid is ½ decade apart). */
  refine: number;
}

export const DEFAULT_TEACHER_SEARCH: TeacherSearch = { score: 'sum', refine: 0 };

/** The search a GPS config's teacherScore and teacherRefine ask for, DEFAULT_TEACHER_SEARCH's where a setting is absent. */
export function teacherSearchOf(settings: { teacherScore?: TeacherScore; teacherRefine?: number }): TeacherSearch {
  return { score: settings.teacherScore ?? DEFAULT_TEACHER_SEARCH.score, refine: settings.teacherRefine ?? DEFAULT_TEACHER_SEARCH.refine };
}

function truncatedMomentum(dim: number, observationDim: number, historyLength: number, horizon: number, step: number, decay: number, sigma: number): LinearGaussianPolicy {
  const K = new Matrix(dim, dim + observationDim);
  for (let j = 0; j < historyLength; j++) {
    const offset = dim + historyLength + j * dim; // ∇f(x_{t−j}) inside [x; Φ]
    for (let i = 0; i < dim; i++) K.set(i, offset + i, -step * decay ** j);
  }
  return constantGain(K, horizon, sigma);
}

/** Adam as a linear-Gaussian teacher where Φ carries its ratio: u_t = −α m̂_t/√v̂_t, coordinate by coordinate. */
export function adamTeacher(dim: number, observationDim: number, historyLength: number, horizon: number, step: number, sigma: number): LinearGaussianPolicy {
  const K = new Matrix(dim, dim + observationDim);
  const offset = dim + adamRatioOffset(historyLength, dim);
  for (let i = 0; i < dim; i++) K.set(i, offset + i, -step);
  return constantGain(K, horizon, sigma);
}

function constantGain(K: Matrix, horizon: number, sigma: number): LinearGaussianPolicy {
  const dim = K.rows;
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
  /** Where the state carries Adam's ratio: Adam at step size α, tried at every α beside momentum. */
  buildAdam?(step: number, sigma: number): LinearGaussianPolicy;
  /** The teacher run as an optimizer (without noise). */
  asPolicy(teacher: LinearGaussianPolicy): Policy;
  /** What scores a setting, and how far α is refined (default DEFAULT_TEACHER_SEARCH). */
  teacherSearch?: TeacherSearch;
}

/**
 * Picks (α, μ) from the grids by a noiseless run from x0, scored as search.teacherSearch says (by
 * default Σ_t f(x_t)), then refines α around the best. One noise level for all steps, set by the size
 * of the first step: noise proportional to each step would make late, tiny steps' precisions enormous
 * and swamp the policy's distillation loss.
 */
export function searchMomentumTeacher(objective: Objective, startRng: Rng, search: MomentumSearch): LinearGaussianPolicy {
  const env = new OptimizationEnv({ historyLength: search.historyLength });
  const { score, refine } = search.teacherSearch ?? DEFAULT_TEACHER_SEARCH;
  const last = new Float64Array(objective.dim);
  type Rule = number | 'adam'; // a momentum decay, or Adam
  type Scored = { step: number; decay: Rule; metaLoss: number; firstStep: Float64Array };
  const build = (step: number, decay: Rule, sigma: number) => (decay === 'adam' ? search.buildAdam!(step, sigma) : search.build(step, decay, sigma));
  const evaluate = (step: number, decay: Rule): Scored | null => {
    const run = rollout(env, search.asPolicy(build(step, decay, 0)), objective, search.horizon, startRng, {
      recordStates: true,
      onIterate: (t, x) => t === search.horizon && last.set(x),
    });
    if (run.divergedAt !== null) return null;
    let metaLoss = 0;
    if (score === 'final') metaLoss = objective.fullValue ? objective.fullValue(last) : run.values[search.horizon];
    else for (let t = 0; t < search.horizon; t++) metaLoss += run.values[t];
    return Number.isFinite(metaLoss) ? { step, decay, metaLoss, firstStep: run.actions![0] } : null;
  };
  let best: Scored | null = null;
  const consider = (candidate: Scored | null) => {
    if (candidate && (!best || candidate.metaLoss < best.metaLoss)) best = candidate;
  };
  for (const step of MOMENTUM_STEP_GRID) {
    for (const decay of search.decays ?? MOMENTUM_DECAY_GRID) consider(evaluate(step, decay));
    if (search.buildAdam) consider(evaluate(step, 'adam'));
  }
  // The family's doing, not a bug: its objective breaks down (NaN/Inf) under every step size tried.
  if (!best) throw new UserError(`${objective.name}: every momentum setting diverged (the objective turned NaN or infinite); cannot initialize a GPS teacher on it`);
  for (let round = 0, h = 0.25; round < refine; round++, h /= 2) {
    const center: Scored = best;
    for (const factor of [10 ** -h, 10 ** h]) consider(evaluate(center.step * factor, center.decay));
  }
  const chosen: Scored = best;
  const rms = Math.sqrt(chosen.firstStep.reduce((s, v) => s + v * v, 0) / chosen.firstStep.length);
  return build(chosen.step, chosen.decay, search.noise * rms + 1e-6);
}

/**
 * The full-state first teacher: truncated momentum in [x; Φ] (on scaled gradients where Φ's are, which
 * makes it AdaGrad with momentum), or Adam where Φ carries its ratio, whichever scores better.
 */
export function initialTeacher(
  objective: Objective,
  startRng: Rng,
  options: { historyLength: number; horizon: number; noise: number; gradientScaling: GradientScaling; fullStateFeatures?: FullStateFeatureSet; teacherSearch?: TeacherSearch },
): LinearGaussianPolicy {
  const { historyLength: H, horizon } = options;
  const features = options.fullStateFeatures ?? 'history';
  const dO = fullStateDim(features, H, objective.dim);
  return searchMomentumTeacher(objective, startRng, {
    ...options,
    build: (step, decay, sigma) => truncatedMomentum(objective.dim, dO, H, horizon, step, decay, sigma),
    ...(ratioMeanSquare(features) ? { buildAdam: (step: number, sigma: number) => adamTeacher(objective.dim, dO, H, horizon, step, sigma) } : {}),
    asPolicy: (teacher) => new TeacherPolicy(teacher, null, options),
  });
}
