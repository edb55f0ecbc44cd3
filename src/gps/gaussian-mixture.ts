// A Gaussian mixture fitted by EM, used only as a source of normal-inverse-Wishart priors: for a set
// of points, the mixture's moments weighted by how much each cluster explains them (cbfinn/gps
// DynamicsPriorGMM, PolicyPriorGMM).
import { Matrix } from '../linalg/matrix.ts';
import { logDetFromCholesky, regularizedCholesky } from '../linalg/cholesky.ts';
import type { Rng } from '../random.ts';
import { empiricalMoments, type NiwPrior } from './gaussian-fit.ts';
import { productNT } from '../kernels/gemm-f64.ts';

interface Component {
  logWeight: number;
  mean: Float64Array;
  covariance: Matrix;
  factor: Matrix;
  logDet: number;
  /** L⁻¹ of the Cholesky factor, row-major: the E step's Mahalanobis distances are ‖L⁻¹(x − μ)‖². */
  inverseFactor: Float64Array;
}

/** L⁻¹ for lower-triangular L (D×D, row-major), itself lower-triangular. */
function lowerInverse(L: Matrix): Float64Array {
  const D = L.rows;
  const l = L.data;
  const inverse = new Float64Array(D * D);
  for (let j = 0; j < D; j++) {
    // column j of L⁻¹ by forward substitution on e_j
    inverse[j * D + j] = 1 / l[j * D + j];
    for (let i = j + 1; i < D; i++) {
      let s = 0;
      for (let p = j; p < i; p++) s -= l[i * D + p] * inverse[p * D + j];
      inverse[i * D + j] = s / l[i * D + i];
    }
  }
  return inverse;
}

function logSumExp(values: Float64Array): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return max;
  let s = 0;
  for (const v of values) s += Math.exp(v - max);
  return max + Math.log(s);
}

/** A mixture's fitted clusters as plain data, to carry a warm start to a worker thread and back. */
export interface MixtureState {
  fittedOn: number;
  components: { logWeight: number; mean: Float64Array; covariance: Float64Array; factor: Float64Array; logDet: number }[];
}

/** The weight a cluster keeps when it loses its points: it stays, nearly silent, for the next fit. */
const DORMANT_WEIGHT = 1e-6;

export class GaussianMixture {
  private components: Component[] = [];
  private fittedOn = 0;

  get state(): MixtureState {
    return {
      fittedOn: this.fittedOn,
      components: this.components.map((c) => ({ logWeight: c.logWeight, mean: c.mean, covariance: c.covariance.data, factor: c.factor.data, logDet: c.logDet })),
    };
  }

  static fromState(state: MixtureState): GaussianMixture {
    const mixture = new GaussianMixture();
    mixture.fittedOn = state.fittedOn;
    mixture.components = state.components.map((c) => {
      const D = c.mean.length;
      const factor = new Matrix(D, D, c.factor);
      return { logWeight: c.logWeight, mean: c.mean, covariance: new Matrix(D, D, c.covariance), factor, logDet: c.logDet, inverseFactor: lowerInverse(factor) };
    });
    return mixture;
  }

  get clusters(): number {
    return this.components.length;
  }

  get means(): Float64Array[] {
    return this.components.map((c) => c.mean);
  }

  /**
   * EM until the mean log-likelihood gains less than `tolerance`. From a k-means++ start, or with
   * `warmStart` from the current clusters when there are as many as asked for: GPS refits its
   * mixtures every iteration on data that moves a little, and a warm start needs fewer EM steps
   * (measured at the logreg default: the policy prior about 20 instead of its cap of 30; the whole GPS
   * training of npm start 35.6 s against 43.1 s cold). cbfinn/gps's GMM warm-starts by default
   * (docs/design.md §2 step 2).
   */
  fit(points: Matrix, clusters: number, rng: Rng, options: { maxIterations?: number; maxWarmIterations?: number; tolerance?: number; warmStart?: boolean } = {}): void {
    const N = points.rows;
    const D = points.cols;
    const K = Math.max(1, Math.min(clusters, N));
    const tolerance = options.tolerance ?? 1e-5;
    this.fittedOn = N;
    const overall = empiricalMoments(points);
    // A ridge relative to the data's scale keeps every cluster covariance factorable.
    const ridge = 1e-6 * Math.max(overall.covariance.trace() / D, 1e-12);
    const warm = options.warmStart === true && this.components.length === K && this.components[0].mean.length === D;
    const maxIterations = (warm ? options.maxWarmIterations : undefined) ?? options.maxIterations ?? 100;
    let responsibilities: Matrix;
    let previous = -Infinity;
    if (warm) {
      const start = this.expect(points);
      responsibilities = start.posterior;
      previous = start.logLikelihood;
    } else {
      responsibilities = this.kMeansPlusPlus(points, K, rng);
      this.components = []; // the columns are k-means++'s centres, not the old clusters
    }
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      this.maximize(points, responsibilities, ridge);
      const { logLikelihood, posterior } = this.expect(points);
      responsibilities = posterior;
      if (logLikelihood - previous < tolerance * Math.max(1, Math.abs(logLikelihood))) break;
      previous = logLikelihood;
    }
  }

  /** The prior for `points`: mixture moments under their average posterior cluster weights. */
  inference(points: Matrix): NiwPrior {
    const D = points.cols;
    const { posterior } = this.expect(points);
    const K = this.components.length;
    const weights = new Float64Array(K);
    for (let n = 0; n < points.rows; n++) for (let k = 0; k < K; k++) weights[k] += posterior.data[n * K + k] / points.rows;
    const mean = new Float64Array(D);
    this.components.forEach((c, k) => c.mean.forEach((v, i) => (mean[i] += weights[k] * v)));
    const phi = new Matrix(D, D);
    this.components.forEach((c, k) => {
      phi.addScaled(c.covariance, weights[k]);
      for (let i = 0; i < D; i++) {
        const di = c.mean[i] - mean[i];
        for (let j = 0; j < D; j++) phi.data[i * D + j] += weights[k] * di * (c.mean[j] - mean[j]);
      }
    });
    const n0 = Math.max((this.fittedOn - 2 - D) / this.fittedOn, 1e-3);
    return { mean, phi: phi.symmetrize(), m: 1, n0 };
  }

  private kMeansPlusPlus(points: Matrix, K: number, rng: Rng): Matrix {
    const N = points.rows;
    const D = points.cols;
    const row = (n: number) => points.data.subarray(n * D, (n + 1) * D);
    const centres: Float64Array[] = [row(rng.int(N))];
    const distance = new Float64Array(N).fill(Infinity);
    while (centres.length < K) {
      const last = centres[centres.length - 1];
      let total = 0;
      for (let n = 0; n < N; n++) {
        let d = 0;
        const x = row(n);
        for (let i = 0; i < D; i++) d += (x[i] - last[i]) ** 2;
        distance[n] = Math.min(distance[n], d);
        total += distance[n];
      }
      if (total === 0) break; // fewer distinct points than clusters
      let target = rng.uniform() * total;
      let pick = 0;
      while (pick < N - 1 && target > distance[pick]) target -= distance[pick++];
      centres.push(row(pick));
    }
    const assignment = new Matrix(N, centres.length);
    for (let n = 0; n < N; n++) {
      let best = 0;
      let bestDistance = Infinity;
      centres.forEach((c, k) => {
        let d = 0;
        const x = row(n);
        for (let i = 0; i < D; i++) d += (x[i] - c[i]) ** 2;
        if (d < bestDistance) {
          bestDistance = d;
          best = k;
        }
      });
      assignment.data[n * centres.length + best] = 1;
    }
    return assignment;
  }

  /**
   * M step. A cluster that lost (almost) all responsibility keeps its last mean and covariance at a
   * weight of DORMANT_WEIGHT, so the mixture keeps its K clusters and the next fit can start warm:
   * when such clusters were dropped, the next fit restarted cold from k-means++ and took twice the
   * EM steps (the logreg default's dynamics prior 18–21 instead of 9–10; a third of the policy
   * prior's fits up to their cap of 30). A cluster empty from the start (no earlier one) is dropped.
   */
  private maximize(points: Matrix, responsibilities: Matrix, ridge: number): void {
    const N = points.rows;
    const D = points.cols;
    const K = responsibilities.cols;
    const X = points.data;
    const R = responsibilities.data;
    const components: Component[] = [];
    const earlier = this.components.length === K ? this.components : null;
    // The points centred on the cluster's mean, transposed (D×N), plain and weighted: the covariance
    // Σ_n r_n d_n d_nᵀ is then one product along n on the wasm kernel.
    const centred = new Float64Array(D * N);
    const weighted = new Float64Array(D * N);
    for (let k = 0; k < K; k++) {
      let mass = 0;
      for (let n = 0; n < N; n++) mass += R[n * K + k];
      if (mass < DORMANT_WEIGHT * N || mass < 1e-8) {
        if (earlier) components.push({ ...earlier[k], logWeight: Math.log(DORMANT_WEIGHT) });
        continue;
      }
      const mean = new Float64Array(D);
      for (let n = 0; n < N; n++) {
        const r = R[n * K + k] / mass;
        if (r === 0) continue;
        const row = n * D;
        for (let i = 0; i < D; i++) mean[i] += r * X[row + i];
      }
      for (let n = 0; n < N; n++) {
        const r = R[n * K + k] / mass;
        const row = n * D;
        for (let i = 0; i < D; i++) {
          const d = X[row + i] - mean[i];
          centred[i * N + n] = d;
          weighted[i * N + n] = r * d;
        }
      }
      const covariance = new Matrix(D, D);
      productNT(weighted, centred, D, D, N, covariance.data);
      covariance.symmetrize();
      covariance.addDiagonal(ridge);
      const { L } = regularizedCholesky(covariance);
      components.push({ logWeight: Math.log(mass / N), mean, covariance, factor: L, logDet: logDetFromCholesky(L), inverseFactor: lowerInverse(L) });
    }
    this.components = components;
  }

  /**
   * E step: log-space posteriors of every point and the mean log-likelihood. Per component, the
   * centred points times L⁻ᵀ in one product on the wasm kernel, then each row's squared norm.
   */
  private expect(points: Matrix): { logLikelihood: number; posterior: Matrix } {
    const N = points.rows;
    const D = points.cols;
    const K = this.components.length;
    const X = points.data;
    const posterior = new Matrix(N, K);
    const logs = posterior.data;
    const centred = new Float64Array(N * D);
    const whitened = new Float64Array(N * D);
    const constant = -0.5 * D * Math.log(2 * Math.PI);
    for (let k = 0; k < K; k++) {
      const { inverseFactor, mean, logDet, logWeight } = this.components[k];
      const offset = logWeight + constant;
      for (let n = 0; n < N; n++) {
        const row = n * D;
        for (let i = 0; i < D; i++) centred[row + i] = X[row + i] - mean[i];
      }
      productNT(centred, inverseFactor, N, D, D, whitened);
      for (let n = 0; n < N; n++) {
        const row = n * D;
        let q = 0;
        for (let i = 0; i < D; i++) q += whitened[row + i] * whitened[row + i];
        logs[n * K + k] = offset - 0.5 * (logDet + q);
      }
    }
    let total = 0;
    for (let n = 0; n < N; n++) {
      const row = logs.subarray(n * K, (n + 1) * K);
      const norm = logSumExp(row);
      total += norm;
      for (let k = 0; k < K; k++) row[k] = Math.exp(row[k] - norm);
    }
    return { logLikelihood: total / N, posterior };
  }
}
