// Andrychowicz et al.'s learned optimizer: a small LSTM applied to every coordinate of the
// optimizee separately, with weights shared across coordinates and a hidden state per coordinate.
// Its input is the coordinate's preprocessed gradient, its output (× outputScale) the coordinate's
// step. The coordinates are columns: a layer's state is [hidden, coordinates], and its four gates are
// one product of the packed weights [4·hidden, in + hidden + 1] with the stacked [input; h; 1], split
// into four row blocks (contiguous: cheap on wasm, where splitting columns is not; docs/design.md §4).
// Checkpoints keep each gate's weights apart, as before.
import { tf } from '../src/tf.ts';
import { columnsProduct } from '../src/tfjs-matmul.ts';
import { lstmCell } from '../src/kernels/lstm-cell.ts';
import { Rng } from '../src/random.ts';
import { logAndSign } from './log-and-sign.ts';

import type { LstmOptimizerConfig } from './lstm-config.ts';

export { DEFAULT_LSTM_CONFIG, type LstmOptimizerConfig } from './lstm-config.ts';

const GATES = ['input', 'forget', 'cell', 'output'] as const;
type Gate = (typeof GATES)[number];

interface LayerWeights {
  /** [in, hidden] on the layer input, [hidden, hidden] on its own hidden state, per gate. */
  wx: Record<Gate, tf.Variable>;
  wh: Record<Gate, tf.Variable>;
  b: Record<Gate, tf.Variable>;
}

/** Per layer: hidden state h and cell state c, each [hidden, coordinates]. */
export interface LstmState {
  h: tf.Tensor2D[];
  c: tf.Tensor2D[];
}

/** Frees the tensors of LSTM states that are no longer needed. */
export function disposeStates(states: LstmState[]): void {
  for (const s of states) tf.dispose([...s.h, ...s.c]);
}

export interface LstmOptimizerJson {
  config: LstmOptimizerConfig;
  /** Variable name → values, in `variables` order. */
  weights: Record<string, number[]>;
}

export class CoordinatewiseLstm {
  private readonly layerWeights: LayerWeights[] = [];
  private readonly outW: tf.Variable;
  private readonly outB: tf.Variable;
  /** Every trainable weight, in a fixed order, and its name in checkpoints. */
  readonly variables: tf.Variable[] = [];
  private readonly names: string[] = [];

  constructor(
    readonly config: LstmOptimizerConfig,
    seed: string,
  ) {
    const rng = new Rng(`lstm-init-${seed}`);
    const variable = (name: string, shape: number[], std: number, bias = 0) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from(rng.fork(name).normalVector(size, std, bias));
      // tf.variable copies its initial value, which would otherwise stay allocated.
      const initial = tf.tensor(values, shape);
      const v = tf.variable(initial);
      initial.dispose();
      this.variables.push(v);
      this.names.push(name);
      return v;
    };
    const H = config.hidden;
    for (let l = 0; l < config.layers; l++) {
      const inputs = l === 0 ? 2 : H;
      const perGate = (f: (gate: Gate) => tf.Variable) => Object.fromEntries(GATES.map((g) => [g, f(g)])) as Record<Gate, tf.Variable>;
      this.layerWeights.push({
        wx: perGate((g) => variable(`l${l}/${g}/wx`, [inputs, H], 1 / Math.sqrt(inputs + H))),
        wh: perGate((g) => variable(`l${l}/${g}/wh`, [H, H], 1 / Math.sqrt(inputs + H))),
        // A forget bias of 1 keeps the cell's memory early in training (the usual LSTM default).
        b: perGate((g) => variable(`l${l}/${g}/b`, [H], 0, g === 'forget' ? 1 : 0)),
      });
    }
    this.outW = variable('out/w', [H, 1], 0.1 / Math.sqrt(H));
    this.outB = variable('out/b', [1], 0);
  }

  initialState(coordinates: number): LstmState {
    const zeros = () => Array.from({ length: this.config.layers }, () => tf.zeros([this.config.hidden, coordinates]) as tf.Tensor2D);
    return { h: zeros(), c: zeros() };
  }

  /**
   * The weights as `step` multiplies them: per layer [4·hidden, in + hidden + 1], the gates' rows in
   * GATES order and the columns [wxᵀ | whᵀ | b]; then the output layer [1, hidden + 1]. Built from
   * the variables (so differentiable); an unroll builds them once and passes them to every step.
   */
  packedWeights(): tf.Tensor2D[] {
    const H = this.config.hidden;
    const layers = this.layerWeights.map((w) =>
      tf.transpose(tf.concat(GATES.map((g) => tf.concat([w.wx[g], w.wh[g], tf.reshape(w.b[g], [1, H])], 0)), 1)) as tf.Tensor2D,
    );
    return [...layers, tf.transpose(tf.concat([this.outW, tf.reshape(this.outB, [1, 1])], 0)) as tf.Tensor2D];
  }

  /**
   * One optimizer step for `gradient.size` coordinates: the steps [n] and the next state. Tensors are
   * not tidied here, so that a caller recording a gradient tape keeps what it needs. `weights` is
   * packedWeights(), built here when not given.
   */
  step(gradient: tf.Tensor1D, state: LstmState, weights: tf.Tensor2D[] = this.packedWeights()): { update: tf.Tensor1D; state: LstmState } {
    // A row of ones multiplies the bias column.
    const ones = tf.ones([1, gradient.size]) as tf.Tensor2D;
    let input = logAndSign(gradient, this.config.preprocessP);
    const h: tf.Tensor2D[] = [];
    const c: tf.Tensor2D[] = [];
    this.layerWeights.forEach((_, l) => {
      const gates = columnsProduct(weights[l], tf.concat([input, state.h[l], ones], 0) as tf.Tensor2D);
      const next = lstmCell(gates, state.c[l]);
      h.push(next.h);
      c.push(next.c);
      input = next.h;
    });
    const out = columnsProduct(weights[this.layerWeights.length], tf.concat([input, ones], 0) as tf.Tensor2D);
    const update = tf.reshape(tf.mul(out, this.config.outputScale), [-1]) as tf.Tensor1D;
    return { update, state: { h, c } };
  }

  /** `step` outside any gradient tape: the steps as numbers and the next state; `state` is kept. */
  stepUntaped(gradient: Float32Array, state: LstmState): { update: Float32Array; state: LstmState } {
    const out = tf.tidy(() => {
      const { update, state: next } = this.step(tf.tensor1d(gradient), state);
      return { update, h: next.h, c: next.c };
    });
    const update = out.update.dataSync() as Float32Array;
    out.update.dispose();
    return { update, state: { h: out.h, c: out.c } };
  }

  toJSON(): LstmOptimizerJson {
    const weights: Record<string, number[]> = {};
    this.variables.forEach((v, i) => (weights[this.names[i]] = Array.from(v.dataSync())));
    return { config: this.config, weights };
  }

  static fromJSON(json: LstmOptimizerJson): CoordinatewiseLstm {
    const lstm = new CoordinatewiseLstm(json.config, 'restore');
    lstm.assign(json.weights);
    return lstm;
  }

  /** Sets every weight from a name → values map (a checkpoint, or the best weights so far). */
  assign(weights: Record<string, number[]>): void {
    this.variables.forEach((v, i) => {
      const values = weights[this.names[i]];
      if (!Array.isArray(values) || values.length !== v.size || values.some((x) => !Number.isFinite(x))) {
        throw new RangeError(`weight ${this.names[i]}: expected ${v.size} finite numbers`);
      }
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    });
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}
