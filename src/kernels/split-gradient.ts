// The distillation's minibatch gradient as two halves (docs/design.md §4): the first computed by this
// thread, the second by whichever thread claims it first, this one or a helper thread spinning on
// shared memory; and the fit's closing full-data loss as chunks that both threads take in turn. The
// halves, the chunks and their sums are the same whoever computes them, so a fit gives the same
// weights and loss to the bit with a helper or without, and with any number of workers. A GPS
// iteration's four distillations are its largest serial part (the pool's other threads wait on
// them), and one step is about 0.1 ms: a round trip through a spinning worker costs 0.3 µs, where
// a message through the event loop would cost more than the step.
import { MlpDistillationKernel, type MlpShape, type SharedRows } from './mlp-distillation.ts';

/** What a helper needs: the shared control block and the rows, as one fit's kernel holds them. */
export interface GradientHelperPayload {
  control: SharedArrayBuffer;
  rows: SharedRows;
  shape: MlpShape;
  /** The largest half a step hands over, and the rows of a loss chunk. */
  half: number;
  chunk: number;
}

/** Starts a helper on another thread (a pool item running gradientHelper); it returns once the fit stops it. */
export type StartGradientHelper = (payload: GradientHelperPayload) => Promise<unknown>;

/** Above this many bytes of rows (observations, targets, factors, weights), a fit keeps to its own thread rather than copy them. */
export const HELPER_DATA_LIMIT = 512 * 2 ** 20;

// Int32 slots of the control block. STEP: the step whose weights and indices are published (0: none
// yet). CLAIM: the last step whose second half a thread took. DONE: the last step whose second half
// the helper wrote. STOP: the fit is over. COUNT: the rows of the published second half. PASS: set
// when the full-data loss's chunks are open; NEXT, the next chunk to take; FINISHED, chunks written.
const STEP = 0;
const CLAIM = 1;
const DONE = 2;
const STOP = 3;
const COUNT = 4;
const PASS = 5;
const NEXT = 6;
const FINISHED = 7;
const HEADER_BYTES = 32;

/** Byte offsets of the control block's arrays, for P weights, halves of at most `half` rows and `chunks` loss chunks. */
function controlLayout(parameters: number, half: number, chunks: number) {
  const weights = HEADER_BYTES;
  const gradient = weights + parameters * 8;
  const loss = gradient + parameters * 8;
  const chunkLosses = loss + 8;
  const indices = chunkLosses + chunks * 8;
  return { weights, gradient, loss, chunkLosses, indices, bytes: indices + half * 4 };
}

function parameterCount({ inputs, hidden, outputs }: MlpShape): number {
  return inputs * hidden + hidden + hidden * outputs;
}

/** Views of [W1, b1, W2] laid end to end in `buffer` from `offset`. */
function parameterViews(buffer: ArrayBufferLike, offset: number, { inputs: I, hidden: H, outputs: O }: MlpShape): Float64Array[] {
  return [new Float64Array(buffer, offset, I * H), new Float64Array(buffer, offset + I * H * 8, H), new Float64Array(buffer, offset + (I * H + H) * 8, H * O)];
}

/** The mean loss of rows [start, start + count) of a kernel's data. */
function chunkLoss(kernel: MlpDistillationKernel, W1: Float64Array, b1: Float64Array, W2: Float64Array, start: number, count: number): number {
  return kernel.lossAndGradient(W1, b1, W2, Int32Array.from({ length: count }, (_, i) => start + i), null);
}

/** One fit's gradients: lossAndGradient over a minibatch, as the sum of its two halves; and its closing full-data loss. */
export class SplitGradient {
  private readonly control: Int32Array | null = null;
  private readonly sharedWeights: Float64Array[] = [];
  private readonly sharedGradient: Float64Array[] = [];
  private readonly sharedLoss: Float64Array | null = null;
  private readonly sharedIndices: Int32Array | null = null;
  private readonly chunkLosses: Float64Array;
  /** This thread's halves. */
  private readonly first: Float64Array[];
  private readonly second: Float64Array[];
  private readonly half: number;
  private step = 0;

  /** `batch`: the minibatch's rows; `chunk`: the rows of a full-data loss chunk. */
  constructor(
    private readonly kernel: MlpDistillationKernel,
    shape: MlpShape,
    batch: number,
    private readonly chunk: number,
    start?: StartGradientHelper,
  ) {
    const P = parameterCount(shape);
    const views = () => parameterViews(new ArrayBuffer(P * 8), 0, shape);
    this.first = views();
    this.second = views();
    this.half = batch >> 1;
    const chunks = Math.ceil(kernel.rowCount / chunk);
    this.chunkLosses = new Float64Array(chunks);
    if (!start) return;
    const rows = kernel.sharedRows(HELPER_DATA_LIMIT);
    if (!rows) return;
    const layout = controlLayout(P, this.half, chunks);
    const control = new SharedArrayBuffer(layout.bytes);
    this.control = new Int32Array(control, 0, HEADER_BYTES / 4);
    this.sharedWeights = parameterViews(control, layout.weights, shape);
    this.sharedGradient = parameterViews(control, layout.gradient, shape);
    this.sharedLoss = new Float64Array(control, layout.loss, 1);
    this.chunkLosses = new Float64Array(control, layout.chunkLosses, chunks);
    this.sharedIndices = new Int32Array(control, layout.indices, this.half);
    // A helper that fails (or never starts) leaves everything to this thread: the same numbers, later.
    void start({ control, rows, shape, half: this.half, chunk }).catch(() => undefined);
  }

  private publishWeights(W1: Float64Array, b1: Float64Array, W2: Float64Array): void {
    this.sharedWeights[0].set(W1);
    this.sharedWeights[1].set(b1);
    this.sharedWeights[2].set(W2);
  }

  /**
   * The loss over `indices` and its gradient into `grads` ([W1, b1, W2]-shaped): each half's mean
   * weighted by its rows, (n₁·g₁ + n₂·g₂)/n, so that the sum does not depend on who computed what.
   * `meanwhile` runs once, after the first half, while the helper may still be on the second (the
   * fit draws the next minibatch there).
   */
  lossAndGradient(W1: Float64Array, b1: Float64Array, W2: Float64Array, indices: Int32Array, grads: Float64Array[], meanwhile?: () => void): number {
    const B = indices.length;
    const n1 = B - (B >> 1);
    const n2 = B >> 1;
    if (n2 > this.half) throw new RangeError(`a split gradient takes at most ${2 * this.half + 1} rows, got ${B}`);
    if (n2 === 0) {
      const loss = this.kernel.lossAndGradient(W1, b1, W2, indices, grads);
      meanwhile?.();
      return loss;
    }
    const step = ++this.step;
    const control = this.control;
    if (control) {
      this.publishWeights(W1, b1, W2);
      this.sharedIndices!.set(indices.subarray(n1));
      Atomics.store(control, COUNT, n2);
      Atomics.store(control, STEP, step);
    }
    const loss1 = this.kernel.lossAndGradient(W1, b1, W2, indices.subarray(0, n1), this.first);
    meanwhile?.();
    let loss2: number;
    let second = this.second;
    if (!control || Atomics.compareExchange(control, CLAIM, step - 1, step) === step - 1) {
      loss2 = this.kernel.lossAndGradient(W1, b1, W2, indices.subarray(n1), second);
    } else {
      while (Atomics.load(control, DONE) !== step);
      second = this.sharedGradient;
      loss2 = this.sharedLoss![0];
    }
    for (let p = 0; p < grads.length; p++) {
      const out = grads[p];
      const a = this.first[p];
      const b = second[p];
      for (let j = 0; j < out.length; j++) out[j] = (n1 * a[j] + n2 * b[j]) / B;
    }
    return (n1 * loss1 + n2 * loss2) / B;
  }

  /**
   * The loss over every row, chunk by chunk: Σ_c n_c·loss_c / n in chunk order, the chunks taken by
   * this thread and the helper as each comes free.
   */
  fullLoss(W1: Float64Array, b1: Float64Array, W2: Float64Array): number {
    const n = this.kernel.rowCount;
    const chunks = this.chunkLosses.length;
    const control = this.control;
    if (control) {
      this.publishWeights(W1, b1, W2);
      Atomics.store(control, NEXT, 0);
      Atomics.store(control, FINISHED, 0);
      Atomics.store(control, PASS, 1);
    }
    for (let next = 0; ; next++) {
      const c = control ? Atomics.add(control, NEXT, 1) : next;
      if (c >= chunks) break;
      this.chunkLosses[c] = chunkLoss(this.kernel, W1, b1, W2, c * this.chunk, Math.min(this.chunk, n - c * this.chunk));
      if (control) Atomics.add(control, FINISHED, 1);
    }
    if (control) while (Atomics.load(control, FINISHED) < chunks);
    let total = 0;
    for (let c = 0; c < chunks; c++) total += Math.min(this.chunk, n - c * this.chunk) * this.chunkLosses[c];
    return total / n;
  }

  /** Ends the fit: the helper returns at its next look (it is never inside a step or chunk here: each one it took was awaited). */
  stop(): void {
    if (this.control) Atomics.store(this.control, STOP, 1);
  }
}

/**
 * The helper's kernel, kept from fit to fit: GPS fits the same rows four times per iteration with new
 * targets, and per coordinate at T = 400 copying the million rows' observations again took longer
 * than the steps it then helped with.
 */
let kept: { key: string; version: number; capacity: number; kernel: MlpDistillationKernel } | null = null;

function helperKernel(payload: GradientHelperPayload): MlpDistillationKernel {
  const { rows, shape } = payload;
  const capacity = Math.max(payload.half, Math.min(rows.rows, payload.chunk));
  if (!kept || kept.key !== rows.key || kept.capacity < capacity) {
    kept = null; // the old kernel's memory goes before the new one's is taken
    kept = { key: rows.key, version: rows.version, capacity, kernel: MlpDistillationKernel.fromSharedRows(shape, rows, capacity) };
  } else if (kept.version !== rows.version) {
    kept.kernel.loadSharedRows(rows);
    kept.version = rows.version;
  }
  return kept.kernel;
}

/**
 * Pool task: the helper's loop. It takes the second half of each published step it can claim, and
 * the full-data loss's chunks once they open, until the fit says stop; it returns how many of each.
 */
export function gradientHelper(payload: GradientHelperPayload): { halves: number; chunks: number } {
  const { shape, half, chunk } = payload;
  const control = new Int32Array(payload.control, 0, HEADER_BYTES / 4);
  const done = { halves: 0, chunks: 0 };
  if (Atomics.load(control, STOP)) return done;
  const kernel = helperKernel(payload);
  const n = payload.rows.rows;
  const chunks = Math.ceil(n / chunk);
  const layout = controlLayout(parameterCount(shape), half, chunks);
  const [W1, b1, W2] = parameterViews(payload.control, layout.weights, shape);
  const gradient = parameterViews(payload.control, layout.gradient, shape);
  const loss = new Float64Array(payload.control, layout.loss, 1);
  const chunkLosses = new Float64Array(payload.control, layout.chunkLosses, chunks);
  const indices = new Int32Array(payload.control, layout.indices, half);
  let seen = 0;
  let idleSince = performance.now();
  for (;;) {
    if (Atomics.load(control, STOP)) return done;
    if (Atomics.load(control, PASS)) {
      for (let c = Atomics.add(control, NEXT, 1); c < chunks; c = Atomics.add(control, NEXT, 1)) {
        chunkLosses[c] = chunkLoss(kernel, W1, b1, W2, c * chunk, Math.min(chunk, n - c * chunk));
        done.chunks++;
        Atomics.add(control, FINISHED, 1);
      }
      // Nothing follows the loss pass but the fit's end.
      while (!Atomics.load(control, STOP)) Atomics.wait(control, STOP, 0, 1);
      return done;
    }
    const step = Atomics.load(control, STEP);
    if (step === seen) {
      // The main thread may pause between steps (a collection); after 50 ms of nothing, poll every
      // millisecond instead of spinning, so a stalled fit does not hold a core.
      if (performance.now() - idleSince > 50) Atomics.wait(control, STEP, step, 1);
      continue;
    }
    seen = step;
    idleSince = performance.now();
    if (Atomics.compareExchange(control, CLAIM, step - 1, step) !== step - 1) continue;
    loss[0] = kernel.lossAndGradient(W1, b1, W2, indices.subarray(0, Atomics.load(control, COUNT)), gradient);
    done.halves++;
    Atomics.store(control, DONE, step);
  }
}

export const GRADIENT_HELPER_TASK = { module: import.meta.url, name: 'gradientHelper' };
