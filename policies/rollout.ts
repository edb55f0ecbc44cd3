// A run of a policy in the optimization MDP: the loop of act, step, record until the horizon or
// divergence.
import type { Objective } from '../envs/objective.ts';
import type { OptimizationEnv, Trajectory } from '../envs/optimization-env.ts';
import type { Rng } from '../src/random.ts';
import { norm } from '../src/vector.ts';
import { UserError } from '../src/errors.ts';
import type { Policy } from './policy.ts';

/** What a rollout records beyond f: the states, iterates and actions (for GPS's samples), or each iterate as it comes (for scores of x itself, such as a code's error). */
export interface RolloutOptions {
  recordStates?: boolean;
  /** Called with x_0 and then every x_{t+1} that did not break down, with ∇f there as the run evaluated it, before the next step; both are only valid during the call. */
  onIterate?: (t: number, x: Float64Array, gradient: Float64Array) => void;
}

/** Runs `policy` in `env` for `steps` steps (or until divergence) and returns the trajectory. */
export function rollout(env: OptimizationEnv, policy: Policy, objective: Objective, steps: number, rng: Rng, options: RolloutOptions = {}): Trajectory {
  if (!Number.isInteger(steps) || steps < 0) throw new UserError(`rollout: steps must be a non-negative integer, got ${steps}`);
  if (typeof rng?.fork !== 'function') throw new UserError(`rollout: rng must be an Rng (new Rng(seed)), which draws x0 and the policy's noise reproducibly; got ${rng}`);
  const values = new Float64Array(steps + 1).fill(NaN);
  const gradientNorms = new Float64Array(steps + 1).fill(NaN);
  const states: Float64Array[] | null = options.recordStates ? [] : null;
  const iterates: Float64Array[] | null = options.recordStates ? [] : null;
  const actions: Float64Array[] | null = options.recordStates ? [] : null;
  let observation = env.reset(objective, rng.fork('start'), steps);
  policy.reset(env.countingObjective(objective), rng.fork('policy'));
  values[0] = observation.value;
  gradientNorms[0] = norm(observation.gradient);
  options.onIterate?.(0, observation.x, observation.gradient);
  let divergedAt: number | null = null;
  for (let t = 0; t < steps; t++) {
    const action = policy.act(observation);
    if (states && iterates && actions) {
      states.push(observation.state());
      iterates.push(observation.x);
      actions.push(Float64Array.from(action));
    }
    const result = env.step(action);
    if (result.info.diverged) {
      divergedAt = t + 1;
      break;
    }
    observation = result.observation;
    values[t + 1] = observation.value;
    gradientNorms[t + 1] = norm(observation.gradient);
    options.onIterate?.(t + 1, observation.x, observation.gradient);
  }
  return { objective: objective.name, values, gradientNorms, states, iterates, actions, divergedAt, evaluations: env.evaluationCount };
}
