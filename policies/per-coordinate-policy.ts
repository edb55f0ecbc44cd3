// An optimizer that applies one rule to every coordinate, u_j = rule(s_j), where s_j is coordinate
// j's own history (src/gps/problem/coordinate-history.ts): the per-coordinate GPS teacher and the
// learned optimizer distilled from it. A recorder keeps chosen coordinates' states and steps.
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import { CoordinateHistory, coordinateStateDim, type GradientScaling } from '../src/gps/problem/coordinate-history.ts';
import type { Observation, Policy } from './policy.ts';

/** Records the states and actions of chosen coordinates during a rollout. */
export interface Recorder {
  coordinates: Int32Array;
  states: Float64Array[][];
  actions: Float64Array[][];
}

/** A policy that applies one per-coordinate rule u_j = rule(s_j) to every coordinate. */
export abstract class PerCoordinatePolicy implements Policy {
  abstract readonly name: string;
  private history: CoordinateHistory;
  private readonly state: Float64Array;

  constructor(
    readonly historyLength: number,
    readonly gradientScaling: GradientScaling,
    private readonly recorder: Recorder | null = null,
  ) {
    this.history = new CoordinateHistory(historyLength, gradientScaling);
    this.state = new Float64Array(coordinateStateDim(historyLength, gradientScaling));
  }

  reset(_objective: Objective, _rng: Rng): void {
    this.history = new CoordinateHistory(this.historyLength, this.gradientScaling);
  }

  protected abstract step(t: number, state: Float64Array): number;

  act(observation: Observation): Float64Array {
    this.history.push(observation.x, observation.value, observation.gradient);
    const u = new Float64Array(observation.x.length);
    for (let j = 0; j < u.length; j++) u[j] = this.step(observation.t, this.history.stateOf(j, this.state));
    if (this.recorder) {
      this.recorder.coordinates.forEach((j, c) => {
        this.recorder!.states[c].push(Float64Array.from(this.history.stateOf(j, this.state)));
        this.recorder!.actions[c].push(Float64Array.of(u[j]));
      });
    }
    return u;
  }
}
