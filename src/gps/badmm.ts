// Guided policy search with Bregman ADMM (docs/design.md §2; Levine et al. 2016, Li & Malik 2016): one
// linear-Gaussian teacher per training objective ("condition"), trained by LQR under a KL bound on
// fitted dynamics, and one neural policy distilled from all teachers, the two kept in agreement by
// the dual variables λ (on the mean action) and ν (on the KL between them).
import { Matrix, matmul, matVec } from '../linalg/matrix.ts';
import { cholesky } from '../linalg/cholesky.ts';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import type { Objective, ObjectiveFamily } from '../../envs/objective.ts';
import { Rng } from '../random.ts';
import { medianOfRuns, sum } from '../vector.ts';
import { DynamicsPriorGMM, type DynamicsPriorSnapshot, type LinearDynamics } from './dynamics.ts';
import { packSequences, reviveCost, reviveDynamics, reviveLinearGaussian, sharedCost, sharedDynamics, sharedSequences, unpackSamples, type DistilledPolicyJson, type PackedSamples, type PackedSequences } from './transfer.ts';
import { type PolicyCoupling, type QuadraticCost } from './lqr.ts';
import { type MixtureState } from './gaussian-mixture.ts';
import { TASKS, conditionStartRng, dynamicsPriorFor, reviveDuals, reviveLinearization, reviveTrajectory, runCost, type ConditionTrajectory, type linearizeCondition, type LinearizationResult, type optimizeCondition } from './condition-tasks.ts';
import { createPool, type TaskPool } from '../parallel/worker-pool.ts';
import { GRADIENT_HELPER_TASK, type StartGradientHelper } from '../kernels/split-gradient.ts';
import { PolicyNetwork, type DistillationData, type PolicyNetworkJson } from '../../policies/policy-network.ts';
import { LstmPolicyNetwork } from '../../policies/lstm-policy-network.ts';
import type { DistilledPolicy } from '../../policies/distilled-policy.ts';
import type { GpsProblem, Samples } from './problem/gps-problem.ts';
import { gpsProblem } from './problem/create-problem.ts';
import type { Policy } from '../../policies/policy.ts';
import { checkValidationSplit } from './validation.ts';
import { UserError } from '../errors.ts';
import type { GpsConfig } from './config.ts';
import { isFullStateFeatureSet } from '../../envs/full-state-features.ts';

export { DEFAULT_GPS_CONFIG, defaultFeatures, defaultGpsConfig, defaultHistoryLength, defaultInitialNoise, defaultMetaObjective, defaultTeacherScore, type GpsConfig } from './config.ts';

export { gpsProblem } from './problem/create-problem.ts';
export { gradientNuStep, meanDualStep, relativeNuStep } from './condition-duals.ts';
export { withExplorationFloor } from './exploration-floor.ts';

/**
 * Step 5's target at a teacher sample s of step t (docs/design.md §2): ν_t·KL(π‖p) + λᵀμ_π is, up to a
 * constant, ν_t/2·‖μ_π − μ̂‖²_P with μ̂ = K_t s + k_t − Σ_t(Λ_t s + l_t)/ν_t (ν_t floored by the caller).
 */
export function distillationTarget(teacher: LinearGaussianPolicy, t: number, s: Float64Array, lambdaK: Matrix, lambdak: Float64Array, nu: number): Float64Array {
  const { G, g } = distillationGain(teacher, t, lambdaK, lambdak, nu);
  return affine(G, g, s, new Float64Array(g.length));
}

/**
 * The target is affine in s, μ̂ = G s + g with G = K_t − Σ_tΛ_t/ν_t and g = k_t − Σ_t l_t/ν_t: one
 * gain per teacher and step serves all of its samples.
 */
export function distillationGain(teacher: LinearGaussianPolicy, t: number, lambdaK: Matrix, lambdak: Float64Array, nu: number): { G: Matrix; g: Float64Array } {
  const S = teacher.covariance[t];
  const G = matmul(S, lambdaK).scale(-1 / nu).addScaled(teacher.K[t]);
  const shift = matVec(S, lambdak);
  const g = Float64Array.from(teacher.k[t], (v, i) => v - shift[i] / nu);
  return { G, g };
}

/** out = G s + g. */
function affine(G: Matrix, g: Float64Array, s: Float64Array, out: Float64Array): Float64Array {
  affineAt(G, g, s, out, 0);
  return out;
}

/** G s + g written into `out` from `offset` on. */
function affineAt(G: Matrix, g: Float64Array, s: Float64Array, out: Float64Array, offset: number): void {
  const n = G.cols;
  for (let i = 0; i < g.length; i++) {
    let v = g[i];
    for (let j = 0; j < n; j++) v += G.data[i * n + j] * s[j];
    out[offset + i] = v;
  }
}

/** A distillation's rows being filled teacher by teacher: teacher m's start at firstRow[m]. */
interface DistillationRows {
  teachers: { work: ConditionWork; sets: Samples[] }[];
  layout: DistillationLayout;
  firstRow: number[];
  filled: boolean[];
  targets: Float64Array;
  factors: Float64Array;
  weights: Float64Array;
}

/** The rows a distillation fits: see GuidedPolicySearch.distillationLayout. */
interface DistillationLayout {
  /** The sample sets the rows come from, in order: the key that says whether the layout still holds. */
  sets: Samples[];
  rows: number;
  observations: Float64Array[];
  flatObservations: Float64Array;
  sequences: Int32Array;
  steps: Int32Array;
}

/**
 * `data` with `targets` and `precisionFactors` as per-row views of its contiguous arrays, made when
 * first read: per coordinate they are a million rows, and the fits read the contiguous arrays.
 */
function withLazyRows(data: DistillationData, rows: number, dU: number): DistillationData {
  const views = (flat: Float64Array, width: number) => Array.from({ length: rows }, (_, r) => flat.subarray(r * width, (r + 1) * width));
  const lazy = (key: 'targets' | 'precisionFactors', flat: Float64Array, width: number) => {
    let made: Float64Array[] | null = null;
    Object.defineProperty(data, key, { enumerable: true, get: () => (made ??= views(flat, width)) });
  };
  lazy('targets', data.contiguous!.targets, dU);
  lazy('precisionFactors', data.contiguous!.precisionFactors, dU * dU);
  return data;
}

const MIN_STEP_MULT = 0.01;
const MAX_STEP_MULT = 10;

/**
 * cbfinn/gps's step adjustment (docs/design.md §2 step 4f): the next step multiplier from the
 * current one, the last KL step taken (which caps it from above, not below 0.01) and the predicted
 * and actual improvements of the teacher's objective: ×pred/(2·max(1e-4, pred − act)), clipped
 * to [0.1, 5], the result to [0.01, 10]. A model that predicted well (act ≈ pred) grows ε fivefold;
 * half the predicted gain keeps it; none halves it.
 */
export function adjustedStepMult(stepMult: number, lastKl: number | undefined, bound: number, predicted: number, actual: number): number {
  let mult = stepMult;
  if (lastKl !== undefined && lastKl / bound < mult) mult = Math.max(lastKl / bound, MIN_STEP_MULT);
  const multiplier = clamp(predicted / (2 * Math.max(1e-4, predicted - actual)), 0.1, 5);
  return clamp(multiplier * mult, MIN_STEP_MULT, MAX_STEP_MULT);
}

/**
 * The distilled policy's action variance in closed form: the inverse diagonal of the weighted mean
 * teacher precision, σ²_i = Σ_r w_r / Σ_r w_r·(P_r)_ii, with P_r = U·Uᵀ and row r's Uᵀ stored at r·dU².
 */
export function policyVariance(factors: Float64Array, weights: Float64Array, dU: number): Float64Array {
  const diag = new Float64Array(dU);
  for (let r = 0; r < weights.length; r++) {
    const at = r * dU * dU;
    // P_ii = Σ_a (Uᵀ)_{a,i}².
    for (let i = 0; i < dU; i++) for (let a = 0; a < dU; a++) diag[i] += weights[r] * factors[at + a * dU + i] ** 2;
  }
  const total = sum(weights);
  return diag.map((d) => total / d);
}

/** What one condition carries from iteration to iteration (and into checkpoints). */
export interface ConditionState {
  teacher: LinearGaussianPolicy;
  eta: number;
  stepMult: number;
  nu: Float64Array;
  lambdaK: Matrix[];
  lambdak: Float64Array[];
}

/**
 * One teacher's work: a condition's objective and, per coordinate with parameter groups, one of its
 * groups. The conditions' units are stored condition by condition, group by group.
 */
interface ConditionWork extends ConditionState {
  /** The condition (training objective) and parameter group this teacher belongs to. */
  condition: number;
  group: number;
  objective: Objective;
  startRng: Rng;
  samples?: Samples;
  /** This iteration's runs of the global policy (onPolicySamples). */
  policySamples?: Samples;
  dynamics?: LinearDynamics;
  cost?: QuadraticCost;
  newTeacher?: LinearGaussianPolicy;
  linearized?: LinearGaussianPolicy;
  /** μ_θ(o) at every sample, from the last linearization. */
  policyMeans?: Float64Array[][];
  lastKl?: number;
  /** The mixture behind the policy linearization's prior, warm-started from iteration to iteration. */
  policyPrior: MixtureState;
  /**
   * The step adjustment's baseline, computed at the end of the last iteration under that iteration's
   * models: the objective of the teacher that sampled it and the one predicted for its successor.
   */
  base?: { previous: number; predicted: number };
  /** The last step adjustment's predicted and realized improvement (for the log). */
  improvement?: { predicted: number; actual: number };
  /** The objective of the teacher that sampled, under this iteration's models (the step adjustment's "actual"). */
  adjustObjective?: number;
  /** From the last inner pass's task: the new teacher's KL to the policy (for the log) and the next step adjustment's baseline. */
  finish?: { klToPolicy: number; base: { previous: number; predicted: number } };
}

/**
 * What carries from one iteration to the next besides the condition states: the dynamics prior's
 * recent trajectories and mixture, and per condition the policy prior's mixture, the step
 * adjustment's baseline and the last KL step. A checkpoint keeps it so that a resumed run continues
 * exactly as the uninterrupted one would.
 */
export interface GpsRuntimeState {
  dynamicsPrior: DynamicsPriorSnapshot;
  conditions: { policyPrior: MixtureState; base?: { previous: number; predicted: number }; lastKl?: number }[];
}

/** What one GPS iteration reports: teacher and policy costs, KL divergences, dual variables, the held-out score and timings. */
export interface IterationLog {
  iteration: number;
  seconds: number;
  timing: { sampling: number; dynamics: number; lqr: number; policy: number };
  /** Mean over samples of Σ_t f(x_t) from the teachers, per condition. */
  teacherCost: number[];
  /**
   * Σ_t f(x_t) of the sampled teachers' mean actions, without their noise, per condition: teacherCost
   * mixes how the teachers act with how much they explore, and this one is their behaviour alone,
   * comparable with policyCost (docs/gps.md: at T = 400 on MNIST the LQR's updates make the
   * teachers' mean worse while their noisy cost falls).
   */
  teacherMeanCost: number[];
  /** Σ_t f(x_t) of the policy's mean actions from each condition's start. */
  policyCost: number[];
  klToPrevious: number[];
  klTeacherPolicy: number[];
  eta: number[];
  nu: number[];
  stepMult: number[];
  /** Per condition, the step adjustment's predicted and realized improvement (NaN in the first iteration). */
  predictedImprovement: number[];
  actualImprovement: number[];
  policyLoss: number;
  pdFailures: number;
  /** The policy's held-out score after this iteration (validation.ts), when the run holds objectives out. */
  validation?: number;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Settings a run cannot start with, phrased by the `l2o train` flags that set them. */
export function checkGpsConfig(config: GpsConfig, family: ObjectiveFamily): void {
  checkValidationSplit(config, family);
  // The counts and rates the CLI's flags check one by one, for library callers (trainGps).
  const counts = { horizon: 1, iterations: 1, historyLength: 1, hidden: 1, innerIterations: 1, policyIterations: 1, policyBatch: 1, validationSteps: 1, sampledCoordinates: 1, lstmCells: 1, dynamicsClusters: 1, policyClusters: 1, teacherRefine: 0, onPolicySamples: 0 } as const;
  for (const [key, min] of Object.entries(counts)) {
    const value = config[key as keyof typeof counts];
    if (!Number.isInteger(value) || value < min) throw new UserError(`${key} must be an integer ≥ ${min}, got ${value}`);
  }
  const positive = { klStep: config.klStep, initialNoise: config.initialNoise, policyLearningRate: config.policyLearningRate } as const;
  for (const [key, value] of Object.entries(positive)) if (!(Number.isFinite(value) && value > 0)) throw new UserError(`${key} must be a positive number, got ${value}`);
  if (config.samples < 2) throw new UserError('samples must be at least 2 (the dynamics fit needs two samples per condition)');
  if (config.parameterGroups && !config.coordinatewise) throw new UserError('parameterGroups needs coordinatewise GPS (the full-state teacher acts on all coordinates at once)');
  if (config.policy === 'lstm' && !config.coordinatewise) throw new UserError('the LSTM policy is a per-coordinate policy: it needs coordinatewise GPS');
  if (config.gradientDynamics !== 'fitted' && !config.coordinatewise) throw new UserError('coherent gradient dynamics are per-coordinate dynamics: they need coordinatewise GPS');
  if (config.costGradient !== 'minibatch' && !config.coordinatewise) throw new UserError('the denoised cost gradient is a per-coordinate cost model: it needs coordinatewise GPS');
  if (!isFullStateFeatureSet(config.features) && !config.coordinatewise) throw new UserError(`the ${config.features} features are per-coordinate features: they need coordinatewise GPS`);
  if (config.features === 'li-malik-2017' && config.gradientScaling !== 'none') throw new UserError(`the li-malik-2017 features normalize their gradients themselves: gradientScaling must be 'none', not '${config.gradientScaling}'`);
}

export class GuidedPolicySearch {
  readonly dX: number;
  readonly dU: number;
  readonly dO: number;
  readonly problem: GpsProblem;
  iteration = 0;
  private readonly work: ConditionWork[];
  private readonly dynamicsPrior: DynamicsPriorGMM;
  private normalized = false;

  private readonly pool: TaskPool;
  /** Each sample set in one block per field, packed once for the tasks of an iteration (transfer.ts). */
  private readonly packedSamples = new WeakMap<Samples, Record<'states' | 'observations' | 'actions', PackedSequences>>();
  /** The distillation's rows of the current samples (distillationLayout). */
  private layout: DistillationLayout | null = null;
  /** A pool thread computing half of each distillation step's gradient, when the pool has threads besides this one. */
  private readonly gradientHelper: StartGradientHelper | undefined;

  private constructor(
    readonly config: GpsConfig,
    readonly family: ObjectiveFamily,
    readonly network: DistilledPolicy,
    states: ConditionState[],
    pool: TaskPool | undefined,
  ) {
    this.pool = pool ?? createPool(1);
    const { pool: threads } = this;
    if (threads.size > 1 && threads.runOnWorker) this.gradientHelper = (payload) => threads.runOnWorker!(GRADIENT_HELPER_TASK, payload);
    this.problem = gpsProblem(config, family.dim);
    ({ dX: this.dX, dU: this.dU, dO: this.dO } = this.problem);
    const objectives = Array.from({ length: config.conditions }, (_, m) => family.sample('train', m));
    const groups = this.problem.teacherGroups(objectives[0]).length;
    if (states.length !== config.conditions * groups) throw new UserError(`the run holds ${states.length} teachers, but ${config.conditions} conditions × ${groups} parameter groups of ${family.name} need ${config.conditions * groups}`);
    this.work = states.map((state, u) => {
      const m = Math.floor(u / groups);
      return { ...state, condition: m, group: u % groups, policyPrior: { fittedOn: 0, components: [] }, objective: objectives[m], startRng: conditionStartRng(config.seed, m) };
    });
    this.dynamicsPrior = dynamicsPriorFor(config, this.work.length);
  }

  /**
   * A fresh run: momentum teachers grid-searched per condition (the same first teacher for each of a
   * condition's parameter groups), a randomly initialized policy. With a pool of several workers,
   * the searches and each iteration's per-condition steps run on them (the same run for any count);
   * a family without a spec (built in code, not by the registry) searches in this thread.
   */
  static async create(config: GpsConfig, family: ObjectiveFamily, pool?: TaskPool): Promise<GuidedPolicySearch> {
    checkGpsConfig(config, family);
    const root = new Rng(`gps-${config.seed}`);
    const problem = gpsProblem(config, family.dim);
    const network = config.policy === 'lstm' ? new LstmPolicyNetwork(problem.dO, config.lstmCells, problem.dU, root.fork('network')) : new PolicyNetwork(problem.dO, config.hidden, problem.dU, root.fork('network'));
    const conditions = Array.from({ length: config.conditions }, (_, m) => m);
    const spec = family.spec;
    const teachers =
      pool && pool.size > 1 && spec
        ? (await pool.map<LinearGaussianPolicy>(TASKS.initialTeacher, conditions.map((condition) => ({ family: spec, config, condition })))).map(reviveLinearGaussian)
        : conditions.map((m) => {
            const objective = family.sample('train', m);
            try {
              return problem.initialTeacher(objective, conditionStartRng(config.seed, m));
            } finally {
              objective.dispose?.();
            }
          });
    const first = family.sample('train', 0);
    const groups = problem.teacherGroups(first).length;
    first.dispose?.();
    const states = teachers.flatMap((teacher) =>
      Array.from({ length: groups }, () => ({
        teacher,
        eta: 1,
        stepMult: 1,
        nu: new Float64Array(config.horizon).fill(config.initialNu),
        lambdaK: Array.from({ length: config.horizon }, () => new Matrix(problem.dU, problem.dX)),
        lambdak: Array.from({ length: config.horizon }, () => new Float64Array(problem.dU)),
      })),
    );
    return new GuidedPolicySearch(config, family, network, states, pool);
  }

  /** Continues a run from checkpointed state. */
  static restore(config: GpsConfig, family: ObjectiveFamily, network: DistilledPolicy, states: ConditionState[], iteration: number, pool?: TaskPool, runtime?: GpsRuntimeState): GuidedPolicySearch {
    const gps = new GuidedPolicySearch(config, family, network, states, pool);
    // Checkpoints written before the runtime state was kept resume with cold mixtures and no step baseline.
    if (runtime) gps.restoreRuntime(runtime);
    gps.iteration = iteration;
    gps.normalized = iteration > 0;
    return gps;
  }

  get runtimeState(): GpsRuntimeState {
    return {
      dynamicsPrior: this.dynamicsPrior.snapshot,
      conditions: this.work.map((c) => ({ policyPrior: c.policyPrior, base: c.base, lastKl: c.lastKl })),
    };
  }

  private restoreRuntime(state: GpsRuntimeState): void {
    if (state.conditions.length !== this.work.length) throw new Error(`the checkpoint's runtime state has ${state.conditions.length} conditions, the run ${this.work.length}`);
    this.dynamicsPrior.restore(state.dynamicsPrior);
    state.conditions.forEach((saved, m) => Object.assign(this.work[m], { policyPrior: saved.policyPrior, base: saved.base, lastKl: saved.lastKl }));
  }

  conditionStates(): ConditionState[] {
    return this.work.map(({ teacher, eta, stepMult, nu, lambdaK, lambdak }) => ({ teacher, eta, stepMult, nu, lambdaK, lambdak }));
  }

  policy(): Policy {
    return this.problem.policy(this.network);
  }

  /** One GPS iteration (docs/design.md §2 steps 1–6). */
  async runIteration(onProgress?: (message: string) => void): Promise<IterationLog> {
    const started = Date.now();
    const timing = { sampling: 0, dynamics: 0, lqr: 0, policy: 0 };
    const timed = async <T>(key: keyof typeof timing, f: () => T | Promise<T>): Promise<T> => {
      const t0 = Date.now();
      try {
        return await f();
      } finally {
        timing[key] += (Date.now() - t0) / 1000;
      }
    };
    const iterationRng = new Rng(`gps-${this.config.seed}`).fork(`iteration/${this.iteration}`);
    const { config } = this;

    // 1. Sample each teacher, and model each sample set's cost.
    onProgress?.('sampling');
    await timed('sampling', async () => {
      const spec = this.family.spec;
      const units = Array.from({ length: config.conditions }, (_, m) => this.work.filter((c) => c.condition === m));
      if (this.pool.size > 1 && spec) {
        // On the pool, from the family's spec; each set arrives packed, as the later tasks take it.
        const packed = await this.pool.map<{ samples: PackedSamples[]; costs: unknown[] }>(
          TASKS.sample,
          units.map((group, m) => ({ family: spec, config, condition: m, teachers: group.map((c) => c.teacher), seed: iterationRng.fork(`samples/${m}`).seed })),
        );
        packed.forEach(({ samples: sets, costs }, m) =>
          units[m].forEach((c, g) => {
            // In shared memory: the inner iterations send the states, observations, actions and
            // cost model to the workers again and again (transfer.ts, intoShared).
            const set = sets[g];
            for (const field of ['states', 'observations', 'actions'] as const) set[field] = sharedSequences(set[field]!);
            c.samples = unpackSamples(set);
            c.cost = sharedCost(reviveCost(costs[g]));
            this.packedSamples.set(c.samples, { states: set.states!, observations: set.observations!, actions: set.actions! });
          }),
        );
      } else {
        units.forEach((group, m) => {
          const samples = this.problem.sample(group[0].objective, group.map((c) => c.teacher), group[0].startRng, iterationRng.fork(`samples/${m}`));
          group.forEach((c, g) => {
            c.samples = samples[g];
            c.cost = this.problem.costModel(c.objective, c.samples);
          });
        });
      }
    });
    const onPolicy = config.onPolicySamples;
    if (onPolicy > 0 && this.iteration > 0) {
      await timed('sampling', () => {
        for (let m = 0; m < config.conditions; m++) {
          const units = this.work.filter((c) => c.condition === m);
          const samples = this.problem.samplePolicy(units[0].objective, this.network, units[0].startRng, iterationRng.fork(`policy-samples/${m}`), onPolicy);
          units.forEach((c, g) => (c.policySamples = samples[g]));
        }
      });
    }

    // Step size from predicted vs actual improvement of the last update (adjustStepSize). The
    // objective of the teacher that sampled is measured under the new models by the first
    // linearization's tasks; counting the realized KL to the policy needs the policy linearized
    // around the new samples first (cbfinn/gps does the same fit).
    const adjusting = this.work.some((c) => c.base);
    const withKl = config.stepAdjustment === 'cost-and-kl';
    const fitPolicy = (inner: number, rows: DistillationRows | null = null) =>
      this.network.fit(this.distillationData(rows ?? undefined), { iterations: config.policyIterations, batchSize: config.policyBatch, learningRate: config.policyLearningRate, rng: iterationRng.fork(`policy/${inner}`), finalLoss: inner === config.innerIterations - 1, gradientHelper: this.gradientHelper });
    // From the second iteration on, the first distillation needs only the new samples and what the
    // last iteration left (teachers, duals), not the dynamics: with worker threads it runs here while
    // a worker refits the dynamics prior, which this thread would otherwise do alone. Not when the
    // step adjustment first linearizes the current policy (cost-and-kl).
    const distillFirst = this.iteration > 0 && this.normalized && !(adjusting && withKl) && this.pool.size > 1 && this.pool.runOnWorker !== undefined;
    let policyLoss = NaN;

    // 2. Fit dynamics (one prior over all conditions).
    onProgress?.('fitting dynamics');
    await timed('dynamics', async () => {
      const pick = iterationRng.fork('prior');
      const X: Float64Array[][] = [];
      const U: Float64Array[][] = [];
      for (const c of this.work) {
        const n = pick.int(c.samples!.states.length);
        X.push(c.samples!.states[n]);
        U.push(c.samples!.actions[n]);
      }
      if (distillFirst) {
        const refit = this.pool.runOnWorker!<DynamicsPriorSnapshot>(TASKS.prior, { config, snapshot: this.dynamicsPrior.snapshot, X, U, seed: iterationRng.fork('gmm').seed });
        onProgress?.(`policy update 1/${config.innerIterations}`);
        const fitStarted = Date.now();
        policyLoss = fitPolicy(0);
        // Counted as the policy's time, not the dynamics'.
        const fitSeconds = (Date.now() - fitStarted) / 1000;
        timing.policy += fitSeconds;
        timing.dynamics -= fitSeconds;
        this.dynamicsPrior.restore(await refit);
      } else {
        this.dynamicsPrior.update(X, U, iterationRng.fork('gmm'), config.warmStartMixtures);
      }
      const prior = this.dynamicsPrior.state;
      const fits = this.pool.map<LinearDynamics>(
        TASKS.dynamics,
        this.work.map((c) => ({ states: this.packed(c.samples!).states, actions: this.packed(c.samples!).actions, prior, ridge: config.dynamicsRidge })),
      );
      (await fits).forEach((fit, m) => {
        const c = this.work[m];
        const dynamics = reviveDynamics(fit);
        const adjusted = this.problem.adjustDynamics ? this.problem.adjustDynamics(dynamics, c.samples!) : dynamics;
        c.dynamics = this.pool.size > 1 ? sharedDynamics(adjusted) : adjusted;
      });
    });
    if (!this.normalized) {
      this.fitNormalization();
      this.normalized = true;
    }

    if (adjusting && withKl) await timed('policy', () => this.linearizeAll(iterationRng, 'start', { adjust: true, updateNu: null }));

    // 3–6. Inner loop: distill, linearize, dual step, re-solve the teachers.
    let pdFailures = 0;
    let nextRows: DistillationRows | null = null;
    for (let inner = 0; inner < config.innerIterations; inner++) {
      const coupled = this.iteration > 0 || inner > 0;
      const last = inner === config.innerIterations - 1;
      if (coupled && !(inner === 0 && distillFirst)) {
        onProgress?.(`policy update ${inner + 1}/${config.innerIterations}`);
        policyLoss = await timed('policy', () => fitPolicy(inner, nextRows));
      }
      // Steps 3-4 per condition: its linearization (with its dual step, step 6, and on the first pass
      // the step adjustment's objective), then its new teacher, queued on the pool as soon as its
      // own linearization returns. Conditions are independent here, so there is no barrier between
      // the two steps, where the other thread would wait for the slowest linearization (items take
      // 4-66 ms at the logreg default). "policy" times the phase until the last linearization
      // returns, "LQR" the rest.
      onProgress?.(`linearization and trajectory optimization ${inner + 1}/${config.innerIterations}`);
      const phaseStarted = Date.now();
      let linearizations = 0;
      let linearized = phaseStarted;
      const payloads = this.linearizationPayloads(iterationRng, inner, { adjust: adjusting && !withKl && inner === 0, updateNu: coupled ? last : null });
      let rows: DistillationRows | null = null;
      const conditions = Promise.all(
        this.work.map(async (c, m) => {
          this.applyLinearization(c, await this.pool.run<LinearizationResult>(TASKS.linearize, payloads[m]));
          if (++linearizations === this.work.length) linearized = Date.now();
          if (inner === 0) this.adjustStepSize(c);
          const result = reviveTrajectory(await this.pool.run<ConditionTrajectory>(TASKS.trajectory, this.trajectoryPayload(c, last, withKl)));
          c.newTeacher = result.teacher;
          c.eta = result.eta;
          c.lastKl = result.kl;
          if (last) c.finish = { klToPolicy: result.klToPolicy!, base: result.base! };
          pdFailures += result.pdFailures;
          if (rows) this.fillDistillationRows(rows, m);
        }),
      );
      // The next distillation's rows are laid out while the first items run (a worker would otherwise
      // wait 20-30 ms for them); a condition's rows are filled as soon as its new teacher is in.
      rows = last ? null : this.distillationRows();
      nextRows = rows;
      await conditions;
      timing.policy += (linearized - phaseStarted) / 1000;
      timing.lqr += (Date.now() - linearized) / 1000;
    }

    // The rows' block (per coordinate at T = 400, a million observations) is not needed again.
    this.layout = null;
    // The log's two runs per condition, as one batch of items for the pool (each item is 1-2 ms at the logreg default).
    const [teacherMeanCost, policyCost] = await Promise.all([this.conditionCosts('teachers'), this.conditionCosts('policy')]);
    const log: IterationLog = {
      iteration: this.iteration,
      seconds: 0,
      timing,
      teacherCost: this.work.map((c) => sum(c.samples!.values.map(sum)) / c.samples!.values.length),
      teacherMeanCost,
      policyCost,
      klToPrevious: this.work.map((c) => c.lastKl!),
      klTeacherPolicy: this.work.map((c) => c.finish!.klToPolicy),
      eta: this.work.map((c) => c.eta),
      nu: this.work.map((c) => sum(c.nu) / c.nu.length),
      stepMult: this.work.map((c) => c.stepMult),
      predictedImprovement: this.work.map((c) => c.improvement?.predicted ?? NaN),
      actualImprovement: this.work.map((c) => c.improvement?.actual ?? NaN),
      policyLoss,
      pdFailures,
    };
    for (const c of this.work) {
      c.base = c.finish!.base;
      c.teacher = c.newTeacher!;
    }
    this.iteration += 1;
    log.seconds = (Date.now() - started) / 1000;
    return log;
  }

  /**
   * Per-feature RMS over the first samples, skipping zero-padded history (docs/design.md §2
   * pitfall 5), and the largest scaled magnitude seen, beyond which the policy's inputs are clipped.
   */
  private fitNormalization(): void {
    const dO = this.dO;
    const squares = new Float64Array(dO);
    const counts = new Float64Array(dO);
    for (const c of this.work) {
      for (const run of c.samples!.observations) {
        run.forEach((o, t) => {
          for (let i = 0; i < dO; i++) {
            if (this.problem.isPadding(i, t)) continue;
            squares[i] += o[i] * o[i];
            counts[i] += 1;
          }
        });
      }
    }
    for (let i = 0; i < dO; i++) this.network.inputScale[i] = counts[i] && squares[i] > 0 ? Math.sqrt(squares[i] / counts[i]) : 1;
    const bound = new Float64Array(dO);
    for (const c of this.work) {
      for (const run of c.samples!.observations) {
        for (const o of run) for (let i = 0; i < dO; i++) bound[i] = Math.max(bound[i], Math.abs(o[i]) / this.network.inputScale[i]);
      }
    }
    for (let i = 0; i < dO; i++) this.network.inputBound[i] = bound[i] > 0 ? bound[i] : 1;
  }

  private currentTeacher(c: ConditionWork): LinearGaussianPolicy {
    return c.newTeacher ?? c.teacher;
  }

  /** Step 5's rows (fillDistillationRows) for every teacher not yet filled, with their weights normalized. */
  private distillationData(rows: DistillationRows = this.distillationRows()): DistillationData {
    rows.teachers.forEach((_, m) => this.fillDistillationRows(rows, m));
    const { weights, targets, factors, layout } = rows;
    const n = layout.rows;
    // Weights rescaled to mean 1 and capped at twice their median, so no step's ν swamps the fit; the
    // teachers' precisions still weigh the rows as the LQR made them (docs/design.md §2, step 5).
    const meanWeight = sum(weights) / n;
    for (let i = 0; i < n; i++) weights[i] /= meanWeight;
    const cap = 2 * medianOfRuns(weights, 1e-2);
    for (let i = 0; i < n; i++) weights[i] = Math.min(weights[i], cap);
    this.fitPolicyCovariance(factors, weights);
    const data: DistillationData = {
      observations: layout.observations,
      targets: [],
      precisionFactors: [],
      weights,
      sequences: layout.sequences,
      steps: layout.steps,
      contiguous: { observations: layout.flatObservations, targets, precisionFactors: factors },
    };
    // Per-row views for readers of the row arrays, made when first read: the fits read the contiguous ones.
    return withLazyRows(data, n, this.dU);
  }

  /** The arrays of the next distillation's rows, to be filled teacher by teacher (fillDistillationRows). */
  private distillationRows(): DistillationRows {
    const { dU } = this;
    const teachers = this.distillationSets();
    const layout = this.distillationLayout(teachers);
    const n = layout.rows;
    const firstRow: number[] = [];
    let r = 0;
    for (const { sets } of teachers) {
      firstRow.push(r);
      r += this.config.horizon * sets.reduce((count, set) => count + set.states.length, 0);
    }
    return { teachers, layout, firstRow, filled: teachers.map(() => false), targets: new Float64Array(n * dU), factors: new Float64Array(n * dU * dU), weights: new Float64Array(n) };
  }

  /**
   * Step 5 targets of teacher m's rows: ν_t·KL(π‖p) + λ_tᵀμ_π is, up to a constant, ν_t/2·‖μ_π − μ̂‖²_P
   * with μ̂ = K_t s + k_t − P_t⁻¹(Λ_t s + l_t)/ν_t (completing the square), weighted by ν_t. A
   * teacher's rows depend on its own teacher and duals only, so they can be filled as soon as its
   * trajectory optimization returns, while other conditions' items still run (once per teacher).
   */
  private fillDistillationRows(rows: DistillationRows, m: number): void {
    if (rows.filled[m]) return;
    rows.filled[m] = true;
    const { dU } = this;
    const { work: c, sets } = rows.teachers[m];
    const { targets, factors, weights } = rows;
    const teacher = this.currentTeacher(c);
    // The layout's order: teachers, steps, sample sets (the teachers' own, then on-policy), samples.
    let r = rows.firstRow[m];
    for (let t = 0; t < this.config.horizon; t++) {
      const factor = cholesky(teacher.precision[t]).transpose().data;
      const nu = Math.max(c.nu[t], 1e-8);
      const { G, g } = distillationGain(teacher, t, c.lambdaK[t], c.lambdak[t], nu);
      for (const set of sets) {
        for (const runStates of set.states) {
          affineAt(G, g, runStates[t], targets, r * dU);
          // Entry by entry: a set() call per row cost more than the copy of its one or few entries.
          for (let k = 0; k < factor.length; k++) factors[r * factor.length + k] = factor[k];
          weights[r++] = nu;
        }
      }
    }
  }

  /** Σ_π in closed form (policyVariance). */
  private fitPolicyCovariance(factors: Float64Array, weights: Float64Array): void {
    this.network.variance.set(policyVariance(factors, weights, this.dU));
  }

  /** Each teacher with the sample sets it is distilled on: its own, and where asked the global policy's (on-policy distillation). */
  private distillationSets(): { work: ConditionWork; sets: Samples[] }[] {
    return this.work.map((c) => ({ work: c, sets: c.policySamples ? [c.samples!, c.policySamples] : [c.samples!] }));
  }

  /**
   * Which rows the distillation fits, in its order (teachers, steps, sample sets, samples), with
   * their observations in one row-major block: the same for every inner iteration of a GPS
   * iteration, as the samples are, so it is built once per iteration.
   */
  private distillationLayout(teachers: { sets: Samples[] }[]): DistillationLayout {
    const sets = teachers.flatMap((u) => u.sets);
    const cached = this.layout;
    if (cached && cached.sets.length === sets.length && cached.sets.every((set, i) => set === sets[i])) return cached;
    const T = this.config.horizon;
    const dO = this.dO;
    const rows = T * sets.reduce((n, set) => n + set.states.length, 0);
    const observations: Float64Array[] = new Array(rows);
    const flatObservations = new Float64Array(rows * dO);
    const sequences = new Int32Array(rows);
    const steps = new Int32Array(rows);
    // Each sample is a sequence (a recurrent policy is fitted on whole ones), numbered in the order
    // of teachers, sets and samples.
    let r = 0;
    let firstSequence = 0;
    for (const u of teachers) {
      for (let t = 0; t < T; t++) {
        let sequence = firstSequence;
        for (const set of u.sets) {
          for (let n = 0; n < set.states.length; n++) {
            const o = set.observations[n][t];
            observations[r] = o;
            flatObservations.set(o, r * dO);
            sequences[r] = sequence++;
            steps[r++] = t;
          }
        }
      }
      firstSequence += u.sets.reduce((n, set) => n + set.states.length, 0);
    }
    this.layout = { sets, rows, observations, flatObservations, sequences, steps };
    return this.layout;
  }

  private packed(samples: Samples): Record<'states' | 'observations' | 'actions', PackedSequences> {
    let packed = this.packedSamples.get(samples);
    if (!packed) {
      const pack = (sequences: Float64Array[][]) => (this.pool.size > 1 ? sharedSequences(packSequences(sequences)) : packSequences(sequences));
      packed = { states: pack(samples.states), observations: pack(samples.observations), actions: pack(samples.actions) };
      this.packedSamples.set(samples, packed);
    }
    return packed;
  }

  /**
   * Step 3 for every condition: the policy linearized around its samples (condition-tasks.ts); with
   * `adjust`, the objective of each condition's sampling teacher under the new models (adjustStepSize
   * reads it); with `updateNu` not null, step 6's dual step, ν moving too when it is true.
   */
  private async linearizeAll(iterationRng: Rng, inner: number | 'start', extras: { adjust: boolean; updateNu: boolean | null }): Promise<void> {
    const results = await this.pool.map<LinearizationResult>(TASKS.linearize, this.linearizationPayloads(iterationRng, inner, extras));
    results.forEach((raw, m) => this.applyLinearization(this.work[m], raw));
  }

  /** Each condition's linearization item (linearizeAll says what the extras ask for). */
  private linearizationPayloads(iterationRng: Rng, inner: number | 'start', extras: { adjust: boolean; updateNu: boolean | null }): Parameters<typeof linearizeCondition>[0][] {
    // The feed-forward network runs in the workers; the LSTM's means are computed here, on tfjs.
    const network = this.network.kind === 'mlp' ? { network: this.network.toJSON() as PolicyNetworkJson } : null;
    const { config } = this;
    return this.work.map((c, m) => {
      const payload: Parameters<typeof linearizeCondition>[0] = {
        states: this.packed(c.samples!).states,
        observations: this.packed(c.samples!).observations,
        ...(network ?? { means: packSequences(this.network.sequenceMeans(c.samples!.observations)), variance: this.network.variance }),
        seed: iterationRng.fork(`linearize/${inner}/${m}`).seed,
        clusters: config.policyClusters,
        mixture: c.policyPrior,
        warmStart: config.warmStartMixtures,
      };
      if (extras.adjust && c.base) payload.adjust = { dynamics: c.dynamics!, cost: c.cost!, teacher: c.teacher, kl: config.stepAdjustment === 'cost-and-kl' ? { nu: c.nu } : undefined };
      if (extras.updateNu !== null) {
        payload.dual = {
          duals: { lambdak: c.lambdak, lambdaK: c.lambdaK, nu: c.nu },
          teacher: this.currentTeacher(c),
          // The dynamics only for ν's KL: at T = 400 per coordinate they are most of the payload.
          dynamics: extras.updateNu ? c.dynamics! : null,
          rate: config.policyDualRate,
          rateCovariance: config.policyDualRateCovar,
          updateNu: extras.updateNu,
          // Checkpoints written before nuStep existed have none: they used the gradient step.
          nuStep: config.nuStep === 'relative' ? 'relative' : 'gradient',
          lgStep: config.lgStep,
        };
      }
      return payload;
    });
  }

  private applyLinearization(c: ConditionWork, raw: LinearizationResult): void {
    const { policy, means, mixture } = reviveLinearization(raw);
    Object.assign(c, { linearized: policy, policyMeans: means, policyPrior: mixture });
    if (raw.adjustObjective !== undefined) c.adjustObjective = raw.adjustObjective;
    if (raw.duals) Object.assign(c, reviveDuals(raw.duals));
  }

  /** Step 4's item for a condition: its new teacher under the KL bound, coupled to the linearized policy. */
  private trajectoryPayload(c: ConditionWork, last: boolean, withKl: boolean): Parameters<typeof optimizeCondition>[0] {
    const { config } = this;
    const floor = config.explorationFloor;
    return {
      dynamics: c.dynamics!,
      cost: c.cost!,
      previous: c.teacher,
      coupling: this.coupling(c),
      eta: c.eta,
      klBound: config.klStep * c.stepMult * config.horizon,
      ...(floor > 0 ? { floor: { value: floor, actions: this.packed(c.samples!).actions } } : {}),
      ...(last ? { finish: { withKl } } : {}),
    };
  }

  private coupling(c: ConditionWork): PolicyCoupling {
    return { policy: c.linearized!, weights: c.nu, lambdaK: c.lambdaK, lambdak: c.lambdak };
  }

  /** cbfinn/gps step adjustment: grow ε when the model predicted the improvement well, shrink it when not. */
  private adjustStepSize(c: ConditionWork): void {
    if (!c.base) return;
    // The objective of the teacher that sampled, under this iteration's models (stepObjective in condition-duals.ts, computed by the linearization's task).
    const actual = c.adjustObjective!;
    const predictedImprovement = c.base.previous - c.base.predicted;
    const actualImprovement = c.base.previous - actual;
    c.improvement = { predicted: predictedImprovement, actual: actualImprovement };
    c.stepMult = adjustedStepMult(c.stepMult, c.lastKl, this.config.klStep * this.config.horizon, predictedImprovement, actualImprovement);
  }

  /**
   * Per teacher, runCost of its condition's teachers acting together, or of the distilled policy, from
   * the condition's start: one run per condition, on the pool where the family can be rebuilt there.
   */
  private async conditionCosts(of: 'teachers' | 'policy'): Promise<number[]> {
    const units = Array.from({ length: this.config.conditions }, (_, m) => this.work.filter((c) => c.condition === m));
    const spec = this.family.spec;
    let costs: number[];
    if (this.pool.size > 1 && spec) {
      const network = of === 'policy' ? { network: this.network.toJSON() as DistilledPolicyJson } : null;
      costs = await this.pool.map<number>(
        TASKS.cost,
        units.map((group, m) => ({ family: spec, config: this.config, condition: m, ...(network ?? { teachers: group.map((c) => c.teacher) }) })),
      );
    } else {
      costs = units.map((group) => runCost(of === 'policy' ? this.policy() : this.problem.teachersAsPolicy(group[0].objective, group.map((c) => c.teacher)), group[0].objective, this.config, group[0].startRng));
    }
    return this.work.map((c) => costs[c.condition]);
  }
}
