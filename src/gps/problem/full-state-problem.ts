// Li & Malik (2016): the teacher acts on the full state s = [x; Φ] (the iterate and its history),
// the policy on Φ; the cost model is f's quadratic expansion around the samples.
import { OptimizationEnv } from '../../../envs/optimization-env.ts';
import { featureLag, stateDim } from '../../../envs/history-state.ts';
import type { Objective } from '../../../envs/objective.ts';
import type { LinearGaussianPolicy } from '../../../policies/linear-gaussian.ts';
import { GpsPolicy } from '../../../policies/gps-policy.ts';
import type { Rng } from '../../random.ts';
import type { PolicyNetwork } from '../policy-network.ts';
import { expandCost } from './cost-expansion.ts';
import type { GpsProblem, GpsProblemSettings, Samples } from './gps-problem.ts';
import { initialTeacher } from './initial-teacher.ts';
import { TeacherPolicy, teacherState } from './teacher-state.ts';

export class FullStateProblem implements GpsProblem {
  readonly dX: number;
  readonly dO: number;
  readonly dU: number;

  constructor(
    dim: number,
    private readonly settings: GpsProblemSettings,
  ) {
    this.dU = dim;
    this.dO = stateDim(settings.historyLength, dim);
    this.dX = this.dU + this.dO;
  }

  initialTeacher(objective: Objective, startRng: Rng): LinearGaussianPolicy {
    const { historyLength, horizon, initialNoise } = this.settings;
    return initialTeacher(objective, startRng, { historyLength, horizon, noise: initialNoise });
  }

  sample(objective: Objective, teacher: LinearGaussianPolicy, startRng: Rng, rng: Rng): Samples {
    const { horizon: T, samples: M, historyLength: H } = this.settings;
    const env = new OptimizationEnv({ historyLength: H });
    const out: Required<Samples> = { states: [], observations: [], iterates: [], actions: [], values: [], gradients: [] };
    for (let attempt = 0; out.states.length < M; attempt++) {
      if (attempt >= 3 * M) throw new Error(`${objective.name}: more than 2/3 of the teacher's samples diverged`);
      const run = env.rollout(new TeacherPolicy(teacher, rng.fork(`noise/${attempt}`)), objective, T, startRng, { recordStates: true });
      if (run.divergedAt !== null) continue;
      out.observations.push(run.states!);
      out.iterates.push(run.iterates!);
      out.states.push(run.states!.map((o, t) => teacherState(run.iterates![t], o)));
      out.actions.push(run.actions!);
      out.values.push(run.values.slice(0, T));
      out.gradients.push(run.states!.map((o) => o.subarray(H, H + this.dU)));
    }
    return out;
  }

  costModel(objective: Objective, samples: Samples) {
    return expandCost(objective, samples.iterates!, samples.values, samples.gradients!, this.dX);
  }

  isPadding(index: number, t: number): boolean {
    return featureLag(index, this.settings.historyLength, this.dU) > t;
  }

  policy(network: PolicyNetwork): GpsPolicy {
    return new GpsPolicy(network, this.settings.historyLength);
  }
}
