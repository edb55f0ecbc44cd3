// A policy maps what the optimizer has seen to the next step Δx. Hand-designed optimizers read the
// current gradient (and may probe the objective, for line searches); learned ones read the MDP state.
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import type { Observation } from '../envs/optimization-env.ts';

export type { Observation };

/** An optimizer as a policy: reset() before each run, then act(observation) returns the step Δx, so x_{t+1} = x_t + Δx. */
export interface Policy {
  readonly name: string;
  /** The history length H of the state a learned policy reads; runs of it use this H. */
  readonly historyLength?: number;
  /** Called before every run. `objective` counts any evaluations the policy makes itself, and carries the objective's parameter groups. */
  reset(objective: Objective, rng: Rng): void;
  /** The step Δx, so that x_{t+1} = x_t + Δx. */
  act(observation: Observation): Float64Array;
  /** Frees what the last run left (a learned policy's per-run tfjs state); the policy stays usable. Runs of a problem set call it at their end. */
  release?(): void;
  /** Frees everything the policy holds (its tfjs variables too); it cannot run afterwards. Policies without it hold nothing that needs freeing. */
  dispose?(): void;
}
