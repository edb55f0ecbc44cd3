// Dense float64 matrices for the GPS math (dynamics fits, LQR, Gaussian KLs). Row-major storage in a
// Float64Array; the hot kernels are hand-written because they measure 2.5–4× faster than ml-matrix
// on these sizes (docs/design.md §4). test/linalg.test.ts checks each against ml-matrix.

export class Matrix {
  readonly data: Float64Array;

  constructor(
    readonly rows: number,
    readonly cols: number,
    data?: Float64Array,
  ) {
    if (data && data.length !== rows * cols) throw new RangeError(`matrix data has ${data.length} entries, expected ${rows}×${cols}`);
    this.data = data ?? new Float64Array(rows * cols);
  }

  static identity(n: number, scale = 1): Matrix {
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.data[i * n + i] = scale;
    return m;
  }

  static fromRows(rows: ArrayLike<number>[]): Matrix {
    const m = new Matrix(rows.length, rows.length ? rows[0].length : 0);
    rows.forEach((r, i) => m.data.set(r, i * m.cols));
    return m;
  }

  /** A column vector view of v (shares no memory). */
  static column(v: ArrayLike<number>): Matrix {
    return new Matrix(v.length, 1, Float64Array.from(v));
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  clone(): Matrix {
    return new Matrix(this.rows, this.cols, Float64Array.from(this.data));
  }

  toRows(): number[][] {
    return Array.from({ length: this.rows }, (_, i) => Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
  }

  transpose(): Matrix {
    const out = new Matrix(this.cols, this.rows);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) out.data[j * this.rows + i] = this.data[i * this.cols + j];
    return out;
  }

  /** The block [r0, r0+rows) × [c0, c0+cols) as a new matrix. */
  block(r0: number, c0: number, rows: number, cols: number): Matrix {
    const out = new Matrix(rows, cols);
    for (let i = 0; i < rows; i++) out.data.set(this.data.subarray((r0 + i) * this.cols + c0, (r0 + i) * this.cols + c0 + cols), i * cols);
    return out;
  }

  setBlock(r0: number, c0: number, source: Matrix): this {
    for (let i = 0; i < source.rows; i++) this.data.set(source.data.subarray(i * source.cols, (i + 1) * source.cols), (r0 + i) * this.cols + c0);
    return this;
  }

  /** this += alpha·other, in place. */
  addScaled(other: Matrix, alpha = 1): this {
    assertSameShape(this, other);
    for (let i = 0; i < this.data.length; i++) this.data[i] += alpha * other.data[i];
    return this;
  }

  scale(alpha: number): this {
    for (let i = 0; i < this.data.length; i++) this.data[i] *= alpha;
    return this;
  }

  /** (A + Aᵀ)/2 in place: every covariance and quadratic form is symmetrized before factoring. */
  symmetrize(): this {
    const n = this.rows;
    if (n !== this.cols) throw new RangeError('symmetrize needs a square matrix');
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const v = 0.5 * (this.data[i * n + j] + this.data[j * n + i]);
        this.data[i * n + j] = v;
        this.data[j * n + i] = v;
      }
    }
    return this;
  }

  addDiagonal(value: number): this {
    const n = Math.min(this.rows, this.cols);
    for (let i = 0; i < n; i++) this.data[i * this.cols + i] += value;
    return this;
  }

  trace(): number {
    let s = 0;
    for (let i = 0; i < Math.min(this.rows, this.cols); i++) s += this.data[i * this.cols + i];
    return s;
  }

  isFinite(): boolean {
    for (let i = 0; i < this.data.length; i++) if (!Number.isFinite(this.data[i])) return false;
    return true;
  }
}

function assertSameShape(a: Matrix, b: Matrix): void {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new RangeError(`shape mismatch: ${a.rows}×${a.cols} vs ${b.rows}×${b.cols}`);
}

/** A·B (i-k-j loop order: contiguous inner loop over B's and C's rows). */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new RangeError(`matmul: ${a.rows}×${a.cols} · ${b.rows}×${b.cols}`);
  const out = new Matrix(a.rows, b.cols);
  const n = b.cols;
  const A = a.data;
  const B = b.data;
  const C = out.data;
  for (let i = 0; i < a.rows; i++) {
    const ci = i * n;
    for (let k = 0; k < a.cols; k++) {
      const aik = A[i * a.cols + k];
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) C[ci + j] += aik * B[bk + j];
    }
  }
  return out;
}

/** Aᵀ·B without forming Aᵀ. */
export function matmulTN(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) throw new RangeError(`matmulTN: (${a.rows}×${a.cols})ᵀ · ${b.rows}×${b.cols}`);
  const out = new Matrix(a.cols, b.cols);
  const n = b.cols;
  const m = a.cols;
  const A = a.data;
  const B = b.data;
  const C = out.data;
  for (let k = 0; k < a.rows; k++) {
    const bk = k * n;
    for (let i = 0; i < m; i++) {
      const aki = A[k * m + i];
      if (aki === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) C[ci + j] += aki * B[bk + j];
    }
  }
  return out;
}

/** A·Bᵀ (row-by-row dot products). */
export function matmulNT(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.cols) throw new RangeError(`matmulNT: ${a.rows}×${a.cols} · (${b.rows}×${b.cols})ᵀ`);
  const out = new Matrix(a.rows, b.rows);
  const K = a.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[i * K + k] * b.data[j * K + k];
      out.data[i * b.rows + j] = s;
    }
  }
  return out;
}

/** Aᵀ·S·A for symmetric S, symmetrized. */
export function quadraticForm(a: Matrix, s: Matrix): Matrix {
  return matmulTN(a, matmul(s, a)).symmetrize();
}

export function matVec(a: Matrix, v: ArrayLike<number>): Float64Array {
  if (a.cols !== v.length) throw new RangeError(`matVec: ${a.rows}×${a.cols} · ${v.length}`);
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j] * v[j];
    out[i] = s;
  }
  return out;
}

/** Aᵀ·v. */
export function matTVec(a: Matrix, v: ArrayLike<number>): Float64Array {
  if (a.rows !== v.length) throw new RangeError(`matTVec: (${a.rows}×${a.cols})ᵀ · ${v.length}`);
  const out = new Float64Array(a.cols);
  for (let i = 0; i < a.rows; i++) {
    const vi = v[i];
    for (let j = 0; j < a.cols; j++) out[j] += a.data[i * a.cols + j] * vi;
  }
  return out;
}

/**
 * frobeniusInner(matmulTN(a, b), s) without the product's matrix: each entry of aᵀb summed over k in
 * matmulTN's order (skipping a's zeros as it does), then weighted in frobeniusInner's order, so the
 * result is the same to the bit. The GPS's expected KL takes this trace at every step of every
 * condition, where the product was a new dX×dX matrix each time.
 */
export function frobeniusInnerTN(a: Matrix, b: Matrix, s: Matrix): number {
  if (a.rows !== b.rows || s.rows !== a.cols || s.cols !== b.cols) throw new RangeError(`frobeniusInnerTN: (${a.rows}×${a.cols})ᵀ · ${b.rows}×${b.cols} against ${s.rows}×${s.cols}`);
  const m = a.cols;
  const n = b.cols;
  const K = a.rows;
  const A = a.data;
  const B = b.data;
  const S = s.data;
  let total = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let c = 0;
      for (let k = 0; k < K; k++) {
        const aki = A[k * m + i];
        if (aki !== 0) c += aki * B[k * n + j];
      }
      total += c * S[i * n + j];
    }
  }
  return total;
}

/** Σ_ij A_ij B_ij = tr(Aᵀ B). */
export function frobeniusInner(a: Matrix, b: Matrix): number {
  assertSameShape(a, b);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}
