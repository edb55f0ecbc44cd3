// A trained LSTM optimizer as a tfjs Optimizer, so any tfjs model can train with it:
// `model.compile({ optimizer: new LearnedOptimizer(lstm), loss })` or `optimizer.minimize(f)`.
// Each variable's coordinates get their own LSTM state, kept between calls; large variables are
// stepped in chunks of coordinates so that memory stays bounded.
import * as tf from '@tensorflow/tfjs';
import { chunksOf, type Chunk } from './unroll.ts';
import { disposeStates, type CoordinatewiseLstm, type LstmState } from '../../policies/coordinatewise-lstm.ts';
import { loadBpttPolicy } from './checkpoint.ts';

/** model.fit calls the optimizer inside its own tidy scope; the LSTM state must outlive it. */
function keepState(state: LstmState): LstmState {
  return { h: state.h.map((t) => tf.keep(t)), c: state.c.map((t) => tf.keep(t)) };
}

export class LearnedOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'L2OLearnedOptimizer';
  }

  private readonly states = new Map<string, { chunks: Chunk[]; states: LstmState[] }>();

  constructor(
    readonly lstm: CoordinatewiseLstm,
    readonly chunkSize = 16384,
  ) {
    super();
  }

  /** The optimizer a `l2o train --algo bptt` run saved in `dir`. */
  static load(dir: string): LearnedOptimizer {
    return new LearnedOptimizer(loadBpttPolicy(dir).policy.lstm);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const entries = Array.isArray(variableGradients) ? variableGradients.map((v) => [v.name, v.tensor] as const) : Object.entries(variableGradients);
    for (const [name, gradient] of entries) {
      if (gradient == null) continue;
      const variable = tf.engine().registeredVariables[name];
      let slot = this.states.get(name);
      if (!slot) {
        const chunks = chunksOf(variable.size, this.chunkSize);
        slot = { chunks, states: chunks.map((c) => keepState(this.lstm.initialState(c.end - c.start))) };
        this.states.set(name, slot);
      }
      const { chunks, states } = slot;
      const next = tf.tidy(() => {
        const flat = gradient.reshape([-1]) as tf.Tensor1D;
        const steps = chunks.map((c, k) => this.lstm.step(flat.slice(c.start, c.end - c.start), states[k]));
        const update = steps.length === 1 ? steps[0].update : tf.concat(steps.map((s) => s.update));
        variable.assign(tf.add(variable, update.reshape(variable.shape)));
        return steps.map((s) => ({ h: s.state.h, c: s.state.c }));
      }).map(keepState);
      disposeStates(states);
      slot.states = next;
    }
    this.incrementIterations();
  }

  override dispose(): void {
    for (const slot of this.states.values()) disposeStates(slot.states);
    this.states.clear();
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { chunkSize: this.chunkSize };
  }
}
