// Float64 kernels on float64-kernels.wat: matrix products for the GPS's dense linear algebra (LQR
// passes, the mixtures' E and M steps, conditional fits), a softplus pass, and the mixtures' steps.
// V8 runs the plain typed-array loops at 0.35–1.2 multiply-adds per ns on this project's sizes
// (23–49 dimensions); the wasm product, two lanes and four sums in registers, at about 5
// (docs/design.md §4). The operands are copied into the module's own memory (one instance per
// thread) and the results out: at these sizes the copies cost a few percent of the work.
import { FLOAT64_KERNELS_WASM } from './float64-kernels-wasm.ts';

export interface Float64KernelExports {
  memory: WebAssembly.Memory;
  /** shape: 0 full, 1 b lower-triangular, 2 a symmetric square result (float64-kernels.wat). */
  gemmNT(a: number, b: number, c: number, m: number, n: number, k: number, shape: number): void;
  softplusLayer(x: number, rows: number, cols: number, sp: number, spT: number, slopeT: number): void;
  mahalanobis(x: number, n: number, d: number, mean: number, inverse: number, scratch: number, whitened: number, out: number, stride: number): void;
  centredColumns(x: number, n: number, d: number, weights: number, mean: number, weighted: number, centred: number): void;
  gatherRows(x: number, inputs: number, indices: number, rows: number, gathered: number, columns: number): void;
  weightedLoss(mu: number, offsets: number, targets: number, factors: number, weights: number, indices: number, rows: number, outputs: number, dOut: number, dOutT: number, whitened: number, grads: number): number;
  multiplyInPlace(a: number, b: number, n: number): void;
}

type Exports = Float64KernelExports;
let compiled: WebAssembly.Module | null = null;
let kernel: Exports | null = null;
let heap = new Float64Array(0);

/** A new instance of the module, with a memory of its own (a caller that keeps data resident in it). */
export function newFloat64Kernels(): Float64KernelExports {
  compiled ??= new WebAssembly.Module(Buffer.from(FLOAT64_KERNELS_WASM, 'base64'));
  return new WebAssembly.Instance(compiled, {}).exports as unknown as Float64KernelExports;
}

function instance(): Exports {
  if (!kernel) {
    kernel = newFloat64Kernels();
    heap = new Float64Array(kernel.memory.buffer);
  }
  return kernel;
}

/** The module's memory as float64, grown to hold `entries` of them. */
function reserve(exports: Exports, entries: number): Float64Array {
  const bytes = entries * 8;
  const current = exports.memory.buffer.byteLength;
  if (bytes > current) exports.memory.grow(Math.ceil((bytes - current) / 65536));
  if (heap.buffer !== exports.memory.buffer) heap = new Float64Array(exports.memory.buffer);
  return heap;
}

/** Rounds an entry count up to whole 16-byte vectors, so each operand starts aligned. */
const aligned = (entries: number) => (entries + 1) & ~1;

/**
 * out (m×n) = a (m×k) · b (n×k)ᵀ, all row-major float64: each entry an inner product of a row of a
 * with a row of b. `b` may be `a` itself (a Gram matrix, copied once).
 */
export function productNT(a: Float64Array, b: Float64Array, m: number, n: number, k: number, out: Float64Array = new Float64Array(m * n)): Float64Array {
  if (a.length < m * k || b.length < n * k || out.length < m * n) throw new RangeError(`productNT: operands smaller than ${m}×${k} · (${n}×${k})ᵀ`);
  const exports = instance();
  const same = a === b;
  const offsetB = aligned(m * k);
  const offsetC = same ? offsetB : offsetB + aligned(n * k);
  const memory = reserve(exports, offsetC + m * n);
  memory.set(a.length === m * k ? a : a.subarray(0, m * k), 0);
  if (!same) memory.set(b.length === n * k ? b : b.subarray(0, n * k), offsetB);
  exports.gemmNT(0, (same ? 0 : offsetB) * 8, offsetC * 8, m, n, k, 0);
  out.set(memory.subarray(offsetC, offsetC + m * n));
  return out;
}

/**
 * For x (rows×cols, row-major): softplus(x) into `sp` (rows×cols) and `spT` (its transpose,
 * cols×rows), and sigmoid(x), softplus's slope, into `slopeT` (cols×rows). Within 4 ulp of the values
 * from Math.exp and Math.log1p (test/kernels.test.ts); +Infinity gives itself and 1, and below −708
 * both are exp(−708) ≈ 3e-308 instead of smaller.
 */
export function softplusLayer(x: Float64Array, rows: number, cols: number, sp: Float64Array, spT: Float64Array, slopeT: Float64Array): void {
  const n = rows * cols;
  if (x.length < n || sp.length < n || spT.length < n || slopeT.length < n) throw new RangeError(`softplusLayer: arrays smaller than ${rows}×${cols}`);
  const exports = instance();
  const size = aligned(n);
  const memory = reserve(exports, 4 * size);
  memory.set(x.length === n ? x : x.subarray(0, n), 0);
  exports.softplusLayer(0, rows, cols, size * 8, 2 * size * 8, 3 * size * 8);
  sp.set(memory.subarray(size, size + n));
  spT.set(memory.subarray(2 * size, 2 * size + n));
  slopeT.set(memory.subarray(3 * size, 3 * size + n));
}

/**
 * A Gaussian mixture's E step: ‖M_k(x_n − μ_k)‖² for every row x_n of `points` (N×D) and every
 * component k, with M_k = L_k⁻¹ lower-triangular, into out[n·K + k]. The points are copied in once
 * for all components.
 */
export function mahalanobisDistances(points: Float64Array, N: number, D: number, means: Float64Array[], inverses: Float64Array[], out: Float64Array): Float64Array {
  const K = means.length;
  if (points.length < N * D || out.length < N * K || inverses.some((m) => m.length < D * D) || means.some((m) => m.length < D)) throw new RangeError('mahalanobisDistances: arrays smaller than their sizes');
  const exports = instance();
  const meanAt = aligned(N * D);
  const inverseAt = meanAt + aligned(D);
  const scratchAt = inverseAt + aligned(D * D);
  const whitenedAt = scratchAt + aligned(N * D);
  const outAt = whitenedAt + aligned(N * D);
  const memory = reserve(exports, outAt + N * K);
  memory.set(points.subarray(0, N * D), 0);
  for (let k = 0; k < K; k++) {
    memory.set(means[k].subarray(0, D), meanAt);
    memory.set(inverses[k].subarray(0, D * D), inverseAt);
    exports.mahalanobis(0, N, D, meanAt * 8, inverseAt * 8, scratchAt * 8, whitenedAt * 8, (outAt + k) * 8, K);
  }
  out.set(memory.subarray(outAt, outAt + N * K));
  return out;
}

/**
 * A Gaussian mixture's M step: for each set of weights w (N entries summing to 1; null skips it),
 * the weighted mean μ = Σ_n w_n x_n of the rows of `points` (N×D) and Σ_n w_n (x_n − μ)(x_n − μ)ᵀ,
 * as one product of the centred columns with their weighted copy (its upper half, mirrored). The
 * points are copied in once.
 */
export function weightedMoments(points: Float64Array, N: number, D: number, weights: (Float64Array | null)[]): ({ mean: Float64Array; covariance: Float64Array } | null)[] {
  if (points.length < N * D || weights.some((w) => w !== null && w.length < N)) throw new RangeError('weightedMoments: arrays smaller than their sizes');
  const exports = instance();
  const weightsAt = aligned(N * D);
  const meanAt = weightsAt + aligned(N);
  const weightedAt = meanAt + aligned(D);
  const centredAt = weightedAt + aligned(D * N);
  const covarianceAt = centredAt + aligned(D * N);
  const memory = reserve(exports, covarianceAt + D * D);
  memory.set(points.subarray(0, N * D), 0);
  return weights.map((w) => {
    if (!w) return null;
    memory.set(w.subarray(0, N), weightsAt);
    exports.centredColumns(0, N, D, weightsAt * 8, meanAt * 8, weightedAt * 8, centredAt * 8);
    exports.gemmNT(weightedAt * 8, centredAt * 8, covarianceAt * 8, D, D, N, 2);
    return { mean: memory.slice(meanAt, meanAt + D), covariance: memory.slice(covarianceAt, covarianceAt + D * D) };
  });
}
