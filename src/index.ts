/**
 * learn-to-optimize: learned optimization algorithms for Node.js. An optimizer is a policy that maps
 * the history of an optimization to the next step, x_{t+1} = x_t + π(history); this package learns
 * such policies by guided policy search (Li & Malik 2016/2017) or by backpropagation through time
 * (Andrychowicz et al. 2016), and compares them with tuned hand-designed optimizers.
 *
 * The exports follow the layers of the package (docs/design.md §7): objectives and the MDP, policies,
 * the two trainers, evaluation, and the backend.
 *
 * @example
 * ```ts
 * import { createFamily, compareOptimizers, initBackend } from 'learn-to-optimize';
 * const backend = await initBackend();
 * const family = createFamily('logreg');
 * const report = await compareOptimizers([{ name: 'adam' }, { name: 'lbfgs' }], {
 *   family, split: 'test', steps: 100, problems: 20, seed: '1', backend,
 * });
 * ```
 * @packageDocumentation
 */

// Objectives, families and the MDP.
export type { Evaluation, Objective, ObjectiveFamily, Split, FamilySpec } from '../envs/objective.ts';
export type { ParameterGroup } from '../envs/parameter-groups.ts';
export { SPLITS, instanceSeed } from '../envs/objective.ts';
export { defineFamily, type FamilyDefinition, type ParamSpec, type ParamValues } from '../envs/family-definition.ts';
export { FAMILIES, createFamily, findFamily, loadFamilyModule } from '../envs/registry.ts';
export { OptimizationEnv, DEFAULT_HISTORY_LENGTH, type EnvOptions, type Observation, type StepResult, type Trajectory } from '../envs/optimization-env.ts';

// Policies: the interface, running one, and the hand-designed optimizers.
export type { Policy } from '../policies/policy.ts';
export { rollout } from '../policies/rollout.ts';
export { runProblems, type ProblemSet } from '../policies/run-problems.ts';
export { HAND_DESIGNED, DEFAULT_LR_GRID, findHandDesigned, type HandDesignedOptimizer } from '../policies/hand-designed.ts';
export { GradientDescent, Momentum, Nesterov, AdaGrad, RmsProp, Adam } from '../policies/first-order.ts';
export { Lbfgs } from '../policies/lbfgs.ts';
export { ConjugateGradient } from '../policies/conjugate-gradient.ts';

// Guided policy search.
export { trainGps, type TrainOptions as GpsTrainOptions } from './gps/train.ts';
export { DEFAULT_GPS_CONFIG, defaultFeatures, defaultGpsConfig, defaultHistoryLength, defaultInitialNoise, defaultMetaObjective, defaultTeacherScore, type GpsConfig } from './gps/config.ts';
export type { IterationLog as GpsIterationLog } from './gps/badmm.ts';
export { loadGpsPolicy, saveAveragedPolicy, type BestPolicy } from './gps/checkpoint.ts';
export { defaultCombine, defaultRestarts, restartSeed, type Combine } from './gps/restarts.ts';
export { trainGpsRestarts, type Restart, type RestartsOptions } from './gps/train-restarts.ts';
export type { RestartRecord, RestartsFile } from './gps/restarts-directory.ts';

// Supervised BPTT.
export { trainBptt, type BpttTrainOptions } from './supervised/train.ts';
export { DEFAULT_BPTT_CONFIG, type BpttConfig } from './supervised/config.ts';
export type { BpttIterationLog } from './supervised/bptt.ts';
export type { BpttProgress } from './supervised/checkpoint.ts';
export { loadBpttPolicy } from './supervised/checkpoint.ts';

// Supervised LISTA (sparse coding; docs/sparse.md).
export { trainListaRun, trainLista, loadListaPolicy, loadListaNetwork, DEFAULT_LISTA_CONFIG, type ListaConfig, type ListaTrainResult, type ListaIterationLog, type ListaTrainingRecord } from './supervised/lista.ts';
export { ListaPolicy, listaForward, type ListaNetwork } from '../policies/lista-policy.ts';

// Evaluation.
export { compareOptimizers, type CompareOptions, type Contender, type EvalReport, type ResultRow } from './evaluate/compare.ts';
export { tuneLearningRate, type TuningResult } from './evaluate/tuner.ts';

// Learned optimizers as drop-in tfjs optimizers.
export { loadOptimizer } from './evaluate/load-optimizer.ts';
export { L2OGpsOptimizer } from './gps/learned-optimizer.ts';
export { LearnedOptimizer } from './supervised/learned-optimizer.ts';

// Infrastructure.
export { Rng } from './random.ts';
export { initBackend, BACKENDS, type BackendName } from './backend.ts';
export { createPool, defaultWorkers, type TaskPool } from './parallel/worker-pool.ts';
export { UserError, NonFiniteError, NonFiniteStartError } from './errors.ts';
export type { RunIdentity } from './run-directory.ts';
