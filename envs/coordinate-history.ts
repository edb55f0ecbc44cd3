// The per-coordinate state of Li & Malik (2017)'s shared optimizer: coordinate j at step t sees,
// for each lag i < H, its gradient ∇_j f(x_{t−i}), its step x_{t−i,j} − x_{t−i−1,j} and the shared
// relative change of the objective (f(x_{t−i}) − f(x_{t−i−1})) / |f(x_{t−i−1})|. Layout: three
// entries per lag, [3i] gradient, [3i+1] step, [3i+2] relative change; entries before x_0 are zero.
//
// Gradient scaling 'adagrad' divides each gradient by √(Σ_{s≤t} ∇_j f(x_s)²), the coordinate's
// AdaGrad accumulator at the time it was seen, so the features, and with them a linear teacher's
// steps, do not depend on the gradient's scale: on robust regression a start far from the data
// lies where the raw gradient is ~1e-3 and a rule linear in it barely moves. The cost model still
// needs the raw gradient, so that state carries it as one last entry, which the policy does not see.

import { AdagradAccumulator, divideByRoot } from './history-scaling.ts';
import type { CoordinateFeatures } from './coordinate-features.ts';

export const FEATURES_PER_LAG = 3;

/** Rows statesInto writes at a time (256 rows of 16 entries are 32 kB). */
const STATE_BLOCK = 256;

export type GradientScaling = 'none' | 'adagrad';

/** Entries of the teacher state: the policy's 3H features, plus the raw gradient where they are scaled. */
export function coordinateStateDim(historyLength: number, scaling: GradientScaling = 'none'): number {
  return FEATURES_PER_LAG * historyLength + (scaling === 'adagrad' ? 1 : 0);
}

/** Where the state holds the current raw gradient ∇_j f(x_t). */
export function rawGradientIndex(historyLength: number, scaling: GradientScaling): number {
  return scaling === 'adagrad' ? FEATURES_PER_LAG * historyLength : 0;
}

/** Zero padding at step t: the gradient at lag i needs t ≥ i, the step and the change t ≥ i + 1. */
export function coordinatePadding(index: number, t: number): boolean {
  const lag = Math.floor(index / FEATURES_PER_LAG);
  return index % FEATURES_PER_LAG === 0 ? lag > t : lag + 1 > t;
}

/** The oldest of `list`'s arrays when the list is full (removed from it), else a new one of `length`. */
function reusable(list: Float64Array[], capacity: number, length: number): Float64Array {
  const oldest = list.length >= capacity ? list.pop() : undefined;
  return oldest?.length === length ? oldest : new Float64Array(length);
}

export class CoordinateHistory implements CoordinateFeatures {
  private readonly gradients: Float64Array[] = []; // newest first, scaled as asked
  private readonly steps: Float64Array[] = [];
  private readonly changes: number[] = [];
  private previous: { x: Float64Array; value: number } | null = null;
  private readonly accumulator = new AdagradAccumulator();
  private rawGradient: Float64Array | null = null; // kept only where the history holds scaled ones
  private roots = new Float64Array(0);

  readonly stateDim: number;
  /** The policy sees the 3H features, not the raw gradient a scaled state carries last. */
  readonly observationDim: number;
  readonly rawGradientIndex: number;

  constructor(
    readonly historyLength: number,
    readonly scaling: GradientScaling = 'none',
  ) {
    this.stateDim = coordinateStateDim(historyLength, scaling);
    this.observationDim = FEATURES_PER_LAG * historyLength;
    this.rawGradientIndex = rawGradientIndex(historyLength, scaling);
  }

  isPadding(index: number, t: number): boolean {
    return coordinatePadding(index, t);
  }

  /** Records x_t, f(x_t) and ∇f(x_t). */
  push(x: Float64Array, value: number, gradient: Float64Array): void {
    const H = this.historyLength;
    // The lag that falls off the end lends its array to the new one: a step on a 22k-weight net
    // allocated five arrays of the net's size, which the GC then had to collect.
    this.gradients.unshift(this.scaledInto(gradient, reusable(this.gradients, H, gradient.length)));
    if (this.previous) {
      const step = reusable(this.steps, H, x.length);
      for (let j = 0; j < x.length; j++) step[j] = x[j] - this.previous.x[j];
      this.steps.unshift(step);
      this.changes.unshift((value - this.previous.value) / Math.max(Math.abs(this.previous.value), 1e-12));
      if (this.changes.length > H) this.changes.pop();
      if (this.previous.x.length === x.length) this.previous.x.set(x);
      else this.previous.x = Float64Array.from(x);
      this.previous.value = value;
    } else {
      this.previous = { x: Float64Array.from(x), value };
    }
  }

  /** The gradient as the history keeps it, written into `out`. */
  private scaledInto(gradient: Float64Array, out: Float64Array): Float64Array {
    if (this.scaling === 'none') {
      out.set(gradient);
      return out;
    }
    if (this.rawGradient?.length === gradient.length) this.rawGradient.set(gradient);
    else this.rawGradient = Float64Array.from(gradient);
    // The roots are used once, here: one array for the run rather than one per step.
    if (this.roots.length !== gradient.length) this.roots = new Float64Array(gradient.length);
    const roots = this.accumulator.add(gradient, this.roots);
    for (let j = 0; j < gradient.length; j++) out[j] = divideByRoot(gradient[j], roots[j]);
    return out;
  }

  /**
   * Every coordinate's s_j as stateOf writes it, row j of `out` at j · stride (coordinateStateDim by
   * default); `stride` and `rawAt` (where in a row the raw gradient goes) let a wider feature set
   * (adam-ratio-history.ts) have the rows written in place.
   */
  statesInto(out: Float64Array, dim: number, stride = this.stateDim, rawAt = FEATURES_PER_LAG * this.historyLength): Float64Array {
    const H = this.historyLength;
    const width = stride;
    const { gradients, steps, changes, rawGradient } = this;
    // A block of rows at a time, lag by lag within it: each pass reads one array in order and the
    // block's rows stay in cache between passes. Row by row, with a test per entry for the lags not
    // yet seen, took 1.2 ms on the 22k-weight net; this 0.4-0.5.
    for (let start = 0; start < dim; start += STATE_BLOCK) {
      const end = Math.min(dim, start + STATE_BLOCK);
      for (let i = 0; i < H; i++) {
        const gradient = i < gradients.length ? gradients[i] : null;
        const step = i < steps.length ? steps[i] : null;
        const change = i < changes.length ? changes[i] : 0;
        for (let j = start, at = start * width + FEATURES_PER_LAG * i; j < end; j++, at += width) {
          out[at] = gradient ? gradient[j] : 0;
          out[at + 1] = step ? step[j] : 0;
          out[at + 2] = change;
        }
      }
      if (this.stateDim > FEATURES_PER_LAG * H) {
        for (let j = start, at = start * width + rawAt; j < end; j++, at += width) out[at] = rawGradient ? rawGradient[j] : 0;
      }
    }
    return out;
  }

  /** s_j of the latest step, written into `out` (coordinateStateDim entries): row j of statesInto. */
  stateOf(j: number, out: Float64Array): Float64Array {
    const width = coordinateStateDim(this.historyLength, this.scaling);
    const dim = this.gradients[0]?.length ?? 0;
    if (j >= dim) return out.fill(0); // nothing pushed yet: all padding
    out.set(this.statesInto(new Float64Array(dim * width), dim).subarray(j * width, (j + 1) * width));
    return out;
  }
}
