// The learned optimizers trained by guided policy search: the distilled network's mean action,
// on the full history features Φ (Δx = μ_θ(Φ_t), Li & Malik 2016; gradients AdaGrad-scaled where
// trained so, history-scaling.ts) or on each coordinate's own features (Δx_j = μ_θ(s_j), the
// per-coordinate GPS of Li & Malik 2017).
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import { UserError } from '../src/errors.ts';
import type { PolicyNetwork } from './policy-network.ts';
import type { DistilledPolicy, PolicyStepper } from './distilled-policy.ts';
import type { Observation, Policy } from './policy.ts';
import { PerCoordinatePolicy, type Recorder } from './per-coordinate-policy.ts';
import type { GradientScaling } from '../envs/coordinate-history.ts';
import type { FeatureSet } from '../envs/coordinate-features.ts';
import { fullStateView, type FullStateFeatureSet, type FullStateView } from '../envs/full-state-features.ts';

export class GpsPolicy implements Policy {
  readonly name = 'gps';
  private view: FullStateView | null = null;

  constructor(
    readonly network: PolicyNetwork,
    readonly historyLength: number,
    readonly gradientScaling: GradientScaling = 'none',
    readonly features: FullStateFeatureSet = 'history',
  ) {}

  reset(objective: Objective, _rng: Rng): void {
    if (objective.dim !== this.network.outputDim) {
      // The user's choice of optimizer and env, not a bug: one line, naming both dimensions.
      throw new UserError(`this full-state GPS optimizer was trained on ${this.network.outputDim}-dimensional objectives; ${objective.name} has ${objective.dim} (a full-state policy runs only on its own dimension; per-coordinate GPS runs on any)`);
    }
    this.view = fullStateView(this.features, this.gradientScaling, this.historyLength, objective.dim);
  }

  act(observation: Observation): Float64Array {
    const state = observation.state();
    return this.network.mean(this.view ? this.view.next(state) : state);
  }
}

export { FLOAT32_ROWS } from './policy-network.ts';

/**
 * The distilled policy applied to every coordinate: the learned optimizer of per-coordinate GPS.
 * Its stepper runs all coordinates in one pass per step and, for the LSTM, carries each
 * coordinate's hidden state from step to step; reset() starts a run from a fresh one.
 */
export class CoordinatewiseGpsPolicy extends PerCoordinatePolicy {
  readonly name = 'gps';
  private stepper: PolicyStepper | null = null;

  constructor(
    readonly network: DistilledPolicy,
    historyLength: number,
    gradientScaling: GradientScaling,
    features: FeatureSet = 'history',
    recorder: Recorder | null = null,
  ) {
    super(historyLength, gradientScaling, features, recorder);
    if (network.outputDim !== 1 || network.inputDim !== this.observationDim) {
      throw new RangeError(`a per-coordinate GPS network on the ${features} features maps ${this.observationDim} features to 1 step, not ${network.inputDim} to ${network.outputDim}`);
    }
  }

  override reset(objective: Objective, rng: Rng): void {
    super.reset(objective, rng);
    this.dispose();
  }

  /** Frees the stepper's recurrent state (tfjs tensors for the LSTM). */
  dispose(): void {
    this.stepper?.dispose();
    this.stepper = null;
  }

  protected step(): number {
    throw new Error('unreachable: stepAll steps every coordinate');
  }

  /** The network reads each row's observed prefix: not what only the teacher sees (the raw gradient a scaled state carries last, the iterate). */
  protected override stepAll(_t: number, states: Float64Array, rows: number, width: number): Float64Array {
    this.stepper ??= this.network.stepper();
    return this.stepper.step(states, rows, width);
  }

  /** The MLP's float32 kernel reads the rows where the history writes them. */
  protected override stepInput(rows: number, width: number): Float64Array | null {
    this.stepper ??= this.network.stepper();
    return this.stepper.input?.(rows, width) ?? null;
  }
}
