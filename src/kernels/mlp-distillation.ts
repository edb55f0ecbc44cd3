// The GPS policy network's distillation step (policies/policy-network.ts) on the float64 wasm kernels
// of float64-kernels.wat, with the data resident: one instance of the module per fit holds the scaled
// observations, targets, precision factors and weights for its whole run, so a minibatch step copies
// only its row indices and the network's weights in and the gradients out. Copying each operand in
// and out of the shared instance, and the minibatch's gathers and loss in typed-array loops, were half
// of a step (docs/performance.md).
import { newFloat64Kernels, type Float64KernelExports } from './float64-kernels.ts';
import { threadId } from 'node:worker_threads';
import { sigmoid, softplus } from '../vector.ts';

/** A kernel's rows in shared memory (sharedRows): which kernel's (`key`) and which of its loadRows (`version`). */
export interface SharedRows {
  buffer: SharedArrayBuffer;
  rows: number;
  key: string;
  version: number;
}

/** Kernels made in this thread, for their keys. */
let kernels = 0;

/** Views of shared rows' observations and of the rest as the constructor and loadRows take them. */
function sharedRowViews({ inputs: I, outputs: O }: MlpShape, shared: SharedRows): { observations: Float64Array; rows: DistillationRows } {
  const n = shared.rows;
  const view = (offset: number, length: number) => new Float64Array(shared.buffer, offset * 8, length);
  const targets = view(n * I, n * O);
  const precisionFactors = view(n * I + n * O, n * O * O);
  const weights = view(n * I + n * O + n * O * O, n);
  return { observations: view(0, n * I), rows: { targets: [], precisionFactors: [], weights, contiguous: { targets, precisionFactors } } };
}

export interface MlpShape {
  inputs: number;
  hidden: number;
  outputs: number;
}

/** Per data row: the target mean, Uᵀ with P = U·Uᵀ (outputs×outputs, row-major) and the weight; optionally all rows' targets and factors contiguous. */
export interface DistillationRows {
  targets: Float64Array[];
  precisionFactors: Float64Array[];
  weights: Float64Array;
  contiguous?: { targets: Float64Array; precisionFactors: Float64Array };
}

/**
 * One fit's weighted distillation loss mean_r w_r‖U_rᵀ(μ_θ(o_r) − μ̂_r)‖² and its gradient for the
 * anchored softplus MLP μ_θ(o) = W2ᵀ[softplus(W1ᵀz + b1) − softplus(b1)], over any rows of its data.
 */
export class MlpDistillationKernel {
  private readonly wasm: Float64KernelExports;
  /** Byte offsets of each array in the instance's memory. */
  private readonly at: Record<string, number> = {};
  private heap: Float64Array;
  private readonly capacity: number;
  /** The rows its data holds. */
  private readonly rows: number;
  /** softplus(b1) and its slope sigmoid(b1), from the weights last loaded. */
  private readonly anchor: Float64Array;
  private readonly anchorSlope: Float64Array;
  /** Its rows in shared memory, once a helper thread has asked for them, and the loadRows they hold. */
  private shared: SharedArrayBuffer | null = null;
  private sharedVersion = -1;
  /** Which kernel and which loadRows: a helper keeps its copy of the rows while these match. */
  private readonly key = `${process.pid}/${threadId}/${++kernels}`;
  private version = 0;

  /**
   * `observations` are the n scaled inputs (n × inputs, row-major); at most `capacity` rows go into
   * one call.
   */
  constructor(
    private readonly shape: MlpShape,
    observations: Float64Array,
    data: DistillationRows,
    capacity: number,
  ) {
    const { inputs: I, hidden: H, outputs: O } = shape;
    const n = data.weights.length;
    const J = I + 1;
    const B = capacity;
    this.capacity = capacity;
    this.anchor = new Float64Array(H);
    this.anchorSlope = new Float64Array(H);
    const sizes: [string, number][] = [
      ['observations', n * I],
      ['targets', n * O],
      ['factors', n * O * O],
      ['weights', n],
      ['indices', Math.ceil(B / 2)],
      ['w1t', H * J],
      ['w2t', O * H],
      ['W2', H * O],
      ['offsets', O],
      ['rows', B * J],
      ['columns', J * B],
      ['pre', B * H],
      ['act', B * H],
      ['actT', H * B],
      ['slopeT', H * B],
      ['mu', B * O],
      ['dOut', B * O],
      ['dOutT', O * B],
      ['dhT', H * B],
      ['extended', J * H],
      ['gW2', H * O],
      ['whitened', O],
    ];
    let entries = 0;
    for (const [name, size] of sizes) {
      this.at[name] = entries * 8;
      entries += (size + 1) & ~1; // 16-byte aligned
    }
    this.wasm = newFloat64Kernels();
    const bytes = entries * 8;
    const have = this.wasm.memory.buffer.byteLength;
    if (bytes > have) this.wasm.memory.grow(Math.ceil((bytes - have) / 65536));
    this.heap = new Float64Array(this.wasm.memory.buffer);
    const heap = this.heap;
    heap.set(observations.subarray(0, n * I), this.at.observations / 8);
    this.rows = n;
    this.loadRows(data);
  }

  /** The rows it holds. */
  get rowCount(): number {
    return this.rows;
  }

  /**
   * Its rows in shared memory for a helper thread (split-gradient.ts): [observations | targets |
   * factors | weights], row-major, refreshed after loadRows; null above `limit` bytes.
   */
  sharedRows(limit: number): SharedRows | null {
    const { inputs: I, outputs: O } = this.shape;
    const n = this.rows;
    const total = n * I + n * O + n * O * O + n;
    if (total * 8 > limit) return null;
    let buffer = this.shared;
    if (!buffer) {
      buffer = this.shared = new SharedArrayBuffer(total * 8);
      new Float64Array(buffer, 0, n * I).set(this.heap.subarray(this.at.observations / 8, this.at.observations / 8 + n * I));
      this.sharedVersion = -1;
    }
    if (this.sharedVersion !== this.version) {
      const rest = new Float64Array(buffer, n * I * 8);
      rest.set(this.heap.subarray(this.at.targets / 8, this.at.targets / 8 + n * O), 0);
      rest.set(this.heap.subarray(this.at.factors / 8, this.at.factors / 8 + n * O * O), n * O);
      rest.set(this.heap.subarray(this.at.weights / 8, this.at.weights / 8 + n), n * O + n * O * O);
      this.sharedVersion = this.version;
    }
    return { buffer, rows: n, key: this.key, version: this.version };
  }

  /** A kernel on rows another thread's kernel shared (sharedRows), for minibatches of at most `capacity` rows. */
  static fromSharedRows(shape: MlpShape, shared: SharedRows, capacity: number): MlpDistillationKernel {
    const { observations, rows } = sharedRowViews(shape, shared);
    return new MlpDistillationKernel(shape, observations, rows, capacity);
  }

  /** Reloads the targets, factors and weights of shared rows whose observations it already holds. */
  loadSharedRows(shared: SharedRows): void {
    this.loadRows(sharedRowViews(this.shape, shared).rows);
  }

  /** Writes the rows' targets, precision factors and weights (the observations stay): GPS refits the same rows with new targets. */
  loadRows(data: DistillationRows): void {
    const { outputs: O } = this.shape;
    const n = this.rows;
    if (data.weights.length !== n) throw new RangeError(`the kernel holds ${n} rows, not ${data.weights.length}`);
    const heap = this.heap;
    const targets = this.at.targets / 8;
    const factors = this.at.factors / 8;
    const O2 = O * O;
    const flat = data.contiguous;
    if (flat && flat.targets.length === n * O && flat.precisionFactors.length === n * O2) {
      heap.set(flat.targets, targets);
      heap.set(flat.precisionFactors, factors);
    } else {
      // Entry by entry: per coordinate the rows are a million vectors of one or a few entries, where
      // a typed-array set() per row cost more than the copy.
      for (let r = 0; r < n; r++) {
        const target = data.targets[r];
        const factor = data.precisionFactors[r];
        for (let k = 0; k < O; k++) heap[targets + r * O + k] = target[k];
        for (let k = 0; k < O2; k++) heap[factors + r * O2 + k] = factor[k];
      }
    }
    heap.set(data.weights.subarray(0, n), this.at.weights / 8);
    this.version++;
  }

  /** Writes the network's weights (W1 inputs×hidden, b1, W2 hidden×outputs) where the products read them. */
  private load(W1: Float64Array, b1: Float64Array, W2: Float64Array): void {
    const { inputs: I, hidden: H, outputs: O } = this.shape;
    const J = I + 1;
    const heap = this.heap;
    const w1t = this.at.w1t / 8;
    const w2t = this.at.w2t / 8;
    const offsets = this.at.offsets / 8;
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < I; i++) heap[w1t + j * J + i] = W1[i * H + j];
      heap[w1t + j * J + I] = b1[j];
      this.anchor[j] = softplus(b1[j]);
      this.anchorSlope[j] = sigmoid(b1[j]);
    }
    heap.set(W2, this.at.W2 / 8);
    for (let k = 0; k < O; k++) {
      // μ = W2ᵀ(softplus(a) − softplus(b1)): the anchor's part is the same for every row.
      let s = 0;
      for (let j = 0; j < H; j++) {
        heap[w2t + k * H + j] = W2[j * O + k];
        s += W2[j * O + k] * this.anchor[j];
      }
      heap[offsets + k] = s;
    }
  }

  /**
   * The weighted loss mean_r w‖Uᵀ(μ(o_r) − μ̂_r)‖² over the rows `indices` and, with `grads`
   * ([W1, b1, W2]-shaped), its gradient.
   */
  lossAndGradient(W1: Float64Array, b1: Float64Array, W2: Float64Array, indices: Int32Array, grads: Float64Array[] | null): number {
    const { inputs: I, hidden: H, outputs: O } = this.shape;
    const J = I + 1;
    const B = indices.length;
    if (B > this.capacity) throw new RangeError(`a distillation call takes at most ${this.capacity} rows, got ${B}`);
    const { wasm, at } = this;
    this.load(W1, b1, W2);
    new Int32Array(this.wasm.memory.buffer, at.indices, B).set(indices);
    wasm.gatherRows(at.observations, I, at.indices, B, at.rows, grads ? at.columns : 0);
    // a = [Z 1]·[W1; b1], softplus and its slope, μ = softplus(a)·W2 (offset by the anchor)
    wasm.gemmNT(at.rows, at.w1t, at.pre, B, H, J, 0);
    wasm.softplusLayer(at.pre, B, H, at.act, at.actT, at.slopeT);
    wasm.gemmNT(at.act, at.w2t, at.mu, B, O, H, 0);
    const loss = wasm.weightedLoss(at.mu, at.offsets, at.targets, at.factors, at.weights, at.indices, B, O, at.dOut, at.dOutT, at.whitened, grads ? 1 : 0);
    if (!grads) return loss;
    const [gW1, gb1, gW2] = grads;
    const heap = this.heap;
    // dhᵀ = W2·dμᵀ (H×B), dPreᵀ = dhᵀ ∘ softplus′ in place, then [Z 1]ᵀ·dPre: gW1 and, in its last
    // row, Σ_r dPre_rj for b1; gW2 = softplus(a)ᵀ·dμ.
    wasm.gemmNT(at.W2, at.dOut, at.dhT, H, B, O, 0);
    // The anchor −softplus(b1) sends −Σ_r dh_rj·sigmoid(b1_j) back to b1 and −softplus(b1_j)·Σ_r dμ_r to W2.
    const outputSums = new Float64Array(O);
    const dOutT = at.dOutT / 8;
    for (let k = 0; k < O; k++) for (let r = 0; r < B; r++) outputSums[k] += heap[dOutT + k * B + r];
    wasm.multiplyInPlace(at.dhT, at.slopeT, H * B);
    wasm.gemmNT(at.columns, at.dhT, at.extended, J, H, B, 0);
    wasm.gemmNT(at.actT, at.dOutT, at.gW2, H, O, B, 0);
    const extended = at.extended / 8;
    gW1.set(heap.subarray(extended, extended + I * H));
    const W2at = at.W2 / 8;
    for (let j = 0; j < H; j++) {
      let dhSum = 0;
      for (let k = 0; k < O; k++) dhSum += heap[W2at + j * O + k] * outputSums[k];
      gb1[j] = heap[extended + I * H + j] - dhSum * this.anchorSlope[j];
    }
    const gW2at = at.gW2 / 8;
    for (let j = 0; j < H; j++) for (let k = 0; k < O; k++) gW2[j * O + k] = heap[gW2at + j * O + k] - this.anchor[j] * outputSums[k];
    return loss;
  }
}
