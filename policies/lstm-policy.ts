// The BPTT-trained LSTM optimizer as a Policy, for `l2o eval --optimizers bptt:DIR`: each step feeds
// the current gradient to the coordinatewise LSTM and returns its output as Δx.
import * as tf from '@tensorflow/tfjs';
import type { Objective } from '../envs/objective.ts';
import type { Rng } from '../src/random.ts';
import type { CoordinatewiseLstm, LstmState } from '../src/supervised/coordinatewise-lstm.ts';
import { disposeStates } from '../src/supervised/unroll.ts';
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
    const previous = this.state;
    const out = tf.tidy(() => {
      const { update, state } = this.lstm.step(tf.tensor1d(Float32Array.from(observation.gradient)), previous);
      return { update, h: state.h, c: state.c };
    });
    disposeStates([previous]);
    this.state = { h: out.h, c: out.c };
    const step = Float64Array.from(out.update.dataSync());
    out.update.dispose();
    return step;
  }

  /** Frees the per-coordinate state of the last run. */
  release(): void {
    if (this.state) disposeStates([this.state]);
    this.state = null;
  }
}
