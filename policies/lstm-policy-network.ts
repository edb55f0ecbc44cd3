// Li & Malik 2017's global policy for per-coordinate GPS: one LSTM layer (128 cells in the paper)
// shared by all coordinates, each coordinate with its own hidden and cell state carried through a
// run, and a linear map of the hidden state to the coordinate's mean step. It is distilled on whole
// sample sequences with the precision-weighted loss of docs/design.md §2 step 5 (backpropagation
// through time over each sequence's T steps), and its inputs are scaled and clipped as the
// feed-forward network's are. The weights live in float64 arrays (saved as they are); the passes
// run in float32 tfjs, where a [coordinates × cells] product per gate is what wasm does best.
import type * as Tf from '@tensorflow/tfjs';
import { tfjs } from '../src/lazy-tfjs.ts';
import type { Rng } from '../src/random.ts';
import { matMul } from '../src/tfjs-matmul.ts';
import { lstmCell } from '../src/kernels/lstm-cell.ts';
import { scaledFeature, type DistillationData, type DistilledPolicy, type FitOptions, type PolicyStepper } from './distilled-policy.ts';

export const LSTM_GATES = ['input', 'forget', 'cell', 'output'] as const;

export interface LstmPolicyJson {
  kind: 'lstm';
  inputDim: number;
  hidden: number;
  outputDim: number;
  /** Per gate (input, forget, cell, output) in turn: [inputDim, hidden], [hidden, hidden] and [hidden], row-major. */
  wx: number[];
  wh: number[];
  b: number[];
  /** [hidden, outputDim] and [outputDim]: the mean step from the hidden state. */
  wo: number[];
  bo: number[];
  inputScale: number[];
  inputBound: number[];
  variance: number[];
}

interface Weights {
  wx: Tf.Tensor2D[];
  wh: Tf.Tensor2D[];
  b: Tf.Tensor1D[];
  wo: Tf.Tensor2D;
  bo: Tf.Tensor1D;
}

/** Sequences scored at once when only the means are needed: bounds the tensors of one pass. */
const MEANS_CHUNK = 1024;

export class LstmPolicyNetwork implements DistilledPolicy {
  readonly kind = 'lstm';
  wx: Float64Array;
  wh: Float64Array;
  b: Float64Array;
  wo: Float64Array;
  bo: Float64Array;
  inputScale: Float64Array;
  inputBound: Float64Array;
  variance: Float64Array;

  constructor(
    readonly inputDim: number,
    readonly hidden: number,
    readonly outputDim: number,
    rng: Rng | null,
  ) {
    const [I, H, O] = [inputDim, hidden, outputDim];
    const std = 1 / Math.sqrt(I + H);
    this.wx = rng ? rng.fork('wx').normalVector(4 * I * H, std) : new Float64Array(4 * I * H);
    this.wh = rng ? rng.fork('wh').normalVector(4 * H * H, std) : new Float64Array(4 * H * H);
    // A forget bias of 1 keeps the cell's memory early in training (the usual LSTM default).
    this.b = new Float64Array(4 * H);
    this.b.fill(1, H, 2 * H);
    // A small output layer, so the policy starts near "no step", as the feed-forward one does.
    this.wo = rng ? rng.fork('wo').normalVector(H * O, 0.1 / Math.sqrt(H)) : new Float64Array(H * O);
    this.bo = new Float64Array(O);
    this.inputScale = new Float64Array(I).fill(1);
    this.inputBound = new Float64Array(I).fill(1e6);
    this.variance = new Float64Array(O).fill(1);
  }

  /** The trainable arrays [wx, wh, b, wo, bo], live (tests perturb them). */
  get parameters(): Float64Array[] {
    return [this.wx, this.wh, this.b, this.wo, this.bo];
  }

  /**
   * The weights as tensors for one call, freed after it: uploading them costs little beside a pass,
   * and a policy that keeps no tensors needs no disposing by whoever holds it.
   */
  private withWeights<T>(f: (w: Weights) => T): T {
    const tf = tfjs();
    const [I, H, O] = [this.inputDim, this.hidden, this.outputDim];
    const block = (a: Float64Array, g: number, rows: number) => Float32Array.from(a.subarray(g * rows * H, (g + 1) * rows * H));
    const w: Weights = {
      wx: LSTM_GATES.map((_, g) => tf.tensor2d(block(this.wx, g, I), [I, H])),
      wh: LSTM_GATES.map((_, g) => tf.tensor2d(block(this.wh, g, H), [H, H])),
      b: LSTM_GATES.map((_, g) => tf.tensor1d(block(this.b, g, 1))),
      wo: tf.tensor2d(Float32Array.from(this.wo), [H, O]),
      bo: tf.tensor1d(Float32Array.from(this.bo)),
    };
    try {
      return f(w);
    } finally {
      tf.dispose([...w.wx, ...w.wh, ...w.b, w.wo, w.bo]);
    }
  }

  /** Nothing to free: the weights become tensors only for the length of a call. */
  disposeTensors(): void {}

  /** One LSTM step for a batch: x [B, I], h and c [B, H] → the next h and c, and the mean step [B, O]. */
  private cell(w: Weights, x: Tf.Tensor2D, h: Tf.Tensor2D, c: Tf.Tensor2D): { h: Tf.Tensor2D; c: Tf.Tensor2D; mean: Tf.Tensor2D } {
    const tf = tfjs();
    const gate = (g: number) => tf.add(tf.add(matMul(x, w.wx[g]), matMul(h, w.wh[g])), w.b[g]) as Tf.Tensor2D;
    // The gates stacked as four [B, H] blocks: the cell is elementwise (src/kernels/lstm-cell.ts).
    const next = lstmCell(tf.concat([0, 1, 2, 3].map(gate), 0) as Tf.Tensor2D, c);
    return { ...next, mean: tf.add(matMul(next.h, w.wo), w.bo) as Tf.Tensor2D };
  }

  /** Feature i of the row at `offset`, scaled by its training RMS and clipped to the range seen there. */
  private scaled(values: Float64Array, i: number, offset = 0): number {
    return scaledFeature(values[offset + i], this.inputScale[i], this.inputBound[i]);
  }

  /** Rows of observations, scaled, as a [rows, inputDim] float32 block. */
  private inputs(rows: number, row: (r: number) => { values: Float64Array; offset: number }): Float32Array {
    const I = this.inputDim;
    const z = new Float32Array(rows * I);
    for (let r = 0; r < rows; r++) {
      const { values, offset } = row(r);
      for (let i = 0; i < I; i++) z[r * I + i] = this.scaled(values, i, offset);
    }
    return z;
  }

  sequenceMeans(observations: Float64Array[][]): Float64Array[][] {
    const out: Float64Array[][] = observations.map((run) => run.map(() => new Float64Array(this.outputDim)));
    this.withWeights((w) => this.meansInto(out, observations, w));
    return out;
  }

  private meansInto(out: Float64Array[][], observations: Float64Array[][], w: Weights): void {
    const tf = tfjs();
    for (let start = 0; start < observations.length; start += MEANS_CHUNK) {
      const chunk = observations.slice(start, start + MEANS_CHUNK);
      const B = chunk.length;
      let h = tf.zeros([B, this.hidden]) as Tf.Tensor2D;
      let c = tf.zeros([B, this.hidden]) as Tf.Tensor2D;
      for (let t = 0; t < chunk[0].length; t++) {
        const x = this.inputs(B, (r) => ({ values: chunk[r][t], offset: 0 }));
        const next = tf.tidy(() => this.cell(w, tf.tensor2d(x, [B, this.inputDim]), h, c));
        const means = next.mean.dataSync();
        for (let r = 0; r < B; r++) for (let k = 0; k < this.outputDim; k++) out[start + r][t][k] = means[r * this.outputDim + k];
        tf.dispose([h, c, next.mean]);
        ({ h, c } = next);
      }
      tf.dispose([h, c]);
    }
  }

  /**
   * The hidden and cell states are kept as float32 arrays between steps, not tensors: a run needs
   * no disposing however it ends, for the price of two copies of [rows × cells] per step.
   */
  stepper(): PolicyStepper {
    const tf = tfjs();
    let state: { rows: number; h: Float32Array; c: Float32Array } | null = null;
    return {
      step: (states, rows, width) => {
        if (state && state.rows !== rows) throw new RangeError(`an LSTM run over ${state.rows} coordinates was given ${rows}`);
        const H = this.hidden;
        const x = this.inputs(rows, (r) => ({ values: states, offset: r * width }));
        const [mean, h, c] = this.withWeights((w) => tf.tidy(() => {
          const previous = state ?? { h: new Float32Array(rows * H), c: new Float32Array(rows * H) };
          const next = this.cell(w, tf.tensor2d(x, [rows, this.inputDim]), tf.tensor2d(previous.h, [rows, H]), tf.tensor2d(previous.c, [rows, H]));
          return [next.mean, next.h, next.c];
        }));
        state = { rows, h: h.dataSync() as Float32Array, c: c.dataSync() as Float32Array };
        const means = Float64Array.from(mean.dataSync());
        tf.dispose([mean, h, c]);
        return means;
      },
      dispose: () => {
        state = null;
      },
    };
  }

  /**
   * Minimizes the mean over rows of w ‖Uᵀ(μ_θ − μ̂)‖² by Adam on minibatches of whole sequences
   * (`batchSize` sequences per step, drawn with replacement), backpropagating through each
   * sequence's steps; returns the final full-data loss.
   */
  fit(data: DistillationData, options: FitOptions): number {
    const tf = tfjs();
    const set = this.sequenceSet(data);
    const S = set.count;
    const B = Math.min(options.batchSize, S);
    const variables = this.parameters.map((p) => {
      const initial = tf.tensor1d(Float32Array.from(p));
      const v = tf.variable(initial); // a copy: the initial tensor is freed
      initial.dispose();
      return v;
    });
    const optimizer = tf.train.adam(options.learningRate);
    try {
      for (let step = 0; step < options.iterations; step++) {
        const picks = Int32Array.from({ length: B }, () => options.rng.int(S));
        const batch = this.batchTensors(set, picks);
        optimizer.minimize(() => this.sequenceLoss(this.unflatten(variables), batch), false, variables);
        tf.dispose([...batch.x, batch.coefficients, batch.targets]);
      }
      variables.forEach((v, k) => this.parameters[k].set(v.dataSync()));
    } finally {
      tf.dispose(variables);
      optimizer.dispose();
    }
    return options.finalLoss === false ? NaN : this.loss(data);
  }

  /** The full-data loss (mean over rows of w ‖Uᵀ(μ_θ − μ̂)‖²) at the current weights. */
  loss(data: DistillationData): number {
    const set = this.sequenceSet(data);
    const means = this.sequenceMeans(set.observations);
    let total = 0;
    for (let s = 0; s < set.count; s++) {
      for (let t = 0; t < set.length; t++) {
        const d = means[s][t][0] - set.targets[s * set.length + t];
        total += set.coefficients[s * set.length + t] * d * d;
      }
    }
    return total / (set.count * set.length);
  }

  /** The distillation rows as sequences: observations [s][t], and per (s, t) the target and the coefficient w·U² (dU = 1). */
  private sequenceSet(data: DistillationData): { count: number; length: number; observations: Float64Array[][]; targets: Float64Array; coefficients: Float64Array } {
    if (this.outputDim !== 1) throw new RangeError('the LSTM policy steps one coordinate (outputDim 1)');
    const { sequences, steps } = data;
    if (!sequences || !steps) throw new RangeError('an LSTM policy is distilled on whole sequences: the data must say which sequence and step each row is');
    let count = 0;
    let length = 0;
    for (let r = 0; r < sequences.length; r++) {
      count = Math.max(count, sequences[r] + 1);
      length = Math.max(length, steps[r] + 1);
    }
    if (count * length !== sequences.length) throw new RangeError(`${sequences.length} rows do not make ${count} sequences of ${length} steps`);
    const observations: Float64Array[][] = Array.from({ length: count }, () => new Array<Float64Array>(length));
    const targets = new Float64Array(count * length);
    const coefficients = new Float64Array(count * length);
    // One output: row r's target and factor are entry r of the contiguous arrays, where given.
    const flat = data.contiguous;
    for (let r = 0; r < sequences.length; r++) {
      const at = sequences[r] * length + steps[r];
      observations[sequences[r]][steps[r]] = data.observations[r];
      targets[at] = flat ? flat.targets[r] : data.targets[r][0];
      coefficients[at] = data.weights[r] * (flat ? flat.precisionFactors[r] : data.precisionFactors[r][0]) ** 2;
    }
    return { count, length, observations, targets, coefficients };
  }

  /** The picked sequences as tensors: x per step [B, I], and the coefficients and targets [T, B]. */
  private batchTensors(set: ReturnType<LstmPolicyNetwork['sequenceSet']>, picks: Int32Array): { x: Tf.Tensor2D[]; coefficients: Tf.Tensor2D; targets: Tf.Tensor2D } {
    const tf = tfjs();
    const B = picks.length;
    const T = set.length;
    const coefficients = new Float32Array(T * B);
    const targets = new Float32Array(T * B);
    const x: Tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      x.push(tf.tensor2d(this.inputs(B, (r) => ({ values: set.observations[picks[r]][t], offset: 0 })), [B, this.inputDim]));
      for (let r = 0; r < B; r++) {
        coefficients[t * B + r] = set.coefficients[picks[r] * T + t];
        targets[t * B + r] = set.targets[picks[r] * T + t];
      }
    }
    return { x, coefficients: tf.tensor2d(coefficients, [T, B]), targets: tf.tensor2d(targets, [T, B]) };
  }

  /** The flat trainable variables as the per-gate weights of `cell`. */
  private unflatten(variables: Tf.Variable[]): Weights {
    const [I, H, O] = [this.inputDim, this.hidden, this.outputDim];
    const [wx, wh, b, wo, bo] = variables;
    return {
      wx: LSTM_GATES.map((_, g) => wx.slice(g * I * H, I * H).reshape([I, H]) as Tf.Tensor2D),
      wh: LSTM_GATES.map((_, g) => wh.slice(g * H * H, H * H).reshape([H, H]) as Tf.Tensor2D),
      b: LSTM_GATES.map((_, g) => b.slice(g * H, H) as Tf.Tensor1D),
      wo: wo.reshape([H, O]) as Tf.Tensor2D,
      bo: bo as Tf.Tensor1D,
    };
  }

  /** mean over (t, b) of coefficient · (μ − target)², the policy run from a zero state along each sequence. */
  private sequenceLoss(w: Weights, batch: { x: Tf.Tensor2D[]; coefficients: Tf.Tensor2D; targets: Tf.Tensor2D }): Tf.Scalar {
    const tf = tfjs();
    const B = batch.x[0].shape[0];
    let h = tf.zeros([B, this.hidden]) as Tf.Tensor2D;
    let c = tf.zeros([B, this.hidden]) as Tf.Tensor2D;
    const means: Tf.Tensor2D[] = [];
    for (const x of batch.x) {
      const next = this.cell(w, x, h, c);
      ({ h, c } = next);
      means.push(next.mean.reshape([1, B]) as Tf.Tensor2D);
    }
    const error = tf.sub(tf.concat(means, 0), batch.targets);
    return tf.mean(tf.mul(batch.coefficients, tf.square(error))) as Tf.Scalar;
  }

  toJSON(): LstmPolicyJson {
    const list = (a: Float64Array) => Array.from(a);
    return {
      kind: 'lstm',
      inputDim: this.inputDim,
      hidden: this.hidden,
      outputDim: this.outputDim,
      wx: list(this.wx),
      wh: list(this.wh),
      b: list(this.b),
      wo: list(this.wo),
      bo: list(this.bo),
      inputScale: list(this.inputScale),
      inputBound: list(this.inputBound),
      variance: list(this.variance),
    };
  }

  static fromJSON(json: LstmPolicyJson): LstmPolicyNetwork {
    const { inputDim: I, hidden: H, outputDim: O } = json;
    const expect: [keyof LstmPolicyJson, number][] = [
      ['wx', 4 * I * H],
      ['wh', 4 * H * H],
      ['b', 4 * H],
      ['wo', H * O],
      ['bo', O],
      ['inputScale', I],
      ['inputBound', I],
      ['variance', O],
    ];
    for (const [key, length] of expect) {
      const value = json[key];
      if (!Array.isArray(value) || value.length !== length || !value.every(Number.isFinite)) throw new Error(`LSTM policy: '${key}' must be ${length} finite numbers`);
    }
    const net = new LstmPolicyNetwork(I, H, O, null);
    for (const key of ['wx', 'wh', 'b', 'wo', 'bo', 'inputScale', 'inputBound', 'variance'] as const) net[key] = Float64Array.from(json[key]);
    return net;
  }
}
