// Li & Malik (2016): the teacher acts on the full state s = [x; Φ] (the iterate and its history),
// the policy on Φ (its gradients AdaGrad-scaled with --gradient-scaling adagrad, Adam's ratio added with
// --features history-adam; full-state-features.ts); the cost model is
// f(x_t + u_t)'s quadratic expansion around the samples, in the raw gradients, weighted per step by
// the meta-objective's weight of f(x_{t+1}) (step-weights.ts).
import { OptimizationEnv } from '../../../envs/optimization-env.ts';
import type { Objective } from '../../../envs/objective.ts';
import type { ParameterGroup } from '../../../envs/parameter-groups.ts';
import type { LinearGaussianPolicy } from '../../../policies/linear-gaussian.ts';
import { GpsPolicy } from '../../../policies/gps-policy.ts';
import type { Rng } from '../../random.ts';
import { PolicyNetwork } from '../../../policies/policy-network.ts';
import type { DistilledPolicy } from '../../../policies/distilled-policy.ts';
import type { Observation, Policy } from '../../../policies/policy.ts';
import { expandCost } from './cost-expansion.ts';
import { actionWeights } from './step-weights.ts';
import type { GpsProblem, GpsProblemSettings, Samples } from './gps-problem.ts';
import { initialTeacher, teacherSearchOf } from './initial-teacher.ts';
import { TeacherPolicy, teacherState } from './teacher-state.ts';
import type { GradientScaling } from '../../../envs/coordinate-history.ts';
import type { FeatureSet } from '../../../envs/coordinate-features.ts';
import { fullStateDim, fullStatePadding, fullStateView, type FullStateFeatureSet } from '../../../envs/full-state-features.ts';
import { rollout } from '../../../policies/rollout.ts';

export class FullStateProblem implements GpsProblem {
  readonly dX: number;
  readonly dO: number;
  readonly dU: number;
  /** What the teachers and the policy read of Φ, and how (settings the teachers run with). */
  private readonly view: { historyLength: number; gradientScaling: GradientScaling; fullStateFeatures: FullStateFeatureSet };

  constructor(
    dim: number,
    private readonly settings: GpsProblemSettings & { gradientScaling: GradientScaling; features?: FeatureSet },
  ) {
    const features = (settings.features ?? 'history') as FullStateFeatureSet; // checkGpsConfig refuses the per-coordinate-only sets
    this.view = { historyLength: settings.historyLength, gradientScaling: settings.gradientScaling, fullStateFeatures: features };
    this.dU = dim;
    this.dO = fullStateDim(features, settings.historyLength, dim);
    this.dX = this.dU + this.dO;
  }

  initialTeacher(objective: Objective, startRng: Rng): LinearGaussianPolicy {
    const { horizon, initialNoise } = this.settings;
    return initialTeacher(objective, startRng, { ...this.view, horizon, noise: initialNoise, teacherSearch: teacherSearchOf(this.settings) });
  }

  /** One teacher acts on the whole iterate. */
  teacherGroups(objective: Objective): readonly ParameterGroup[] {
    return [{ name: 'all', offset: 0, size: objective.dim }];
  }

  sample(objective: Objective, [teacher]: readonly LinearGaussianPolicy[], startRng: Rng, rng: Rng): Samples[] {
    const samples = this.collect(objective, startRng, this.settings.samples, (attempt) => new TeacherPolicy(teacher, rng.fork(`noise/${attempt}`), this.view));
    if (samples.states.length < this.settings.samples) throw new Error(`${objective.name}: more than 2/3 of the teacher's samples diverged`);
    return [samples];
  }

  teachersAsPolicy(_objective: Objective, [teacher]: readonly LinearGaussianPolicy[]): Policy {
    return new TeacherPolicy(teacher, null, this.view);
  }

  /**
   * Runs of the global policy with its own Gaussian noise, recorded as teacher states: the states the
   * policy itself visits, where on-policy distillation asks the teachers what to do. Runs that break
   * down are dropped (an early policy may well diverge), so fewer than `count` may come back.
   */
  samplePolicy(objective: Objective, network: DistilledPolicy, startRng: Rng, rng: Rng, count: number): Samples[] {
    const std = Float64Array.from(network.variance, Math.sqrt);
    return [this.collect(objective, startRng, count, (attempt) => new ExploringPolicy(this.policy(network), std, rng.fork(`noise/${attempt}`)))];
  }

  /** Up to `count` runs that did not diverge, from at most 3·count attempts. */
  private collect(objective: Objective, startRng: Rng, count: number, policyFor: (attempt: number) => Policy): Required<Omit<Samples, 'means' | 'probes'>> {
    const { horizon: T, historyLength: H } = this.settings;
    const env = new OptimizationEnv({ historyLength: H });
    const out: Required<Omit<Samples, 'means' | 'probes'>> = { states: [], observations: [], iterates: [], actions: [], values: [], gradients: [], nextValues: [] };
    for (let attempt = 0; out.states.length < count && attempt < 3 * count; attempt++) {
      // x_T and ∇f(x_T) as the run evaluated them: the last action's cost is expanded there.
      const end: { x?: Float64Array; gradient?: Float64Array } = {};
      const onIterate = (t: number, x: Float64Array, gradient: Float64Array) => {
        if (t === T) Object.assign(end, { x: Float64Array.from(x), gradient: Float64Array.from(gradient) });
      };
      const run = rollout(env, policyFor(attempt), objective, T, startRng, { recordStates: true, onIterate });
      if (run.divergedAt !== null || !end.x || !end.gradient) continue;
      // The env records raw Φ; the teacher and the policy see it as the rollout's policy did.
      const view = fullStateView(this.view.fullStateFeatures, this.view.gradientScaling, H, this.dU);
      const observations = view ? run.states!.map((o) => view.next(o)) : run.states!;
      out.observations.push(observations);
      out.iterates.push([...run.iterates!, end.x]);
      out.states.push(observations.map((o, t) => teacherState(run.iterates![t], o)));
      out.actions.push(run.actions!);
      out.values.push(run.values.slice(0, T));
      out.nextValues.push(run.values.slice(1, T + 1));
      out.gradients.push([...run.states!.map((o) => o.subarray(H, H + this.dU)), end.gradient]); // raw, for the cost model
    }
    return out;
  }

  costModel(objective: Objective, samples: Samples) {
    const path = samples.values.map((v, n) => Float64Array.of(v[0], ...samples.nextValues![n])); // f(x_0..x_T)
    return expandCost(objective, samples.iterates!, samples.nextValues!, samples.gradients!, this.dX, actionWeights(this.settings.metaObjective, this.settings.horizon, objective, path));
  }

  isPadding(index: number, t: number): boolean {
    return fullStatePadding(index, t, this.settings.historyLength, this.dU);
  }

  /** The full-state policy is the feed-forward network (checkGpsConfig refuses an LSTM here). */
  policy(network: DistilledPolicy): GpsPolicy {
    if (!(network instanceof PolicyNetwork)) throw new Error(`a full-state GPS policy is a feed-forward network, not an ${network.kind}`);
    return new GpsPolicy(network, this.settings.historyLength, this.settings.gradientScaling, this.view.fullStateFeatures);
  }
}

/** A policy's mean action plus independent Gaussian noise of the given standard deviations. */
class ExploringPolicy implements Policy {
  readonly name = 'exploring';

  constructor(
    private readonly inner: Policy,
    private readonly std: Float64Array,
    private readonly rng: Rng,
  ) {}

  reset(objective: Objective, rng: Rng): void {
    this.inner.reset(objective, rng);
  }

  act(observation: Observation): Float64Array {
    const u = this.inner.act(observation);
    for (let i = 0; i < u.length; i++) u[i] += this.std[i] * this.rng.normal();
    return u;
  }
}
