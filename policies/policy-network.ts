// The global policy π_θ(u|o) = N(μ_θ(o), diag σ²) that GPS distills the teachers into: one hidden
// layer of softplus units and a linear output (Li & Malik 2016). It is anchored at the origin,
// μ(o) = W2ᵀ[softplus(W1ᵀz + b1) − softplus(b1)] with z = o / scale (no centring): a zero history —
// a stationary point — gives a zero step, so the optimizer stays put at a minimum instead of
// drifting once the gradients vanish beyond the horizon it was trained on. Each scaled feature is
// clipped to the largest magnitude seen in training, so the policy never extrapolates linearly
// into steps far larger than any it learned (an overshoot grows Δf without bound).
// Training (Adam on the precision-weighted loss of docs/design.md §2 step 5) and evaluation both
// run in float64 JS: at this size a hand-written pass beats any tensor library's per-op overhead.
import type { Rng } from '../src/random.ts';
import { SoftplusMlpKernel } from '../src/kernels/softplus-mlp.ts';
import { MlpDistillationKernel, type MlpShape } from '../src/kernels/mlp-distillation.ts';
import { SplitGradient } from '../src/kernels/split-gradient.ts';
import { productNT, softplusLayer } from '../src/kernels/float64-kernels.ts';
import { Adam } from '../src/adam.ts';
import { scaledFeature, type DistillationData, type DistilledPolicy, type FitOptions, type PolicyStepper } from './distilled-policy.ts';

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
  /**
   * The other policies of an average (`PolicyNetwork.average`): each its own weights and input
   * scaling. Absent for one network.
   */
  members?: MemberJson[];
}

/** One averaged policy's network: its weights and the scaling of its own training. */
export type MemberJson = Pick<PolicyNetworkJson, 'W1' | 'b1' | 'W2' | 'inputScale' | 'inputBound'>;

export type { DistillationData, FitOptions } from './distilled-policy.ts';

/**
 * Rows from which the per-coordinate optimizer runs the network in float32: neural nets (the MNIST
 * net's 2,842 weights and up), not the 2016 families. The wasm pass is 8–17× faster from 64 rows up
 * (2,842 rows: 0.46 ms against 8.0 in float64, about 7.5 ms of each learned step at T = 400) and agrees
 * with the float64 pass to 2e-5 relative (docs/performance.md).
 */
export const FLOAT32_ROWS = 1024;

/**
 * meanBatch's intermediates, kept from call to call and grown as needed (this module is loaded once
 * per thread): a GPS linearization runs the network over every sample's observations, four new arrays
 * of rows × hidden per call, and each megabyte of them counts toward V8's next full collection. With
 * these kept (and the expected KL's product gone, matrix.ts), a 1-worker logreg iteration allocates
 * 616 instead of 756 MB of typed arrays (docs/performance.md). Every entry is written before it is read.
 */
const scratchArrays: Float64Array[] = [];
function scratch(slot: number, length: number): Float64Array {
  let array = scratchArrays[slot];
  if (!array || array.length < length) array = scratchArrays[slot] = new Float64Array(length);
  return array.length === length ? array : array.subarray(0, length);
}

/** Rows per call of the full-data distillation loss (a fit's last): its kernel holds a few arrays of rows × hidden. */
const LOSS_CHUNK = 4096;

export class PolicyNetwork implements DistilledPolicy {
  readonly kind = 'mlp';
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

  /**
   * The other networks of an average (empty for one network), each with its own weights and input
   * scaling: the policy steps by the mean of their actions and this one's.
   */
  private others: PolicyNetwork[] = [];

  /** Networks whose actions are averaged: 1, or as many as `average` was given. */
  get members(): number {
    return 1 + this.others.length;
  }

  /**
   * The policy that steps by the mean action of `networks` (of one shape, each read with its own
   * input scaling): the average of independently trained GPS runs (`l2o train --restarts K --combine
   * mean`). A learned policy is the mean of its teachers only near their states; on a test problem
   * unlike every training one each run extrapolates its own way, and the mean of a few is steadier
   * than any one of them (docs/gps.md, session 42). Its Σ_π is the members' mean; it is not trained further.
   */
  static average(networks: readonly PolicyNetwork[]): PolicyNetwork {
    const all = networks.flatMap((n) => [n, ...n.others]);
    const [first] = all;
    if (!first) throw new RangeError('PolicyNetwork.average needs at least one network');
    const misfit = all.find((n) => n.inputDim !== first.inputDim || n.hidden !== first.hidden || n.outputDim !== first.outputDim);
    if (misfit) throw new RangeError(`PolicyNetwork.average: networks of one shape only (${first.inputDim}-${first.hidden}-${first.outputDim} and ${misfit.inputDim}-${misfit.hidden}-${misfit.outputDim})`);
    const [head, ...rest] = all.map((n) => PolicyNetwork.fromJSON({ ...n.toJSON(), members: undefined }));
    head.others = rest;
    head.variance = Float64Array.from(head.variance, (_, i) => all.reduce((s, n) => s + n.variance[i], 0) / all.length);
    return head;
  }

  /** The mean over the members of `pass` (this network's alone when there is one). */
  private averaged(pass: (network: PolicyNetwork) => Float64Array): Float64Array {
    const own = pass(this);
    if (this.others.length === 0) return own;
    const sum = Float64Array.from(own);
    for (const other of this.others) {
      const out = pass(other);
      for (let i = 0; i < sum.length; i++) sum[i] += out[i];
    }
    for (let i = 0; i < sum.length; i++) sum[i] /= this.members;
    return sum;
  }

  /** μ_θ(o) in float64, from the first inputDim entries of `observation` (a longer state may be passed). */
  mean(observation: Float64Array): Float64Array {
    return this.meanBatch(observation, 1, observation.length);
  }

  /**
   * μ_θ of many inputs at once: row r is `inputs[r·stride .. r·stride + inputDim)`, scaled and
   * clipped as in training. The per-coordinate optimizer calls this once per step for every weight.
   */
  meanBatch(inputs: Float64Array, rows: number, stride: number = this.inputDim): Float64Array {
    return this.averaged((network) => network.ownMeanBatch(inputs, rows, stride));
  }

  /** meanBatch of this network alone. */
  private ownMeanBatch(inputs: Float64Array, rows: number, stride: number): Float64Array {
    const { inputDim: I, hidden: H, outputDim: O, W1, b1, W2 } = this;
    const J = I + 1;
    // [z 1]·[W1; b1], softplus, then W2ᵀ(softplus(a) − softplus(b1)), on the float64 wasm kernels.
    const z = scratch(0, rows * J);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < I; i++) z[r * J + i] = this.scaled(inputs, i, r * stride);
      z[r * J + I] = 1;
    }
    const w1t = new Float64Array(H * J);
    const w2t = new Float64Array(O * H);
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < I; i++) w1t[j * J + i] = W1[i * H + j];
      w1t[j * J + I] = b1[j];
      for (let k = 0; k < O; k++) w2t[k * H + j] = W2[j * O + k];
    }
    // softplus(b1) by the same kernel as the rows' (a zero input's a is b1 exactly).
    const anchor = new Float64Array(H);
    const unused = new Float64Array(H);
    softplusLayer(b1, 1, H, anchor, unused, unused);
    const activations = productNT(z, w1t, rows, H, J, scratch(1, rows * H));
    const sp = scratch(2, rows * H);
    const transposed = scratch(3, rows * H);
    softplusLayer(activations, rows, H, sp, transposed, transposed);
    // The anchor subtracted unit by unit, so that a zero input gives exactly a zero step.
    for (let r = 0; r < rows; r++) for (let j = 0; j < H; j++) sp[r * H + j] -= anchor[j];
    return productNT(sp, w2t, rows, O, H);
  }

  /**
   * μ_θ of `count` rows of `width` entries: in float64 (the same numbers as `mean` on each) below
   * FLOAT32_ROWS rows, in one float32 wasm SIMD call from there on (meanBatchFloat32). Per
   * coordinate at T = 400 the linearization reads 64,000 rows per group, 9.9 s of an iteration in float64.
   */
  meansOfRows(rows: Float64Array, count: number, width: number): Float64Array {
    return count >= FLOAT32_ROWS ? this.meanBatchFloat32(rows, count, width) : this.meanBatch(rows, count, width);
  }

  /** μ_θ at every step of each sequence: a feed-forward network reads each step alone, all in one pass (meansOfRows). */
  sequenceMeans(observations: Float64Array[][]): Float64Array[][] {
    if (observations.length === 0) return [];
    const T = observations[0].length;
    const width = observations[0][0].length;
    const rows = new Float64Array(observations.length * T * width);
    observations.forEach((run, n) => run.forEach((o, t) => rows.set(o, (n * T + t) * width)));
    const flat = this.meansOfRows(rows, observations.length * T, width);
    const O = this.outputDim;
    return observations.map((run, n) => run.map((_, t) => flat.slice((n * T + t) * O, (n * T + t + 1) * O)));
  }

  /** Every row in one pass by meansOfRows' rule. Nothing to carry. */
  stepper(): PolicyStepper {
    return {
      step: (states, rows, width) => this.meansOfRows(states, rows, width),
      // The float32 kernel's own memory, where meansOfRows takes that path (one network's: each of an average's reads its own).
      input: (rows, width) => (rows >= FLOAT32_ROWS && this.outputDim === 1 && this.others.length === 0 ? this.kernel().input(rows, width) : null),
      dispose: () => {},
    };
  }

  /**
   * meanBatch in float32, for the per-coordinate optimizer on a large net: the whole network in one
   * wasm SIMD kernel (src/kernels/softplus-mlp.wat), about 4.5 ms for the 22k-weight net's 1.1M
   * hidden units where tfjs's product and a JS softplus pass took 15. Agrees with meanBatch to
   * float32 rounding. The kernel has one output, as every per-coordinate policy; a wider network
   * takes the float64 pass.
   */
  meanBatchFloat32(inputs: Float64Array, rows: number, stride: number = this.inputDim): Float64Array {
    if (this.outputDim !== 1) return this.meanBatch(inputs, rows, stride);
    return this.averaged((network) => network.kernel().forward(inputs, rows, stride));
  }

  private kernelCache: { weights: Float64Array[]; kernel: SoftplusMlpKernel } | null = null;

  /**
   * The kernel loaded with the current weights, reloaded when any of them changed: fit rewrites them,
   * and `parameters` hands them out live. Comparing about a thousand numbers costs a microsecond.
   */
  private kernel(): SoftplusMlpKernel {
    const weights = [this.W1, this.b1, this.W2, this.inputScale, this.inputBound];
    const cached = this.kernelCache;
    if (cached && cached.weights.every((copy, k) => copy.length === weights[k].length && copy.every((w, i) => w === weights[k][i]))) return cached.kernel;
    const current = { inputs: this.inputDim, hidden: this.hidden, W1: this.W1, b1: this.b1, W2: this.W2, inputScale: this.inputScale, inputBound: this.inputBound };
    // The network's shape never changes, so one kernel serves every set of its weights.
    const kernel = cached?.kernel ?? new SoftplusMlpKernel(current);
    if (cached) kernel.load(current);
    this.kernelCache = { weights: weights.map((w) => w.slice()), kernel };
    return kernel;
  }

  /** The MLP keeps no tensors (its float32 pass is a wasm kernel of its own). */
  disposeTensors(): void {}

  /** Feature i of the input starting at `offset`, scaled by its training RMS and clipped to the range seen there. */
  private scaled(values: Float64Array, i: number, offset = 0): number {
    return scaledFeature(values[offset + i], this.inputScale[i], this.inputBound[i]);
  }

  /**
   * Minimizes mean_i w_i ‖Uᵢᵀ(μ_θ(o_i) − μ̂_i)‖² by minibatch Adam; returns the final full-data loss.
   * Forward and backward passes are written out in float64: the network is so small (about 1,300
   * weights at the logreg default) that tfjs's per-op overhead was most of its cost. Their products
   * and softplus run on float64 wasm kernels (src/kernels/mlp-distillation.ts; docs/performance.md
   * has the timings).
   */
  fit(data: DistillationData, options: FitOptions): number {
    if (this.others.length > 0) throw new Error('an average of trained policies (PolicyNetwork.average) is not distilled further');
    const n = data.observations.length;
    const batch = Math.min(options.batchSize, n);
    const kernel = this.fitKernel(data, Math.max(batch, Math.min(n, LOSS_CHUNK)));
    const params = [this.W1, this.b1, this.W2];
    const adam = new Adam(params.map((p) => p.length), options.learningRate);
    const grads = params.map((p) => new Float64Array(p.length));
    let indices = new Int32Array(batch);
    let next = new Int32Array(batch);
    const draw = (into: Int32Array) => {
      for (let i = 0; i < batch; i++) into[i] = options.rng.int(n);
    };
    const split = new SplitGradient(kernel, this.shape, batch, LOSS_CHUNK, options.gradientHelper);
    try {
      if (options.iterations > 0) draw(indices);
      for (let step = 0; step < options.iterations; step++) {
        // The next minibatch is drawn while a helper thread computes this one's second half.
        split.lossAndGradient(this.W1, this.b1, this.W2, indices, grads, () => step + 1 < options.iterations && draw(next));
        [indices, next] = [next, indices];
        adam.step(params, grads);
      }
      return options.finalLoss === false ? NaN : split.fullLoss(this.W1, this.b1, this.W2);
    } finally {
      split.stop();
    }
  }

  /**
   * Kernels holding the scaled observations of contiguous data, by its observation block: GPS fits
   * the same rows four times per iteration with new targets, and per coordinate at T = 400 scaling and
   * copying their million observations took 0.4 s of each fit. An entry goes when its block does.
   */
  private readonly fitKernels = new WeakMap<Float64Array, { kernel: MlpDistillationKernel; scale: Float64Array; bound: Float64Array; capacity: number }>();

  /** A kernel loaded with `data`: the one that already holds its observations, scaled as now, or a new one. */
  private fitKernel(data: DistillationData, capacity: number): MlpDistillationKernel {
    const block = data.contiguous?.observations;
    const cached = block && this.fitKernels.get(block);
    const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => v === b[i]);
    if (cached && cached.capacity === capacity && same(cached.scale, this.inputScale) && same(cached.bound, this.inputBound)) {
      cached.kernel.loadRows(data);
      return cached.kernel;
    }
    const kernel = new MlpDistillationKernel(this.shape, this.scaledObservations(data), data, capacity);
    if (block) this.fitKernels.set(block, { kernel, scale: this.inputScale.slice(), bound: this.inputBound.slice(), capacity });
    return kernel;
  }

  private get shape(): MlpShape {
    return { inputs: this.inputDim, hidden: this.hidden, outputs: this.outputDim };
  }

  /** Every row's observation, scaled as the network reads it (n × inputDim). */
  private scaledObservations(data: DistillationData): Float64Array {
    const n = data.observations.length;
    const I = this.inputDim;
    const { inputScale, inputBound } = this;
    const obs = new Float64Array(n * I);
    const flat = data.contiguous?.observations;
    if (flat && flat.length === n * I) {
      for (let r = 0; r < n; r++) for (let i = 0; i < I; i++) obs[r * I + i] = scaledFeature(flat[r * I + i], inputScale[i], inputBound[i]);
      return obs;
    }
    for (let r = 0; r < n; r++) {
      const o = data.observations[r];
      for (let i = 0; i < I; i++) obs[r * I + i] = scaledFeature(o[i], inputScale[i], inputBound[i]);
    }
    return obs;
  }

  /** The full-data loss and its gradient with respect to [W1, b1, W2] of this network alone (checked against differences in the tests). */
  lossGradient(data: DistillationData): { loss: number; gradients: Float64Array[] } {
    const n = data.observations.length;
    const kernel = new MlpDistillationKernel(this.shape, this.scaledObservations(data), data, n);
    const gradients = [this.W1, this.b1, this.W2].map((p) => new Float64Array(p.length));
    const loss = kernel.lossAndGradient(this.W1, this.b1, this.W2, Int32Array.from({ length: n }, (_, i) => i), gradients);
    return { loss, gradients };
  }

  /** The trainable weights [W1, b1, W2] of this network alone, live (for tests that perturb them). */
  get parameters(): Float64Array[] {
    return [this.W1, this.b1, this.W2];
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
      ...(this.others.length > 0 ? { members: this.others.map((o) => ({ W1: Array.from(o.W1), b1: Array.from(o.b1), W2: Array.from(o.W2), inputScale: Array.from(o.inputScale), inputBound: Array.from(o.inputBound) })) } : {}),
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
    net.others = (json.members ?? []).map((member, k) => {
      try {
        return PolicyNetwork.fromJSON({ ...member, inputDim, hidden, outputDim, variance: json.variance });
      } catch (err) {
        throw new Error((err as Error).message.replace('policy network: ', `policy network: members[${k}].`));
      }
    });
    net.W1 = Float64Array.from(json.W1);
    net.b1 = Float64Array.from(json.b1);
    net.W2 = Float64Array.from(json.W2);
    net.inputScale = Float64Array.from(json.inputScale);
    net.inputBound = Float64Array.from(json.inputBound);
    net.variance = Float64Array.from(json.variance);
    return net;
  }
}

