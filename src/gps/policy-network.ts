// The global policy π_θ(u|o) = N(μ_θ(o), diag σ²) that GPS distills the teachers into: one hidden
// layer of softplus units and a linear output (Li & Malik 2016). It is anchored at the origin,
// μ(o) = W2ᵀ[softplus(W1ᵀz + b1) − softplus(b1)] with z = o / scale (no centring): a zero history —
// a stationary point — gives a zero step, so the optimizer stays put at a minimum instead of
// drifting once the gradients vanish beyond the horizon it was trained on. Each scaled feature is
// clipped to the largest magnitude seen in training, so the policy never extrapolates linearly
// into steps far larger than any it learned (an overshoot grows Δf without bound).
// Training runs in tfjs (Adam on the precision-weighted loss of DESIGN §2 step 5); evaluation runs
// in float64 JS on a copy of the weights, because GPS and the evaluator query it one state at a time.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random.ts';
import { softplus } from '../vector.ts';

export interface PolicyNetworkJson {
  inputDim: number;
  hidden: number;
  outputDim: number;
  W1: number[];
  b1: number[];
  W2: number[];
  inputScale: number[];
  inputBound: number[];
  variance: number[];
}

/** One distillation data set: rows are (observation, target mean, target precision factor, weight). */
export interface DistillationData {
  observations: Float64Array[];
  targets: Float64Array[];
  /** Uᵀ with P = U·Uᵀ, row-major dU×dU, so that dᵀPd = ‖Uᵀd‖². */
  precisionFactors: Float64Array[];
  weights: Float64Array;
}

export interface FitOptions {
  iterations: number;
  batchSize: number;
  learningRate: number;
  rng: Rng;
}

export class PolicyNetwork {
  private W1: Float64Array; // [inputDim, hidden]
  private b1: Float64Array;
  private W2: Float64Array; // [hidden, outputDim]
  /** Per-feature RMS of the training observations (padding excluded). */
  inputScale: Float64Array;
  /** Per-feature bound on |o / scale|: the largest seen in training (1e6, i.e. none, until fitted). */
  inputBound: Float64Array;
  /** The diagonal of Σ_π. */
  variance: Float64Array;

  constructor(
    readonly inputDim: number,
    readonly hidden: number,
    readonly outputDim: number,
    rng: Rng | null,
  ) {
    // Glorot-normal weights, zero biases; the output layer starts small so π begins near "no step".
    const std1 = Math.sqrt(2 / (inputDim + hidden));
    const std2 = 0.1 * Math.sqrt(2 / (hidden + outputDim));
    this.W1 = rng ? rng.normalVector(inputDim * hidden, std1) : new Float64Array(inputDim * hidden);
    this.b1 = new Float64Array(hidden);
    this.W2 = rng ? rng.normalVector(hidden * outputDim, std2) : new Float64Array(hidden * outputDim);
    this.inputScale = new Float64Array(inputDim).fill(1);
    this.inputBound = new Float64Array(inputDim).fill(1e6);
    this.variance = new Float64Array(outputDim).fill(1);
  }

  /** μ_θ(o) in float64, from the first inputDim entries of `observation` (a longer state may be passed). */
  mean(observation: Float64Array): Float64Array {
    const { inputDim, hidden, outputDim } = this;
    const z = new Float64Array(inputDim);
    for (let i = 0; i < inputDim; i++) z[i] = this.scaled(observation, i);
    const h = Float64Array.from(this.b1);
    for (let i = 0; i < inputDim; i++) {
      const zi = z[i];
      if (zi === 0) continue;
      for (let j = 0; j < hidden; j++) h[j] += zi * this.W1[i * hidden + j];
    }
    const out = new Float64Array(outputDim);
    for (let j = 0; j < hidden; j++) {
      const a = softplus(h[j]) - softplus(this.b1[j]);
      for (let k = 0; k < outputDim; k++) out[k] += a * this.W2[j * outputDim + k];
    }
    return out;
  }

  private scaled(observation: Float64Array, i: number): number {
    const z = observation[i] / this.inputScale[i];
    const bound = this.inputBound[i];
    return z > bound ? bound : z < -bound ? -bound : z;
  }

  /** Minimizes mean_i w_i ‖Uᵢᵀ(μ_θ(o_i) − μ̂_i)‖² by minibatch Adam; returns the final full-data loss. */
  fit(data: DistillationData, options: FitOptions): number {
    const n = data.observations.length;
    const { inputDim, hidden, outputDim } = this;
    const obs = new Float32Array(n * inputDim);
    const targets = new Float32Array(n * outputDim);
    const factors = new Float32Array(n * outputDim * outputDim);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < inputDim; i++) obs[r * inputDim + i] = this.scaled(data.observations[r], i);
      targets.set(data.targets[r], r * outputDim);
      factors.set(data.precisionFactors[r], r * outputDim * outputDim);
    }
    const all = {
      obs: tf.tensor2d(obs, [n, inputDim]),
      targets: tf.tensor2d(targets, [n, outputDim]),
      factors: tf.tensor3d(factors, [n, outputDim, outputDim]),
      weights: tf.tensor1d(Float32Array.from(data.weights)),
    };
    // Inside tidy so the initial-value tensors are freed; the variables themselves survive it.
    const vars = tf.tidy(() => ({
      W1: tf.variable(tf.tensor2d(Float32Array.from(this.W1), [inputDim, hidden])),
      b1: tf.variable(tf.tensor1d(Float32Array.from(this.b1))),
      W2: tf.variable(tf.tensor2d(Float32Array.from(this.W2), [hidden, outputDim])),
    }));
    const optimizer = tf.train.adam(options.learningRate);
    const loss = (o: tf.Tensor2D, y: tf.Tensor2D, U: tf.Tensor3D, w: tf.Tensor1D): tf.Scalar => {
      const mu = tf.softplus(o.matMul(vars.W1).add(vars.b1)).sub(tf.softplus(vars.b1)).matMul(vars.W2);
      const diff = mu.sub(y).reshape([-1, 1, outputDim]);
      // (Uᵀd)_a = Σ_b Uᵀ[a, b]·d_b
      const whitened = U.mul(diff).sum(2);
      return whitened.square().sum(1).mul(w).mean() as tf.Scalar;
    };
    const batch = Math.min(options.batchSize, n);
    const indices = new Int32Array(batch);
    try {
      for (let step = 0; step < options.iterations; step++) {
        for (let i = 0; i < batch; i++) indices[i] = options.rng.int(n);
        tf.tidy(() => {
          const idx = tf.tensor1d(indices, 'int32');
          const o = all.obs.gather(idx) as tf.Tensor2D;
          const y = all.targets.gather(idx) as tf.Tensor2D;
          const U = all.factors.gather(idx) as tf.Tensor3D;
          const w = all.weights.gather(idx) as tf.Tensor1D;
          optimizer.minimize(() => loss(o, y, U, w), false, [vars.W1, vars.b1, vars.W2]);
        });
      }
      const finalLoss = tf.tidy(() => loss(all.obs, all.targets, all.factors, all.weights));
      const value = finalLoss.dataSync()[0];
      finalLoss.dispose();
      this.W1 = Float64Array.from(vars.W1.dataSync());
      this.b1 = Float64Array.from(vars.b1.dataSync());
      this.W2 = Float64Array.from(vars.W2.dataSync());
      return value;
    } finally {
      optimizer.dispose();
      tf.dispose([all.obs, all.targets, all.factors, all.weights, vars.W1, vars.b1, vars.W2]);
    }
  }

  toJSON(): PolicyNetworkJson {
    return {
      inputDim: this.inputDim,
      hidden: this.hidden,
      outputDim: this.outputDim,
      W1: Array.from(this.W1),
      b1: Array.from(this.b1),
      W2: Array.from(this.W2),
      inputScale: Array.from(this.inputScale),
      inputBound: Array.from(this.inputBound),
      variance: Array.from(this.variance),
    };
  }

  static fromJSON(json: PolicyNetworkJson): PolicyNetwork {
    const { inputDim, hidden, outputDim } = json;
    const expect: [keyof PolicyNetworkJson, number][] = [
      ['W1', inputDim * hidden],
      ['b1', hidden],
      ['W2', hidden * outputDim],
      ['inputScale', inputDim],
      ['inputBound', inputDim],
      ['variance', outputDim],
    ];
    for (const [key, length] of expect) {
      const value = json[key];
      if (!Array.isArray(value) || value.length !== length || !value.every(Number.isFinite)) {
        throw new Error(`policy network: '${key}' must be ${length} finite numbers`);
      }
    }
    const net = new PolicyNetwork(inputDim, hidden, outputDim, null);
    net.W1 = Float64Array.from(json.W1);
    net.b1 = Float64Array.from(json.b1);
    net.W2 = Float64Array.from(json.W2);
    net.inputScale = Float64Array.from(json.inputScale);
    net.inputBound = Float64Array.from(json.inputBound);
    net.variance = Float64Array.from(json.variance);
    return net;
  }
}
