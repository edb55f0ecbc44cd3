// The settings of guided policy search and their defaults, apart from the algorithm (badmm.ts), so
// that what only needs the defaults (the command line's help) loads no tfjs.
import type { GradientScaling } from '../../envs/coordinate-history.ts';
import type { MetaObjective } from '../meta-objective.ts';
import type { FeatureSet } from '../../envs/coordinate-features.ts';

export const GRADIENT_DYNAMICS = ['fitted', 'coherent'] as const;
export const COST_GRADIENTS = ['minibatch', 'denoised'] as const;
export const POLICY_KINDS = ['mlp', 'lstm'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
export type GradientDynamics = (typeof GRADIENT_DYNAMICS)[number];
export type CostGradient = (typeof COST_GRADIENTS)[number];
export const TEACHER_SCORES = ['sum', 'final'] as const;
export type TeacherScore = (typeof TEACHER_SCORES)[number];

/** Settings of guided policy search; DEFAULT_GPS_CONFIG holds the defaults, docs/gps.md what each does. */
export interface GpsConfig {
  /** Training objectives used as conditions (the first N of the training split). */
  conditions: number;
  /** Held-out training objectives (the last N of the split) that select the best iteration's policy (validation.ts). */
  validation: number;
  /** Steps of each validation run: the evaluation's horizon rather than T, since a learned optimizer must stay stable beyond T. */
  validationSteps: number;
  /** T, the length of every sample. */
  horizon: number;
  /** What the teachers' cost sums over a sample: f at every step, its log-gap to f* (the rate), or f at the last step (src/meta-objective.ts). */
  metaObjective: MetaObjective;
  /** M, samples per condition per iteration. */
  samples: number;
  iterations: number;
  historyLength: number;
  hidden: number;
  /** ε = klStep · stepMult · T, the bound on KL(new teacher ‖ previous). */
  klStep: number;
  /** Exploration noise of the first teachers, relative to momentum's step size. */
  initialNoise: number;
  /** What scores the first teachers' momentum grid search: Σ_t f ('sum') or the final loss on the full data ('final'); initial-teacher.ts. */
  teacherScore: TeacherScore;
  /** Rounds refining the first teachers' step size around the grid's best (0: the grid alone). */
  teacherRefine: number;
  innerIterations: number;
  initialNu: number;
  /** How ν_t follows KL_t(p ‖ π̄): 'gradient', ν_t ← max(ν_t + lgStep · KL_t, 0) (docs/design.md §2 step 6); 'relative', relativeNuStep. */
  nuStep: 'gradient' | 'relative';
  /**
   * What the KL step ε adapts to, as predicted against realized improvement from one iteration to the
   * next: 'cost', the expected cost alone; 'cost-and-kl', the cost plus Σ_t ν_t·KL_t(teacher ‖ π̄),
   * the BADMM objective the teachers are solved for (cbfinn/gps algorithm_badmm.py). With the cost
   * alone a step that pays for agreeing with the policy looks like a model error and shrinks ε.
   */
  stepAdjustment: 'cost' | 'cost-and-kl';
  /**
   * Noisy runs of the global policy per condition and iteration (from the second on), distilled on
   * the teachers' actions at the states the policy itself visits, as mirror-descent GPS trains on
   * on-policy samples; 0 distills on the teachers' samples only. Per coordinate, the runs are recorded per group as the teachers' samples are.
   */
  onPolicySamples: number;
  /**
   * A floor on the teachers' exploration: each new teacher's action standard deviation at step t is
   * raised to at least this multiple of the RMS of the actions sampled at t, so exploration cannot
   * collapse as the KL steps shrink (docs/design.md §2 step 4g); 0 leaves the LQR's covariance as it is.
   */
  explorationFloor: number;
  /**
   * Whether the Gaussian mixtures behind the dynamics and policy priors start each EM fit from the
   * previous one (cbfinn/gps's default, and ours since 2026-12-04: npm start 44 s against 53 s) or
   * from k-means++ as before (which gives the small net's 2026-12-03 policy; docs/experiments.md).
   */
  warmStartMixtures: boolean;
  lgStep: number;
  policyDualRate: number;
  policyDualRateCovar: number;
  policyIterations: number;
  policyBatch: number;
  policyLearningRate: number;
  dynamicsRidge: number;
  dynamicsClusters: number;
  policyClusters: number;
  /** Li & Malik 2017: one teacher and policy shared by all coordinates (for high-dimensional objectives). */
  coordinatewise: boolean;
  /** Per-coordinate GPS: coordinates recorded per rollout (per parameter group) as samples of the one-coordinate MDP. */
  sampledCoordinates: number;
  /**
   * Per-coordinate GPS: one teacher, dynamics fit, cost model and pair of duals per parameter group of
   * the objective (a net's weight matrices and bias vectors; envs/parameter-groups.ts) instead of one
   * for all coordinates (Li & Malik 2017's convolutional GPS). Objectives without groups are one group.
   */
  parameterGroups: boolean;
  /**
   * Per-coordinate GPS: each coordinate's state, 'history' (H lags of its gradient and step and the
   * relative change of f), 'history-adam' (those and Adam's m̂/√v̂ of the gradient),
   * 'history-adam-mean' (and the mean |m̂/√v̂| over all coordinates; meant as a pooled noise level,
   * measured it is not one: docs/gps.md) or
   * 'li-malik-2017' (the paper's observation and 25 stride-5 lags of 3-step averages; its gradients
   * normalize themselves, so gradientScaling must be 'none'). Full state: 'history' (Φ) or
   * 'history-adam' (Φ and each coordinate's m̂/√v̂, with Adam among the first teachers). Either
   * view: 'history-adam-held', the ratio with its v̂ held from step 40 on (envs/adam-ratio.ts).
   */
  features: FeatureSet;
  /**
   * Per-coordinate GPS: the raw gradient's dynamics as the regression fits them ('fitted'), or
   * g_{t+1} = g_t + h_t u_t with h_t the curvature along the teachers' mean step ('coherent': the
   * direction all coordinates move together; coordinatewise-problem.ts adjustDynamics).
   */
  gradientDynamics: GradientDynamics;
  /**
   * Per-coordinate GPS: the gradient in the cost model's g·u. 'minibatch': the run's minibatch
   * gradient, the one the step was computed from, so its noise counts as descent and rewards large
   * steps. 'denoised': that gradient times κ_t, the share of it a second, independent minibatch
   * agrees with, and the curvature regressed on that second gradient, neither biased by the noise
   * (coordinatewise-problem.ts costModel; docs/design.md §2). The same on an objective without
   * minibatches.
   */
  costGradient: CostGradient;
  /**
   * The global policy: 'mlp', one hidden layer of `hidden` softplus units on the current features;
   * 'lstm' (per coordinate), one LSTM layer of `lstmCells` cells carried through a run and distilled
   * on whole sequences (Li & Malik 2017; policyBatch then counts sequences).
   */
  policy: PolicyKind;
  lstmCells: number;
  /** Gradient features as they are, or divided by their AdaGrad accumulator: per coordinate (coordinate-history.ts) or in the full state's Φ (history-scaling.ts). */
  gradientScaling: GradientScaling;
  seed: string;
}

/**
 * The first teachers' exploration noise by view. In the full state, noise larger than momentum's
 * first step lets the policy see overshoots it must recover from (logreg, robust regression and
 * the small net all did better with 1 than with 0.2, and with 1.5 and the final meta-objective
 * than with 1 and the sum; docs/gps.md). Per coordinate, where each weight of a neural net draws its
 * own noise, 1 raised the MNIST teachers' cost from 72 to 462 and made the policy worse (held-out
 * 0.6584 against 0.3982), so there it stays at 0.2.
 */
export function defaultInitialNoise(coordinatewise: boolean): number {
  return coordinatewise ? 0.2 : 1.5;
}

/**
 * What the teachers' cost counts by default, by view. In the full state, the last f: with noise 1.5
 * it beat the sum with noise 1 on logreg (three training seeds), robust regression (three), the
 * small net and the quadratic, all scored as the evaluation scores them, by the final f (docs/gps.md).
 * Per coordinate the sum: on MNIST at T = 400 the final f scored 0.2748 against the sum's 0.2610.
 */
export function defaultMetaObjective(coordinatewise: boolean): MetaObjective {
  return coordinatewise ? 'sum' : 'final';
}

/**
 * The features by view. In the full state, Φ with Adam's ratio, which with the final teacher score,
 * H = 2 and the mean of three trainings (`l2o train --restarts 3 --combine mean`, the command's
 * full-state default) ends below tuned Adam on logreg from every training seed tried, and leads on
 * the small net and the quadratic (docs/gps.md, session 42); its v̂ held from step 40, the
 * horizon, on, so that past it the policy stays at a minimum it reached (logreg at step 4000: f* to
 * 2e-16 instead of 2.1e-4 above it; robust regression 1e-6 to 6e-9 above f* at step 100 instead of
 * about 2e-5; the quadratic 0.55 instead of 0.51; docs/gps.md, session 43). Per coordinate the
 * history: the MNIST recipes choose their own.
 */
export function defaultFeatures(coordinatewise: boolean): FeatureSet {
  return coordinatewise ? 'history' : 'history-adam-held';
}

/**
 * What picks the first teachers by default, by view: in the full state their final f, which the
 * meta-objective and the evaluation also score (with the history-adam features, above); per
 * coordinate the sum, as the MNIST recipes were measured.
 */
export function defaultTeacherScore(coordinatewise: boolean): TeacherScore {
  return coordinatewise ? 'sum' : 'final';
}

/** H by view: 2 in the full state (with the features above, six logreg seeds' mean gap to Adam +1.6e-5 against H = 5's +2.8e-5, the lowest held-out mean of any single-run setting; docs/gps.md, session 42), 5 per coordinate. */
export function defaultHistoryLength(coordinatewise: boolean): number {
  return coordinatewise ? 5 : 2;
}

/**
 * The defaults of `l2o train --algo gps` in the full state; spread it and override what you need.
 * For per-coordinate GPS start from defaultGpsConfig(true): `coordinatewise: true` alone keeps the
 * full state's H, noise, meta-objective, features and teacher score.
 */
export const DEFAULT_GPS_CONFIG: GpsConfig = {
  conditions: 20,
  /** logreg's: divideTrainingSplit holds out whatever the conditions leave of a family's training split. */
  validation: 70,
  validationSteps: 100,
  horizon: 40,
  metaObjective: defaultMetaObjective(false),
  samples: 20,
  iterations: 5,
  historyLength: defaultHistoryLength(false),
  hidden: 50,
  klStep: 0.2,
  initialNoise: defaultInitialNoise(false),
  teacherScore: defaultTeacherScore(false),
  teacherRefine: 0,
  innerIterations: 4,
  initialNu: 0.01,
  nuStep: 'relative',
  stepAdjustment: 'cost',
  onPolicySamples: 0,
  explorationFloor: 0,
  warmStartMixtures: true,
  lgStep: 10,
  policyDualRate: 0.1,
  policyDualRateCovar: 0,
  policyIterations: 1000,
  policyBatch: 64,
  policyLearningRate: 1e-3,
  dynamicsRidge: 1e-6,
  dynamicsClusters: 20,
  policyClusters: 4,
  coordinatewise: false,
  sampledCoordinates: 32,
  parameterGroups: false,
  features: defaultFeatures(false),
  gradientDynamics: 'fitted',
  costGradient: 'minibatch',
  policy: 'mlp',
  lstmCells: 128,
  gradientScaling: 'adagrad',
  seed: '1',
};

/** DEFAULT_GPS_CONFIG with the settings that differ by view (H, noise, meta-objective, features, teacher score) taken for the given one. */
export function defaultGpsConfig(coordinatewise: boolean): GpsConfig {
  return {
    ...DEFAULT_GPS_CONFIG,
    coordinatewise,
    historyLength: defaultHistoryLength(coordinatewise),
    initialNoise: defaultInitialNoise(coordinatewise),
    metaObjective: defaultMetaObjective(coordinatewise),
    features: defaultFeatures(coordinatewise),
    teacherScore: defaultTeacherScore(coordinatewise),
  };
}

/**
 * The settings a checkpoint's config holds, with what runs written before a setting existed ran with
 * (warm-started mixtures: today's default; ν by the gradient step; the full state; no scaling).
 */
export function savedGpsSettings(saved: Partial<GpsConfig>): GpsConfig {
  return {
    validation: 0,
    validationSteps: DEFAULT_GPS_CONFIG.validationSteps,
    teacherScore: 'sum',
    teacherRefine: 0,
    stepAdjustment: 'cost',
    onPolicySamples: 0,
    explorationFloor: 0,
    warmStartMixtures: true,
    nuStep: 'gradient',
    coordinatewise: false,
    sampledCoordinates: DEFAULT_GPS_CONFIG.sampledCoordinates,
    parameterGroups: false,
    features: 'history',
    gradientDynamics: 'fitted',
    costGradient: 'minibatch',
    policy: 'mlp',
    lstmCells: DEFAULT_GPS_CONFIG.lstmCells,
    ...saved,
    metaObjective: saved.metaObjective ?? 'sum',
    gradientScaling: saved.gradientScaling ?? 'none',
  } as GpsConfig;
}
