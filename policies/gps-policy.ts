// A learned optimizer trained by guided policy search: the distilled network's mean action on the
// history features Φ, Δx = μ_θ(Φ_t). It reads a state of its own history length.
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import type { PolicyNetwork } from '../src/gps/policy-network.ts';
import type { Observation, Policy } from './policy.ts';

export class GpsPolicy implements Policy {
  readonly name = 'gps';

  constructor(
    readonly network: PolicyNetwork,
    readonly historyLength: number,
  ) {}

  reset(objective: Objective, _rng: Rng): void {
    if (objective.dim !== this.network.outputDim) {
      throw new RangeError(`this GPS optimizer was trained on ${this.network.outputDim}-dimensional objectives; ${objective.name} has ${objective.dim}`);
    }
  }

  act(observation: Observation): Float64Array {
    return this.network.mean(observation.state());
  }
}
