// A trained LSTM optimizer as a tfjs Optimizer, so any tfjs model can train with it:
// `model.compile({ optimizer: new LearnedOptimizer(lstm), loss })` or `optimizer.minimize(f)`.
// Each variable's coordinates get their own LSTM state, kept between calls; large variables are
// stepped in chunks of coordinates so that memory stays bounded. The class is registered with
// tf.serialization; its config carries the LSTM's weights, so `fromConfig` rebuilds an optimizer
// that takes the same steps (from a fresh LSTM state: the state is not part of the config).
import { tf } from '../tf.ts';
import { chunksOf, type Chunk } from './unroll.ts';
import { CoordinatewiseLstm, disposeStates, type LstmOptimizerJson, type LstmState } from '../../policies/coordinatewise-lstm.ts';
import { loadBpttPolicy } from './checkpoint.ts';

/** model.fit calls the optimizer inside its own tidy scope; the LSTM state must outlive it. */
function keepState(state: LstmState): LstmState {
  return { h: state.h.map((t) => tf.keep(t)), c: state.c.map((t) => tf.keep(t)) };
}

/**
 * The coordinatewise LSTM of a BPTT run (Andrychowicz et al. 2016) as a tfjs `Optimizer`: every
 * coordinate of every variable it steps gets its own LSTM state, Δx = LSTM(∇f). Registered with
 * `tf.serialization` as `L2OLearnedOptimizer`.
 */
export class LearnedOptimizer extends tf.Optimizer {
  /** The name under which the class is registered with `tf.serialization`. */
  static get className(): string {
    return 'L2OLearnedOptimizer';
  }

  private readonly states = new Map<string, { chunks: Chunk[]; states: LstmState[] }>();

  /**
   * @param lstm the trained LSTM
   * @param chunkSize coordinates stepped in one pass (bounds memory on large variables)
   * @param ownsLstm whether `dispose` also frees the LSTM's weights (true for `load` and `fromConfig`,
   *   which make their own; false when the caller passes an LSTM it keeps using)
   */
  constructor(
    readonly lstm: CoordinatewiseLstm,
    readonly chunkSize = 16384,
    private readonly ownsLstm = false,
  ) {
    super();
  }

  /** The optimizer a `l2o train --algo bptt` run saved in `dir` (its `optimizer.json`); it owns its LSTM. */
  static load(dir: string): LearnedOptimizer {
    return new LearnedOptimizer(loadBpttPolicy(dir).policy.lstm, undefined, true);
  }

  /** One LSTM step on every coordinate of each variable, from that coordinate's own LSTM state. */
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

  /** Frees the per-coordinate LSTM states, and the LSTM itself when this optimizer owns it. */
  override dispose(): void {
    for (const slot of this.states.values()) disposeStates(slot.states);
    this.states.clear();
    if (this.ownsLstm) this.lstm.dispose();
    super.dispose();
  }

  /** The chunk size and the LSTM (its configuration and weights): what `fromConfig` needs to take the same steps. */
  override getConfig(): tf.serialization.ConfigDict {
    return { chunkSize: this.chunkSize, lstm: this.lstm.toJSON() as unknown as tf.serialization.ConfigDict };
  }

  /** An optimizer with its own copy of the LSTM and fresh states, from `getConfig`'s output (the tf.serialization protocol). */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    const lstm = CoordinatewiseLstm.fromJSON(config.lstm as unknown as LstmOptimizerJson);
    return new (cls as unknown as typeof LearnedOptimizer)(lstm, config.chunkSize as number, true) as unknown as T;
  }
}

tf.serialization.registerClass(LearnedOptimizer);
