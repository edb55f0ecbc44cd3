// An optimizer that applies one rule to every coordinate, u_j = rule(s_j), where s_j is coordinate
// j's own features (envs/coordinate-features.ts: its history, or Li & Malik 2017's): the per-coordinate GPS teacher and the
// learned optimizer distilled from it. A recorder keeps chosen coordinates' states and steps.
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import type { GradientScaling } from '../envs/coordinate-history.ts';
import { createCoordinateFeatures, type CoordinateFeatures, type FeatureSet } from '../envs/coordinate-features.ts';
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
  private history: CoordinateFeatures;
  /** Entries of one coordinate's state. */
  private readonly width: number;
  /** All coordinates' states, row by row (reused across steps). */
  private states = new Float64Array(0);

  constructor(
    readonly historyLength: number,
    readonly gradientScaling: GradientScaling,
    readonly features: FeatureSet,
    private readonly recorder: Recorder | null = null,
  ) {
    this.history = createCoordinateFeatures(features, historyLength, gradientScaling);
    this.width = this.history.stateDim;
  }

  /** Entries of each coordinate's state, and the prefix of them a policy network observes. */
  get stateDim(): number {
    return this.history.stateDim;
  }

  get observationDim(): number {
    return this.history.observationDim;
  }

  reset(_objective: Objective, _rng: Rng): void {
    this.history = createCoordinateFeatures(this.features, this.historyLength, this.gradientScaling);
  }

  /** Coordinate j's step from its state s_j. */
  protected abstract step(t: number, state: Float64Array, j: number): number;

  /**
   * Every coordinate's step from the rows of `states` (row j is s_j, `width` entries), or null to
   * call `step` coordinate by coordinate. A rule that can run all rows in one pass overrides this.
   */
  protected stepAll(_t: number, _states: Float64Array, _rows: number, _width: number): Float64Array | null {
    return null;
  }

  /** Where stepAll would rather find the rows (a kernel's own memory), or null for this policy's array. */
  protected stepInput(_rows: number, _width: number): Float64Array | null {
    return null;
  }

  act(observation: Observation): Float64Array {
    this.history.push(observation.x, observation.value, observation.gradient);
    const dim = observation.x.length;
    const width = this.width;
    let states = this.stepInput(dim, width);
    if (!states) {
      if (this.states.length !== dim * width) this.states = new Float64Array(dim * width);
      states = this.states;
    }
    let u = this.stepAll(observation.t, this.history.statesInto(states, dim), dim, width);
    if (!u) {
      u = new Float64Array(dim);
      for (let j = 0; j < dim; j++) u[j] = this.step(observation.t, states.subarray(j * width, (j + 1) * width), j);
    }
    if (this.recorder) {
      this.recorder.coordinates.forEach((j, c) => {
        this.recorder!.states[c].push(states.slice(j * width, (j + 1) * width));
        this.recorder!.actions[c].push(Float64Array.of(u![j]));
      });
    }
    return u;
  }
}
