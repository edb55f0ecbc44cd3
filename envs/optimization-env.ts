// Optimization as an MDP (Li & Malik, Algorithm 1): the state is the history of objective values and
// gradients, the action is the step, the cost is the objective. A run that produces NaN or ±Inf ends
// there and is marked diverged; a non-finite objective at x0 is a broken objective and throws.
// A user's objective (checked-objective.ts) is called with the step it is at, so that a wrong
// result or an exception is reported as `objective NAME threw at step T: …`.
import { NonFiniteStartError } from '../src/errors.ts';
import { evaluateChecked, uncheckedObjective } from './checked-objective.ts';
import type { Rng } from '../src/random.ts';
import { allFinite } from '../src/vector.ts';
import { HistoryState } from './history-state.ts';
import type { Evaluation, Objective } from './objective.ts';

/** What the optimizer sees at step t; `state()` is the MDP state Φ(history) of history-state.ts. */
export interface Observation {
  /** Iteration index: x is x_t. */
  readonly t: number;
  readonly x: Float64Array;
  readonly value: number;
  readonly gradient: Float64Array;
  /** Φ(history), computed on first use. */
  state(): Float64Array;
}

/** The outcome of one step: the next observation, its cost f(x_{t+1}), and whether the run ended. */
export interface StepResult {
  observation: Observation;
  /** f(x_{t+1}); NaN when the step diverged. */
  cost: number;
  done: boolean;
  info: { diverged: boolean; evaluations: number };
}

/** The record of one run of a policy on one objective (rollout, runProblems). */
export interface Trajectory {
  objective: string;
  /** f(x_t) for t = 0..T; NaN from the step that diverged onwards. */
  values: Float64Array;
  /** ‖∇f(x_t)‖ for t = 0..T; NaN after divergence. */
  gradientNorms: Float64Array;
  /** Φ, the iterate x and the action at t = 0..T−1, when recorded (`recordStates`). */
  states: Float64Array[] | null;
  iterates: Float64Array[] | null;
  actions: Float64Array[] | null;
  /** The first t whose f(x_t) was not finite, or null. */
  divergedAt: number | null;
  /** Objective evaluations, including a policy's own (line searches). */
  evaluations: number;
}

/** Options of an OptimizationEnv. */
export interface EnvOptions {
  historyLength?: number;
}

/** The history length H of the state Φ when none is given. */
export const DEFAULT_HISTORY_LENGTH = 25;

/** Optimization as an MDP: reset() starts a run from x0, step(Δx) moves to x + Δx and observes f and ∇f there. */
export class OptimizationEnv {
  readonly historyLength: number;
  private objective: Objective | null = null;
  /** The user's objective behind a checked one: called here with the step, and its results checked. */
  private userObjective: Objective | undefined;
  private history: HistoryState | null = null;
  private x: Float64Array = new Float64Array(0);
  private t = 0;
  private horizon = Infinity;
  private evaluations = 0;
  private finished = false;

  constructor(options: EnvOptions = {}) {
    this.historyLength = options.historyLength ?? DEFAULT_HISTORY_LENGTH;
  }

  /** Starts a run of `objective` from x0 = objective.start(rng); done after `horizon` steps. */
  reset(objective: Objective, rng: Rng, horizon = Infinity): Observation {
    this.objective = objective;
    this.userObjective = uncheckedObjective(objective);
    this.history = new HistoryState(this.historyLength, objective.dim);
    this.evaluations = 0;
    this.t = 0;
    this.horizon = horizon;
    this.finished = false;
    this.x = objective.start(rng);
    const evaluation = this.evaluate(this.x, 0);
    if (!Number.isFinite(evaluation.value) || !allFinite(evaluation.gradient)) {
      throw new NonFiniteStartError(`objective ${objective.name} is not finite at its starting point (f = ${evaluation.value})`);
    }
    return this.record(evaluation);
  }

  step(action: Float64Array): StepResult {
    const objective = this.objective;
    if (!objective || this.finished) throw new Error('step() called before reset() or after the run ended');
    if (action.length !== objective.dim) throw new RangeError(`action has length ${action.length}, objective ${objective.name} has dimension ${objective.dim}`);
    const x = new Float64Array(objective.dim);
    for (let i = 0; i < x.length; i++) x[i] = this.x[i] + action[i];
    this.x = x;
    this.t += 1;
    const evaluation = allFinite(x) ? this.evaluate(x, this.t) : { value: NaN, gradient: new Float64Array(objective.dim).fill(NaN) };
    const diverged = !Number.isFinite(evaluation.value) || !allFinite(evaluation.gradient);
    this.finished = diverged || this.t >= this.horizon;
    return {
      observation: this.record(evaluation),
      cost: diverged ? NaN : evaluation.value,
      done: this.finished,
      info: { diverged, evaluations: this.evaluations },
    };
  }

  /** f and ∇f at x, evaluated for step `step` (a line search's probes count for the step they look for). */
  private evaluate(x: Float64Array, step: number): Evaluation {
    this.evaluations += 1;
    if (this.userObjective) return evaluateChecked(this.userObjective, x, `at step ${step}`);
    return this.objective!.evaluate(x);
  }

  /** Objective evaluations since the last reset, including a policy's own. */
  get evaluationCount(): number {
    return this.evaluations;
  }

  /** The objective as a policy should see it: its own evaluations (line searches) count too. */
  countingObjective(objective: Objective): Objective {
    const { composite, sparseCode } = objective;
    return {
      name: objective.name,
      dim: objective.dim,
      start: (rng) => objective.start(rng),
      evaluate: (x) => this.evaluate(x, this.t + 1),
      // Proximal methods evaluate the smooth part instead; those evaluations count as well.
      ...(composite ? { composite: { ...composite, smooth: (x: Float64Array) => ((this.evaluations += 1), composite.smooth(x)) } } : {}),
      ...(sparseCode ? { sparseCode } : {}),
      // Structure, not evaluations: a policy may step each group its own way.
      ...(objective.groups ? { groups: objective.groups } : {}),
    };
  }

  private record(evaluation: Evaluation): Observation {
    const history = this.history!;
    if (Number.isFinite(evaluation.value)) history.push(evaluation.value, evaluation.gradient);
    return { t: this.t, x: this.x, value: evaluation.value, gradient: evaluation.gradient, state: history.snapshot() };
  }
}
