// Li & Malik (2017)'s per-coordinate GPS: every coordinate of a training objective is a sample of
// one small MDP (state coordinate-history.ts, action the coordinate's step), so one teacher and one
// policy are shared by all coordinates and the dynamics fit and the LQR stay (3H + 1)-dimensional
// whatever the objective's dimension. With parameter groups (envs/parameter-groups.ts: a net's
// weight matrices and bias vectors) each group has its own teacher, sampled on its own coordinates;
// the policy stays one. The coordinates are coupled through f, which the per-coordinate dynamics
// see as noise.
//
// Cost model: the meta-loss Σ_{t=1..T} f(x_t) equals T·f(x_0) + Σ_t (T − t)·(f(x_{t+1}) − f(x_t)),
// and to second order f(x_{t+1}) − f(x_t) = gᵀu + ½ uᵀHu. Each coordinate's share,
// (T − t)(g u + ½ h_t u²), is quadratic (other meta-objectives replace T − t by their own weight of
// the step, step-weights.ts) in z = [s; u] because the raw g is an entry of the state:
// the first, or with gradient scaling (coordinate-history.ts) an extra last one that the policy's
// observation leaves out. The curvature h_t, tied across a group's coordinates, is the regression
// of the gradient change on the step. (Regressing on the teacher's mean step instead, the curvature
// along the direction all coordinates move together, did not make the predicted improvement agree
// with the realized one: docs/gps.md.) With `costGradient: 'denoised'` the g in g·u is shrunk by κ_t
// and the curvature regressed against a second minibatch's gradient (costModel; docs/design.md §2).
import { Matrix } from '../../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../../policies/linear-gaussian.ts';
import { PerCoordinatePolicy, type Recorder } from '../../../policies/per-coordinate-policy.ts';
import { CoordinatewiseGpsPolicy } from '../../../policies/gps-policy.ts';
import type { DistilledPolicy } from '../../../policies/distilled-policy.ts';
import type { Policy } from '../../../policies/policy.ts';
import { OptimizationEnv } from '../../../envs/optimization-env.ts';
import type { Objective } from '../../../envs/objective.ts';
import type { Rng } from '../../random.ts';
import type { QuadraticCost } from '../lqr.ts';
import type { LinearDynamics } from '../dynamics.ts';
import type { CostGradient, GradientDynamics } from '../config.ts';
import type { GradientScaling } from '../../../envs/coordinate-history.ts';
import { createCoordinateFeatures, extendsHistory, type CoordinateFeatures, type FeatureSet } from '../../../envs/coordinate-features.ts';
import type { GpsProblem, GpsProblemSettings, Samples } from './gps-problem.ts';
import { groupIndexOf, parameterGroups, type ParameterGroup } from '../../../envs/parameter-groups.ts';
import { searchMomentumTeacher, teacherSearchOf } from './initial-teacher.ts';
import { suffixWeights } from './step-weights.ts';
import { rollout } from '../../../policies/rollout.ts';

/** The linear-Gaussian teacher of each coordinate's group run on that coordinate, with independent noise per coordinate. */
class CoordinatewiseTeacherPolicy extends PerCoordinatePolicy {
  readonly name = 'teacher';

  /**
   * `groupOf[j]` picks coordinate j's teacher; null when there is one teacher for all.
   */
  constructor(
    private readonly teachers: readonly LinearGaussianPolicy[],
    private readonly groupOf: Int32Array | null,
    historyLength: number,
    gradientScaling: GradientScaling,
    features: FeatureSet,
    private readonly noiseRng: Rng | null,
    recorder: Recorder | null = null,
  ) {
    super(historyLength, gradientScaling, features, recorder);
  }

  protected step(t: number, state: Float64Array, j: number): number {
    const teacher = this.teachers[this.groupOf ? this.groupOf[j] : 0];
    return this.noiseRng ? teacher.sample(t, state, this.noiseRng)[0] : teacher.mean(t, state)[0];
  }

  /**
   * Every coordinate at once, the same numbers as `step` (K_t s + k_t, plus L_t z with z drawn in
   * coordinate order) without a subarray and two vectors per coordinate: at T = 400 on the MNIST
   * net the per-coordinate calls and their garbage were most of the first teachers' 34 s search.
   */
  protected override stepAll(t: number, states: Float64Array, rows: number, width: number): Float64Array | null {
    if (this.teachers.some((teacher) => teacher.dU !== 1 || teacher.dX !== width)) return null;
    const u = new Float64Array(rows);
    for (let j = 0; j < rows; j++) {
      const teacher = this.teachers[this.groupOf ? this.groupOf[j] : 0];
      const K = teacher.K[t].data;
      const base = j * width;
      let s = 0;
      for (let i = 0; i < width; i++) s += K[i] * states[base + i];
      let v = s + teacher.k[t][0];
      // z as Rng.normalVector draws it (0 + 1·z), so the sum is sample()'s to the bit.
      if (this.noiseRng) v += teacher.choleskyCovariance[t].data[0] * (0 + 1 * this.noiseRng.normal());
      u[j] = v;
    }
    return u;
  }
}

/** The distilled policy on every coordinate plus its own Gaussian noise per coordinate (on-policy samples). */
class ExploringCoordinatewisePolicy extends CoordinatewiseGpsPolicy {
  constructor(
    network: DistilledPolicy,
    private readonly std: number,
    private readonly noiseRng: Rng,
    historyLength: number,
    gradientScaling: GradientScaling,
    features: FeatureSet,
    recorder: Recorder,
  ) {
    super(network, historyLength, gradientScaling, features, recorder);
  }

  protected override stepAll(t: number, states: Float64Array, rows: number, width: number): Float64Array {
    const u = super.stepAll(t, states, rows, width);
    for (let j = 0; j < rows; j++) u[j] += this.std * this.noiseRng.normal();
    return u;
  }
}

export class CoordinatewiseProblem implements GpsProblem {
  readonly dX: number;
  readonly dO: number;
  readonly dU = 1;

  private readonly gradientIndex: number;
  private readonly features: FeatureSet;
  /** The state's layout (a fresh, empty history of the feature set). */
  private readonly layout: CoordinateFeatures;

  constructor(private readonly settings: GpsProblemSettings & { sampledCoordinates: number; gradientScaling: GradientScaling; parameterGroups?: boolean; features?: FeatureSet; gradientDynamics?: GradientDynamics; costGradient?: CostGradient }) {
    this.features = settings.features ?? 'history';
    this.layout = createCoordinateFeatures(this.features, settings.historyLength, settings.gradientScaling);
    this.dX = this.layout.stateDim;
    this.dO = this.layout.observationDim;
    this.gradientIndex = this.layout.rawGradientIndex;
  }

  /**
   * Momentum per coordinate, u = −α g_t + β (x_t − x_{t−1}) (g scaled as the state's), grid-searched
   * on the objective; on the li-malik-2017 features, whose state holds no last step, gradient descent
   * on the raw gradient, u = −α g_t.
   */
  initialTeacher(objective: Objective, startRng: Rng): LinearGaussianPolicy {
    const { horizon, historyLength, initialNoise } = this.settings;
    const history = extendsHistory(this.features);
    return searchMomentumTeacher(objective, startRng, {
      horizon,
      historyLength,
      noise: initialNoise,
      teacherSearch: teacherSearchOf(this.settings),
      ...(history ? {} : { decays: [0] }),
      build: (step, decay, sigma) => {
        const K = new Matrix(1, this.dX);
        // The history's lag-0 gradient (scaled where the state's are) and last step: entries 0 and 1.
        K.set(0, history ? 0 : this.gradientIndex, -step);
        if (history) K.set(0, 1, decay);
        return new LinearGaussianPolicy(
          Array.from({ length: horizon }, () => K),
          Array.from({ length: horizon }, () => new Float64Array(1)),
          Array.from({ length: horizon }, () => Matrix.identity(1, Math.max(sigma ** 2, 1e-12))),
        );
      },
      asPolicy: (teacher) => new CoordinatewiseTeacherPolicy([teacher], null, historyLength, this.settings.gradientScaling, this.features, null),
    });
  }

  /** The objective's parameter groups when the settings ask for them, else one group of all coordinates. */
  teacherGroups(objective: Objective): readonly ParameterGroup[] {
    return this.settings.parameterGroups ? parameterGroups(objective) : [{ name: 'all', offset: 0, size: objective.dim }];
  }

  /**
   * M rollouts with every group's teacher on its own coordinates; per group, up to sampledCoordinates
   * of its coordinates recorded per rollout, each a sample of that group's MDP.
   */
  sample(objective: Objective, teachers: readonly LinearGaussianPolicy[], startRng: Rng, rng: Rng): Samples[] {
    const { samples: M, historyLength: H, gradientScaling } = this.settings;
    const groups = this.teacherGroups(objective);
    if (teachers.length !== groups.length) throw new Error(`${objective.name}: ${teachers.length} teachers for ${groups.length} parameter groups`);
    const groupOf = groups.length > 1 ? groupIndexOf(groups, objective.dim) : null;
    const probe = this.settings.costGradient === 'denoised' && objective.resample !== undefined;
    const out = this.collect(objective, startRng, rng, M, (attempt, recorder) => new CoordinatewiseTeacherPolicy(teachers, groupOf, H, gradientScaling, this.features, rng.fork(`noise/${attempt}`), recorder), probe);
    if (out[0].states.length < M * Math.min(this.settings.sampledCoordinates, groups[0].size)) throw new Error(`${objective.name}: more than 2/3 of the teacher's rollouts diverged`);
    // The teachers' mean steps at the recorded states: only 'coherent' gradient dynamics read them.
    if (this.settings.gradientDynamics === 'coherent') out.forEach((set, i) => (set.means = set.states.map((run) => run.map((s, t) => teachers[i].mean(t, s)))));
    return out;
  }

  teachersAsPolicy(objective: Objective, teachers: readonly LinearGaussianPolicy[]): Policy {
    const groups = this.teacherGroups(objective);
    const groupOf = groups.length > 1 ? groupIndexOf(groups, objective.dim) : null;
    return new CoordinatewiseTeacherPolicy(teachers, groupOf, this.settings.historyLength, this.settings.gradientScaling, this.features, null);
  }

  /**
   * Up to `count` noisy runs of the global policy (its own σ per coordinate), recorded per group as
   * the teachers' samples are: the states the policy itself visits, where on-policy distillation asks
   * the teachers what to do. Runs that break down are dropped (an early policy may diverge).
   */
  samplePolicy(objective: Objective, network: DistilledPolicy, startRng: Rng, rng: Rng, count: number): Samples[] {
    const { historyLength: H, gradientScaling } = this.settings;
    const std = Math.sqrt(network.variance[0]);
    return this.collect(objective, startRng, rng, count, (attempt, recorder) => new ExploringCoordinatewisePolicy(network, std, rng.fork(`noise/${attempt}`), H, gradientScaling, this.features, recorder));
  }

  /**
   * Up to `count` rollouts that did not diverge, from at most 3·count attempts, with each group's
   * chosen coordinates recorded; with `probe`, also their gradients on a second minibatch at every
   * x_t (Objective.resample, its own random stream: the runs are the same with or without it).
   */
  private collect(objective: Objective, startRng: Rng, rng: Rng, count: number, policyFor: (attempt: number, recorder: Recorder) => PerCoordinatePolicy, probe = false): Samples[] {
    const { horizon: T, sampledCoordinates } = this.settings;
    const groups = this.teacherGroups(objective);
    const env = new OptimizationEnv({ historyLength: 1 });
    const out: Samples[] = groups.map(() => ({ states: [], observations: [], actions: [], values: [], ...(probe ? { probes: [] } : {}) }));
    let kept = 0;
    for (let attempt = 0; kept < count && attempt < 3 * count; attempt++) {
      const pick = rng.fork(`coordinates/${attempt}`);
      // One group keeps the draw it always had; several draw within each group.
      const chosen = groups.map((g, i) => {
        const C = Math.min(sampledCoordinates, g.size);
        const order = groups.length === 1 ? pick.permutation(g.size) : pick.fork(`group/${i}`).permutation(g.size);
        return Int32Array.from(order.slice(0, C), (j) => j + g.offset);
      });
      const coordinates = Int32Array.from(chosen.flatMap((c) => Array.from(c)));
      const recorder: Recorder = { coordinates, states: Array.from(coordinates, () => []), actions: Array.from(coordinates, () => []) };
      const probes = probe ? Array.from(coordinates, () => new Float64Array(T)) : null;
      const probeRng = probes ? rng.fork(`probe/${attempt}`) : null;
      const onIterate = (t: number, x: Float64Array) => {
        if (t >= T) return;
        const gradient = objective.resample!(x, probeRng!).gradient;
        coordinates.forEach((j, c) => (probes![c][t] = gradient[j]));
      };
      const run = rollout(env, policyFor(attempt, recorder), objective, T, startRng, probes ? { onIterate } : {});
      if (run.divergedAt !== null) continue;
      kept++;
      let c = 0;
      chosen.forEach((group, i) => {
        const set = out[i];
        for (let n = 0; n < group.length; n++, c++) {
          const states = recorder.states[c];
          set.states.push(states);
          set.observations.push(this.dO === this.dX ? states : states.map((s) => s.subarray(0, this.dO)));
          set.actions.push(recorder.actions[c]);
          set.values.push(run.values.slice(0, T));
          if (probes) set.probes!.push(probes[c]);
        }
      });
    }
    return out;
  }

  costModel(objective: Objective, samples: Samples): QuadraticCost {
    const T = this.settings.horizon;
    const weights = suffixWeights(this.settings.metaObjective, T, objective, samples.values);
    const dZ = this.dX + 1;
    const g = this.gradientIndex;
    const probes = samples.probes && samples.probes.length === samples.states.length ? samples.probes : null;
    // The gradient before the step, as the curvature's regression differences it: the run's own, or
    // with probes the second minibatch's, which is independent of the step (the run's is not: the
    // step was computed from its noise, which would count as curvature).
    const before = (n: number, t: number) => (probes ? probes[n][t] : samples.states[n][t][g]);
    const curvature = new Float64Array(T);
    for (let t = 0; t + 1 < T; t++) {
      let gu = 0;
      let uu = 0;
      samples.states.forEach((run, n) => {
        const u = samples.actions[n][t][0];
        gu += (run[t + 1][g] - before(n, t)) * u;
        uu += u * u;
      });
      curvature[t] = Math.max(uu > 0 ? gu / uu : 0, 1e-8);
    }
    curvature[T - 1] = T > 1 ? curvature[T - 2] : 1e-8;
    const signal = probes ? signalShares(samples.states, probes, g, T) : null;
    const C: Matrix[] = [];
    const c: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const weight = weights[t];
      const Ct = new Matrix(dZ, dZ);
      // E[∇F(x_t) | g_t] ≈ κ_t g_t: the descent the step buys on the loss itself, not on its minibatch.
      const linear = weight * (signal ? signal[t] : 1);
      Ct.set(g, this.dX, linear);
      Ct.set(this.dX, g, linear);
      Ct.set(this.dX, this.dX, weight * curvature[t]);
      C.push(Ct);
      c.push(new Float64Array(dZ));
    }
    return { C, c, constant: new Float64Array(T) };
  }

  /**
   * With 'coherent' gradient dynamics, the raw gradient's row becomes g_{t+1} = g_t + h^c_t u_t, where
   * h^c_t = Σ Δg·m / Σ m² is the curvature along the teachers' mean step m (all coordinates moving
   * together), instead of the regression's: that attributes the coherent part of Δg = H(m + e) to
   * the state (m = K s is linear in it) and only the noise e's average curvature to u, so it predicts
   * that a larger gain barely shrinks the next gradients.
   */
  adjustDynamics(dynamics: LinearDynamics, samples: Samples): LinearDynamics {
    if (this.settings.gradientDynamics !== 'coherent' || !samples.means) return dynamics;
    const g = this.gradientIndex;
    const dX = this.dX;
    const F = dynamics.F.map((Ft, t) => {
      let gm = 0;
      let mm = 0;
      samples.states.forEach((run, n) => {
        const m = samples.means![n][t][0];
        gm += (run[t + 1][g] - run[t][g]) * m;
        mm += m * m;
      });
      const row = Ft.clone();
      for (let j = 0; j < row.cols; j++) row.set(g, j, 0);
      row.set(g, g, 1);
      row.set(g, dX, mm > 0 ? Math.max(gm / mm, 0) : 0);
      return row;
    });
    const f = dynamics.f.map((ft) => {
      const out = Float64Array.from(ft);
      out[g] = 0;
      return out;
    });
    return { ...dynamics, F, f };
  }

  isPadding(index: number, t: number): boolean {
    return this.layout.isPadding(index, t);
  }

  policy(network: DistilledPolicy): CoordinatewiseGpsPolicy {
    return new CoordinatewiseGpsPolicy(network, this.settings.historyLength, this.settings.gradientScaling, this.features);
  }
}

/** Steps on each side of t whose samples κ_t pools: one step's 160 coordinate pairs are a noisy estimate. */
const SIGNAL_WINDOW = 5;

/**
 * κ_t, the share of a minibatch gradient that is signal: with g = ∇F + ε and g' = ∇F + ε' two
 * independent minibatch gradients at x_t, Σ g·g' / Σ g² estimates Σ ∇F² / Σ (∇F² + ε²), which is the
 * regression of ∇F on g. Pooled over the samples at steps t ± SIGNAL_WINDOW, clamped to [0, 1]; 1
 * where the gradient has no noise (g' = g).
 */
export function signalShares(states: readonly Float64Array[][], probes: readonly Float64Array[], gradientIndex: number, T: number): Float64Array {
  const gg = new Float64Array(T);
  const gp = new Float64Array(T);
  states.forEach((run, n) => {
    for (let t = 0; t < T; t++) {
      const value = run[t][gradientIndex];
      gg[t] += value * value;
      gp[t] += value * probes[n][t];
    }
  });
  const shares = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let num = 0;
    let den = 0;
    for (let s = Math.max(0, t - SIGNAL_WINDOW); s <= Math.min(T - 1, t + SIGNAL_WINDOW); s++) {
      num += gp[s];
      den += gg[s];
    }
    // No gradient to share out (or a second look that was not finite): the minibatch form, κ = 1.
    shares[t] = den > 0 && Number.isFinite(num / den) ? Math.min(1, Math.max(0, num / den)) : 1;
  }
  return shares;
}
