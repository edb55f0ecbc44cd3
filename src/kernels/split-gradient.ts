// The distillation's minibatch gradient as two halves (docs/design.md §4): the first computed by this
// thread, the second by whichever thread claims it first, this one or a helper thread spinning on
// shared memory. The halves and their sum are the same whoever computes them, so a fit gives the
// same weights to the bit with a helper or without, and with any number of workers. A GPS
// iteration's four distillations are its largest serial part (the pool's other threads wait on
// them), and one step is about 0.1 ms: a round trip through a spinning worker costs 0.3 µs, where
// a message through the event loop would cost more than the step.
import { MlpDistillationKernel, type MlpShape } from './mlp-distillation.ts';

/** What a helper needs: the shared control block and the rows, as one fit's kernel holds them. */
export interface GradientHelperPayload {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  shape: MlpShape;
  rows: number;
  /** The largest half a step hands over. */
  capacity: number;
}

/** Starts a helper on another thread (a pool item running gradientHelper); it returns once the fit stops it. */
export type StartGradientHelper = (payload: GradientHelperPayload) => Promise<unknown>;

/** Above this many bytes of rows (observations, targets, factors, weights), a fit keeps to its own thread rather than copy them. */
export const HELPER_DATA_LIMIT = 512 * 2 ** 20;

// Int32 slots of the control block. STEP: the step whose weights and indices are published (0: none
// yet). CLAIM: the last step whose second half a thread took. DONE: the last step whose second half
// the helper wrote. STOP: the fit is over. COUNT: the rows of the published second half.
const STEP = 0;
const CLAIM = 1;
const DONE = 2;
const STOP = 3;
const COUNT = 4;
const HEADER_BYTES = 32;

/** Byte offsets of the control block's arrays, for P weights and a half of at most `capacity` rows. */
function controlLayout(parameters: number, capacity: number) {
  const weights = HEADER_BYTES;
  const gradient = weights + parameters * 8;
  const loss = gradient + parameters * 8;
  const indices = loss + 8;
  return { weights, gradient, loss, indices, bytes: indices + capacity * 4 };
}

function parameterCount({ inputs, hidden, outputs }: MlpShape): number {
  return inputs * hidden + hidden + hidden * outputs;
}

/** Views of [W1, b1, W2] laid end to end in `buffer` from `offset`. */
function parameterViews(buffer: ArrayBufferLike, offset: number, { inputs: I, hidden: H, outputs: O }: MlpShape): Float64Array[] {
  return [new Float64Array(buffer, offset, I * H), new Float64Array(buffer, offset + I * H * 8, H), new Float64Array(buffer, offset + (I * H + H) * 8, H * O)];
}

/** One fit's gradients: lossAndGradient over a minibatch, as the sum of its two halves. */
export class SplitGradient {
  private readonly control: Int32Array | null = null;
  private readonly sharedWeights: Float64Array[] = [];
  private readonly sharedGradient: Float64Array[] = [];
  private readonly sharedLoss: Float64Array | null = null;
  private readonly sharedIndices: Int32Array | null = null;
  /** This thread's halves. */
  private readonly first: Float64Array[];
  private readonly second: Float64Array[];
  private step = 0;
  /** The largest second half the control block holds. */
  private capacity = Infinity;
  private helper: Promise<unknown> | null = null;
  /** Second halves the helper computed (a diagnostic for the benchmark). */
  helped = 0;

  constructor(
    private readonly kernel: MlpDistillationKernel,
    private readonly shape: MlpShape,
    batch: number,
    start?: StartGradientHelper,
  ) {
    const P = parameterCount(shape);
    const views = () => parameterViews(new ArrayBuffer(P * 8), 0, shape);
    this.first = views();
    this.second = views();
    const half = batch >> 1;
    if (!start || half === 0) return;
    const data = kernel.sharedRows(HELPER_DATA_LIMIT);
    if (!data) return;
    const layout = controlLayout(P, half);
    this.capacity = half;
    const control = new SharedArrayBuffer(layout.bytes);
    this.control = new Int32Array(control, 0, HEADER_BYTES / 4);
    this.sharedWeights = parameterViews(control, layout.weights, shape);
    this.sharedGradient = parameterViews(control, layout.gradient, shape);
    this.sharedLoss = new Float64Array(control, layout.loss, 1);
    this.sharedIndices = new Int32Array(control, layout.indices, half);
    // A helper that fails (or never starts) leaves every half to this thread: the same numbers, later.
    this.helper = start({ control, data, shape, rows: kernel.rowCount, capacity: half }).catch(() => undefined);
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
    if (n2 > this.capacity) throw new RangeError(`a split gradient takes at most ${2 * this.capacity + 1} rows, got ${B}`);
    if (n2 === 0) {
      const loss = this.kernel.lossAndGradient(W1, b1, W2, indices, grads);
      meanwhile?.();
      return loss;
    }
    const step = ++this.step;
    const control = this.control;
    if (control) {
      this.sharedWeights[0].set(W1);
      this.sharedWeights[1].set(b1);
      this.sharedWeights[2].set(W2);
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
      this.helped++;
    }
    for (let p = 0; p < grads.length; p++) {
      const out = grads[p];
      const a = this.first[p];
      const b = second[p];
      for (let j = 0; j < out.length; j++) out[j] = (n1 * a[j] + n2 * b[j]) / B;
    }
    return (n1 * loss1 + n2 * loss2) / B;
  }

  /** Ends the fit: the helper returns (it is never inside a step here: every step it claimed was awaited). */
  async close(): Promise<void> {
    if (!this.control) return;
    Atomics.store(this.control, STOP, 1);
    await this.helper;
  }

  /** Stops the helper without waiting for its item to end (a fit that must return synchronously). */
  stop(): void {
    if (this.control) Atomics.store(this.control, STOP, 1);
  }
}

/**
 * Pool task: the helper's loop. It rebuilds the fit's kernel from the shared rows, then takes the
 * second half of each published step it can claim until the fit says stop; it returns the count.
 */
export function gradientHelper(payload: GradientHelperPayload): number {
  const { shape, rows, capacity } = payload;
  const control = new Int32Array(payload.control, 0, HEADER_BYTES / 4);
  if (Atomics.load(control, STOP)) return 0;
  const layout = controlLayout(parameterCount(shape), capacity);
  const kernel = MlpDistillationKernel.fromSharedRows(shape, payload.data, rows, capacity);
  const [W1, b1, W2] = parameterViews(payload.control, layout.weights, shape);
  const gradient = parameterViews(payload.control, layout.gradient, shape);
  const loss = new Float64Array(payload.control, layout.loss, 1);
  const indices = new Int32Array(payload.control, layout.indices, capacity);
  let seen = 0;
  let done = 0;
  let idleSince = performance.now();
  for (;;) {
    if (Atomics.load(control, STOP)) return done;
    const step = Atomics.load(control, STEP);
    if (step === seen) {
      // Between fits' steps the main thread may pause (a collection); after 50 ms of nothing, poll
      // every millisecond instead of spinning, so a stalled fit does not hold a core.
      if (performance.now() - idleSince > 50) Atomics.wait(control, STEP, step, 1);
      continue;
    }
    seen = step;
    idleSince = performance.now();
    if (Atomics.compareExchange(control, CLAIM, step - 1, step) !== step - 1) continue;
    loss[0] = kernel.lossAndGradient(W1, b1, W2, indices.subarray(0, Atomics.load(control, COUNT)), gradient);
    done++;
    Atomics.store(control, DONE, step);
  }
}

export const GRADIENT_HELPER_TASK = { module: import.meta.url, name: 'gradientHelper' };
