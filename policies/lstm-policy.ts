// The BPTT-trained LSTM optimizer as a Policy, for `l2o eval --optimizers bptt:DIR`: each step feeds
// the current gradient to the coordinatewise LSTM and returns its output as Δx.
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import type { CoordinatewiseLstm, LstmState } from './coordinatewise-lstm.ts';
import { disposeStates } from './coordinatewise-lstm.ts';
import type { Observation, Policy } from './policy.ts';

export class LstmPolicy implements Policy {
  private state: LstmState | null = null;

  constructor(
    readonly lstm: CoordinatewiseLstm,
    readonly name = 'bptt',
  ) {}

  reset(objective: Objective, _rng: Rng): void {
    if (this.state) disposeStates([this.state]);
    this.state = this.lstm.initialState(objective.dim);
  }

  act(observation: Observation): Float64Array {
    if (!this.state) throw new Error('LstmPolicy.act before reset');
    const out = this.lstm.stepUntaped(Float32Array.from(observation.gradient), this.state);
    disposeStates([this.state]);
    this.state = out.state;
    return Float64Array.from(out.update);
  }

  /** Frees the per-coordinate state of the last run. */
  release(): void {
    if (this.state) disposeStates([this.state]);
    this.state = null;
  }

  /** Frees the last run's state and the LSTM's weights. */
  dispose(): void {
    this.release();
    this.lstm.dispose();
  }
}
