// The teachers act on the full MDP state s_t = [x_t; Φ_t]: the cost f(x_t) depends on the iterate,
// which the history features Φ do not contain. The global policy sees only Φ (the observation), both
// with the gradients AdaGrad-scaled and Adam's ratio added where the run asks (full-state-features.ts).
import type { Objective } from '../../../envs/objective.ts';
import type { Observation, Policy } from '../../../policies/policy.ts';
import type { LinearGaussianPolicy } from '../../../policies/linear-gaussian.ts';
import type { Rng } from '../../random.ts';
import type { GradientScaling } from '../../../envs/coordinate-history.ts';
import { fullStateView, type FullStateFeatureSet, type FullStateView } from '../../../envs/full-state-features.ts';

export function teacherState(x: Float64Array, observation: Float64Array): Float64Array {
  const s = new Float64Array(x.length + observation.length);
  s.set(x, 0);
  s.set(observation, x.length);
  return s;
}

/** Runs a time-varying linear-Gaussian teacher as a Policy; `noise` false takes its mean action. */
export class TeacherPolicy implements Policy {
  readonly name = 'teacher';
  private view: FullStateView | null = null;

  constructor(
    private readonly teacher: LinearGaussianPolicy,
    private readonly noiseRng: Rng | null,
    private readonly scaling: { historyLength: number; gradientScaling: GradientScaling; fullStateFeatures?: FullStateFeatureSet },
  ) {}

  reset(objective: Objective, _rng: Rng): void {
    this.view = fullStateView(this.scaling.fullStateFeatures ?? 'history', this.scaling.gradientScaling, this.scaling.historyLength, objective.dim);
  }

  act(observation: Observation): Float64Array {
    const phi = observation.state();
    const s = teacherState(observation.x, this.view ? this.view.next(phi) : phi);
    return this.noiseRng ? this.teacher.sample(observation.t, s, this.noiseRng) : this.teacher.mean(observation.t, s);
  }
}
