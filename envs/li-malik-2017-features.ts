// Li & Malik 2017's per-coordinate state and observation (their §3.3 and §3.6) in the role
// docs/design.md §1 gives the per-coordinate state (envs/coordinate-features.ts). Row j, with
// g = ∇_j f, x = x_j, f the objective and v̄_s = mean(v_{max(s−2,0)}, …, v_s) ("average recent"):
//
//   [0]       (f_t − f_{t−1}) / f_{t−1}                                observation, raw values
//   [1]       g_t / (|g_{max(t−1,0)}| + 1)
//   [2]       |(x_{max(t−1,1)} − x_{max(t−2,0)}) / (|x_t − x_{t−1}| + 0.1)|
//   [3+i]     (f̄_{t−5i} − f̄_{t−5(i+1)}) / f̄_{t−5(i+1)},         i < 25   state, 3-step averages
//   [28+i]    ḡ_{t−5i} / (|ḡ_{max(t−5(i+1), t mod 5)}| + 1),       i < 25
//   [53]      x_t                                                       teacher only
//   [54]      g_t, the raw gradient the GPS cost model reads
//
// The observation uses raw values because the policy also runs at test time, where the paper keeps
// it cheap; the state's averages damp minibatch noise. The state holds x_t itself, not x̄_t (x̄ only
// enters the family left out below). A feature whose time index would be negative is 0 (padding). The t mod 5 in [28+i] keeps the divisor
// in the numerator's residue class: a lag whose divisor would reach before x_0 divides by its own
// magnitude, so it exists as soon as its numerator does. Divisions by f use max(|f|, 1e-12) as
// coordinate-history.ts does (for a negative f this flips the paper's sign). Not built: the paper's
// third state family, the ratio of an earlier to the current change of the averaged iterate.

import type { CoordinateFeatures } from './coordinate-features.ts';

export const LI_MALIK_2017_LAGS = 25;
export const LI_MALIK_2017_STRIDE = 5;
/** Steps in the paper's "average recent" iterate, gradient and objective value. */
const AVERAGE_WINDOW = 3;

/** The paper's observation: the 3 raw features, for a policy with memory. */
export const PAPER_OBSERVATION_DIM = 3;
/** The 3 raw features and the 50 lagged ones, for a policy without memory (the MLP). */
export const LAGGED_OBSERVATION_DIM = 3 + 2 * LI_MALIK_2017_LAGS;

export const LOSS_CHANGE_START = 3;
export const GRADIENT_LAG_START = LOSS_CHANGE_START + LI_MALIK_2017_LAGS;
export const ITERATE_INDEX = GRADIENT_LAG_START + LI_MALIK_2017_LAGS;
export const RAW_GRADIENT_INDEX = ITERATE_INDEX + 1;
export const LI_MALIK_2017_STATE_DIM = RAW_GRADIENT_INDEX + 1;

/** Averages kept: lag 24's divisor reaches back 5·25 steps. */
const AVERAGED_HISTORY = LI_MALIK_2017_STRIDE * LI_MALIK_2017_LAGS + 1;
const STEP_SCALE_FLOOR = 0.1;

/** Divisor of a relative change of f: |f| floored at 1e-12, as coordinate-history.ts guards it. */
function lossDivisor(value: number): number {
  return Math.max(Math.abs(value), 1e-12);
}

export class LiMalik2017Features implements CoordinateFeatures {
  readonly stateDim = LI_MALIK_2017_STATE_DIM;
  readonly observationDim: number;
  readonly rawGradientIndex = RAW_GRADIENT_INDEX;

  /** Index of the latest push; −1 before the first. */
  private t = -1;
  private dim = 0;
  // Ring buffers, slot s mod length, each slot `dim` entries: the raw x and g of the last 3 steps
  // and the averaged gradients of the last AVERAGED_HISTORY steps (one allocation each, at x_0).
  private recentX = new Float64Array(0);
  private recentG = new Float64Array(0);
  private readonly recentF = new Float64Array(AVERAGE_WINDOW);
  private averagedG = new Float64Array(0);
  private readonly averagedF = new Float64Array(AVERAGED_HISTORY);
  // Per-step scratch shared by all rows.
  private readonly lossChanges = new Float64Array(LI_MALIK_2017_LAGS);
  private readonly numeratorSlots = new Int32Array(LI_MALIK_2017_LAGS);
  private readonly divisorSlots = new Int32Array(LI_MALIK_2017_LAGS);

  constructor(options: { observationDim?: typeof PAPER_OBSERVATION_DIM | typeof LAGGED_OBSERVATION_DIM } = {}) {
    const observationDim = options.observationDim ?? LAGGED_OBSERVATION_DIM;
    if (observationDim !== PAPER_OBSERVATION_DIM && observationDim !== LAGGED_OBSERVATION_DIM) {
      throw new RangeError(`observationDim must be ${PAPER_OBSERVATION_DIM} or ${LAGGED_OBSERVATION_DIM}, not ${observationDim}`);
    }
    this.observationDim = observationDim;
  }

  isPadding(index: number, t: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= LI_MALIK_2017_STATE_DIM) throw new RangeError(`no entry ${index} in a ${LI_MALIK_2017_STATE_DIM}-entry row`);
    if (index === 0 || index === 2) return t < 1; // both need x_{t−1}
    if (index < GRADIENT_LAG_START) return t < LI_MALIK_2017_STRIDE * (index - LOSS_CHANGE_START + 1);
    if (index < ITERATE_INDEX) return t < LI_MALIK_2017_STRIDE * (index - GRADIENT_LAG_START);
    return false; // [1], x_t and g_t exist from x_0 on
  }

  /** Records x_t, f(x_t) and ∇f(x_t). */
  push(x: Float64Array, value: number, gradient: Float64Array): void {
    if (this.t < 0) this.allocate(x.length);
    else if (x.length !== this.dim) throw new RangeError(`x has ${x.length} coordinates, earlier steps had ${this.dim}`);
    if (gradient.length !== this.dim) throw new RangeError(`gradient has ${gradient.length} coordinates, x has ${this.dim}`);
    const t = ++this.t;
    const dim = this.dim;
    this.recentX.set(x, (t % AVERAGE_WINDOW) * dim);
    this.recentG.set(gradient, (t % AVERAGE_WINDOW) * dim);
    this.recentF[t % AVERAGE_WINDOW] = value;

    const count = Math.min(t + 1, AVERAGE_WINDOW);
    const first = t - count + 1;
    let sum = 0;
    for (let s = first; s <= t; s++) sum += this.recentF[s % AVERAGE_WINDOW];
    this.averagedF[t % AVERAGED_HISTORY] = sum / count;
    const out = (t % AVERAGED_HISTORY) * dim;
    const oldest = (first % AVERAGE_WINDOW) * dim;
    this.averagedG.set(this.recentG.subarray(oldest, oldest + dim), out);
    for (let s = first + 1; s <= t; s++) {
      const from = (s % AVERAGE_WINDOW) * dim;
      for (let j = 0; j < dim; j++) this.averagedG[out + j] += this.recentG[from + j];
    }
    if (count > 1) for (let j = 0; j < dim; j++) this.averagedG[out + j] /= count;
  }

  private allocate(dim: number): void {
    this.dim = dim;
    this.recentX = new Float64Array(AVERAGE_WINDOW * dim);
    this.recentG = new Float64Array(AVERAGE_WINDOW * dim);
    this.averagedG = new Float64Array(AVERAGED_HISTORY * dim);
  }

  /** Every coordinate's state of the latest step, row j of `out` (stateDim entries each). */
  statesInto(out: Float64Array, dim: number): Float64Array {
    const width = LI_MALIK_2017_STATE_DIM;
    if (out.length < dim * width) throw new RangeError(`out holds ${out.length} entries, ${dim} rows need ${dim * width}`);
    const t = this.t;
    if (t < 0) return out.fill(0, 0, dim * width); // nothing pushed: all padding
    if (dim !== this.dim) throw new RangeError(`asked for ${dim} rows, the objective has ${this.dim} coordinates`);
    const stride = LI_MALIK_2017_STRIDE;
    const lags = LI_MALIK_2017_LAGS;
    const { recentX: X, recentG: G, recentF: F, averagedG: Gbar, averagedF: Fbar } = this;

    const now = t % AVERAGE_WINDOW;
    const before = Math.max(t - 1, 0) % AVERAGE_WINDOW;
    const relativeChange = t >= 1 ? (F[now] - F[before]) / lossDivisor(F[before]) : 0;
    for (let i = 0; i < lags; i++) {
      const earlier = t - stride * (i + 1);
      this.lossChanges[i] = earlier >= 0 ? (Fbar[(t - stride * i) % AVERAGED_HISTORY] - Fbar[earlier % AVERAGED_HISTORY]) / lossDivisor(Fbar[earlier % AVERAGED_HISTORY]) : 0;
    }
    const gradientLags = Math.min(lags, Math.floor(t / stride) + 1);
    for (let i = 0; i < gradientLags; i++) {
      this.numeratorSlots[i] = ((t - stride * i) % AVERAGED_HISTORY) * dim;
      this.divisorSlots[i] = (Math.max(t - stride * (i + 1), t % stride) % AVERAGED_HISTORY) * dim;
    }

    const current = now * dim;
    const previous = before * dim;
    const stepFrom = (Math.max(t - 1, 1) % AVERAGE_WINDOW) * dim;
    const stepTo = (Math.max(t - 2, 0) % AVERAGE_WINDOW) * dim;
    for (let j = 0; j < dim; j++) {
      const row = j * width;
      out[row] = relativeChange;
      out[row + 1] = G[current + j] / (Math.abs(G[previous + j]) + 1);
      out[row + 2] = t >= 1 ? Math.abs((X[stepFrom + j] - X[stepTo + j]) / (Math.abs(X[current + j] - X[previous + j]) + STEP_SCALE_FLOOR)) : 0;
      for (let i = 0; i < lags; i++) out[row + LOSS_CHANGE_START + i] = this.lossChanges[i];
      for (let i = 0; i < gradientLags; i++) {
        out[row + GRADIENT_LAG_START + i] = Gbar[this.numeratorSlots[i] + j] / (Math.abs(Gbar[this.divisorSlots[i] + j]) + 1);
      }
      for (let i = gradientLags; i < lags; i++) out[row + GRADIENT_LAG_START + i] = 0;
      out[row + ITERATE_INDEX] = X[current + j];
      out[row + RAW_GRADIENT_INDEX] = G[current + j];
    }
    return out;
  }
}
