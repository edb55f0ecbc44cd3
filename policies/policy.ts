// A policy maps what the optimizer has seen to the next step Δx. Hand-designed optimizers read the
// current gradient (and may probe the objective, for line searches); learned ones read the MDP state.
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';

export interface Observation {
  /** Iteration index: x is x_t. */
  readonly t: number;
  readonly x: Float64Array;
  readonly value: number;
  readonly gradient: Float64Array;
  /** Φ(history), the MDP state (envs/history-state.ts); computed on first use. */
  state(): Float64Array;
}

export interface Policy {
  readonly name: string;
  /** The history length H of the state a learned policy reads; runs of it use this H. */
  readonly historyLength?: number;
  /** Called before every run. `objective` counts any evaluations the policy makes itself. */
  reset(objective: Objective, rng: Rng): void;
  /** The step Δx, so that x_{t+1} = x_t + Δx. */
  act(observation: Observation): Float64Array;
}
