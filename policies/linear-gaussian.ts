// A time-varying linear-Gaussian controller p(u_t | x_t) = N(K_t x_t + k_t, Σ_t): the GPS teacher of
// one condition, and the local linearization of the global policy.
import { Matrix, matmul, matVec, frobeniusInner, frobeniusInnerTN } from '../src/linalg/matrix.ts';
import { cholesky, choleskyInverse, logDetFromCholesky, solveLower } from '../src/linalg/cholesky.ts';
import type { Rng } from '../src/random.ts';

export interface LinearGaussianJson {
  K: number[][][];
  k: number[][];
  covariance: number[][][];
  /**
   * The factors as computed (a checkpoint keeps them): recomputing them from the covariance gives a
   * precision that differs from the LQR's Q_uu in the last bits, and a resumed run would drift.
   */
  choleskyCovariance?: number[][][];
  precision?: number[][][];
}

const LOG_2PI = Math.log(2 * Math.PI);

export class LinearGaussianPolicy {
  readonly T: number;
  readonly dX: number;
  readonly dU: number;
  readonly choleskyCovariance: Matrix[];
  readonly precision: Matrix[];
  private readonly logDetCovariance: Float64Array;

  /** Throws NotPositiveDefiniteError when a covariance is not positive definite. */
  constructor(
    readonly K: Matrix[],
    readonly k: Float64Array[],
    readonly covariance: Matrix[],
    factors?: { choleskyCovariance: Matrix[]; precision: Matrix[] },
  ) {
    this.T = K.length;
    if (this.T === 0) throw new RangeError('a linear-Gaussian policy needs at least one time step');
    this.dU = K[0].rows;
    this.dX = K[0].cols;
    if (k.length !== this.T || covariance.length !== this.T) throw new RangeError(`K, k and covariance must all have ${this.T} steps`);
    for (let t = 0; t < this.T; t++) {
      if (K[t].rows !== this.dU || K[t].cols !== this.dX) throw new RangeError(`K[${t}] is ${K[t].rows}×${K[t].cols}, expected ${this.dU}×${this.dX}`);
      if (k[t].length !== this.dU) throw new RangeError(`k[${t}] has length ${k[t].length}, expected ${this.dU}`);
      if (covariance[t].rows !== this.dU || covariance[t].cols !== this.dU) throw new RangeError(`covariance[${t}] must be ${this.dU}×${this.dU}`);
    }
    this.choleskyCovariance = factors?.choleskyCovariance ?? covariance.map((S) => cholesky(S.clone().symmetrize()));
    this.precision = factors?.precision ?? this.choleskyCovariance.map((L) => choleskyInverse(L));
    this.logDetCovariance = Float64Array.from(this.choleskyCovariance, (L) => logDetFromCholesky(L));
  }

  /**
   * From the action precision the LQR produces (P = Q_uu). Σ = P⁻¹ and chol Σ come from chol P:
   * with P = L·Lᵀ, Σ = L⁻ᵀL⁻¹, and chol Σ is the lower factor of that, computed from Σ after a
   * guarded Cholesky of P, never by an unguarded factorization of an inverse.
   */
  static fromPrecision(K: Matrix[], k: Float64Array[], precision: Matrix[]): LinearGaussianPolicy {
    const covariance: Matrix[] = [];
    const choleskyCovariance: Matrix[] = [];
    for (const P of precision) {
      const L = cholesky(P.clone().symmetrize());
      const S = choleskyInverse(L);
      covariance.push(S);
      choleskyCovariance.push(cholesky(S));
    }
    return new LinearGaussianPolicy(K, k, covariance, { choleskyCovariance, precision: precision.map((P) => P.clone().symmetrize()) });
  }

  mean(t: number, x: ArrayLike<number>): Float64Array {
    const u = matVec(this.K[t], x);
    for (let i = 0; i < this.dU; i++) u[i] += this.k[t][i];
    return u;
  }

  sample(t: number, x: ArrayLike<number>, rng: Rng): Float64Array {
    const u = this.mean(t, x);
    const z = rng.normalVector(this.dU);
    const L = this.choleskyCovariance[t];
    for (let i = 0; i < this.dU; i++) for (let j = 0; j <= i; j++) u[i] += L.data[i * this.dU + j] * z[j];
    return u;
  }

  logDensity(t: number, x: ArrayLike<number>, u: ArrayLike<number>): number {
    const mu = this.mean(t, x);
    const diff = new Matrix(this.dU, 1, Float64Array.from(mu, (m, i) => u[i] - m));
    const w = solveLower(this.choleskyCovariance[t], diff).data;
    let quad = 0;
    for (const v of w) quad += v * v;
    return -0.5 * (quad + this.logDetCovariance[t] + this.dU * LOG_2PI);
  }

  /**
   * Per step, E_{x~N(μ_t, S_t)} KL(this(·|x) ‖ other(·|x)) = ½[tr(Σ_q⁻¹Σ_p) + mᵀΣ_q⁻¹m +
   * tr(ΔKᵀΣ_q⁻¹ΔK S_t) − dU + log|Σ_q| − log|Σ_p|], with ΔK = K_p − K_q and m = ΔK μ_t + Δk.
   */
  expectedKl(other: LinearGaussianPolicy, stateMeans: ArrayLike<number>[], stateCovariances: Matrix[]): Float64Array {
    const out = new Float64Array(this.T);
    for (let t = 0; t < this.T; t++) {
      const Pq = other.precision[t];
      const dK = this.K[t].clone().addScaled(other.K[t], -1);
      const m = matVec(dK, stateMeans[t]);
      for (let i = 0; i < this.dU; i++) m[i] += this.k[t][i] - other.k[t][i];
      const Pm = matVec(Pq, m);
      let mahalanobis = 0;
      for (let i = 0; i < this.dU; i++) mahalanobis += m[i] * Pm[i];
      const spread = frobeniusInnerTN(dK, matmul(Pq, dK), stateCovariances[t]);
      const trace = frobeniusInner(Pq, this.covariance[t]);
      out[t] = 0.5 * (trace + mahalanobis + spread - this.dU + other.logDetCovariance[t] - this.logDetCovariance[t]);
    }
    return out;
  }

  toJSON(withFactors = false): LinearGaussianJson {
    const json: LinearGaussianJson = {
      K: this.K.map((m) => m.toRows()),
      k: this.k.map((v) => Array.from(v)),
      covariance: this.covariance.map((m) => m.toRows()),
    };
    if (withFactors) {
      json.choleskyCovariance = this.choleskyCovariance.map((m) => m.toRows());
      json.precision = this.precision.map((m) => m.toRows());
    }
    return json;
  }

  static fromJSON(json: unknown): LinearGaussianPolicy {
    const value = json as Partial<LinearGaussianJson>;
    const isMatrix = (m: unknown): m is number[][] => Array.isArray(m) && m.length > 0 && m.every((r) => Array.isArray(r) && r.length === (m[0] as unknown[]).length && r.every(Number.isFinite));
    if (!value || !Array.isArray(value.K) || !Array.isArray(value.k) || !Array.isArray(value.covariance)) {
      throw new Error('linear-Gaussian policy JSON needs arrays K, k and covariance');
    }
    if (!value.K.every(isMatrix) || !value.covariance.every(isMatrix)) throw new Error('linear-Gaussian policy JSON: K and covariance must be matrices of finite numbers');
    if (!value.k.every((v) => Array.isArray(v) && v.every(Number.isFinite))) throw new Error('linear-Gaussian policy JSON: k must be vectors of finite numbers');
    const factors =
      value.choleskyCovariance && value.precision && value.choleskyCovariance.every(isMatrix) && value.precision.every(isMatrix)
        ? { choleskyCovariance: value.choleskyCovariance.map((rows) => Matrix.fromRows(rows)), precision: value.precision.map((rows) => Matrix.fromRows(rows)) }
        : undefined;
    return new LinearGaussianPolicy(
      value.K.map((rows) => Matrix.fromRows(rows)),
      value.k.map((v) => Float64Array.from(v)),
      value.covariance.map((rows) => Matrix.fromRows(rows)),
      factors,
    );
  }
}

