// A Gaussian mixture fitted by EM, used only as a source of normal-inverse-Wishart priors: for a set
// of points, the mixture's moments weighted by how much each cluster explains them (cbfinn/gps
// DynamicsPriorGMM, PolicyPriorGMM).
import { Matrix } from '../linalg/matrix.ts';
import { logDetFromCholesky, regularizedCholesky } from '../linalg/cholesky.ts';
import type { Rng } from '../random.ts';
import { empiricalMoments, type NiwPrior } from './gaussian-fit.ts';
import { mahalanobisDistances, productNT, weightedMoments } from '../kernels/float64-kernels.ts';

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
    return this.inferenceAll([points])[0];
  }

  /**
   * The prior for each set of points (the rows of every time step of a condition, say): one E step
   * over all of them, then every set's mixture moments as products of its cluster weights with the
   * clusters' means and covariances, on the float64 wasm kernel. Called once per set, the E step's
   * set-up and copies cost more than its arithmetic (docs/performance.md).
   */
  inferenceAll(sets: Matrix[]): NiwPrior[] {
    const D = sets[0].cols;
    const K = this.components.length;
    const S = sets.length;
    const all = new Matrix(
      sets.reduce((n, m) => n + m.rows, 0),
      D,
    );
    let offset = 0;
    for (const m of sets) {
      all.data.set(m.data, offset);
      offset += m.data.length;
    }
    const { posterior } = this.expect(all);
    // W[s][k]: the average posterior weight of cluster k over the points of set s.
    const W = new Float64Array(S * K);
    let row = 0;
    sets.forEach((m, s) => {
      for (let n = 0; n < m.rows; n++, row++) for (let k = 0; k < K; k++) W[s * K + k] += posterior.data[row * K + k] / m.rows;
    });
    const meanColumns = new Float64Array(D * K);
    const covarianceColumns = new Float64Array(D * D * K);
    this.components.forEach((c, k) => {
      for (let i = 0; i < D; i++) meanColumns[i * K + k] = c.mean[i];
      for (let e = 0; e < D * D; e++) covarianceColumns[e * K + k] = c.covariance.data[e];
    });
    const means = productNT(W, meanColumns, S, D, K);
    const mixed = productNT(W, covarianceColumns, S, D * D, K);
    const n0 = Math.max((this.fittedOn - 2 - D) / this.fittedOn, 1e-3);
    const spread = new Float64Array(D * K);
    const weightedSpread = new Float64Array(D * K);
    const between = new Float64Array(D * D);
    return sets.map((_, s) => {
      // Φ = Σ_k w_k (Σ_k + (μ_k − μ)(μ_k − μ)ᵀ): the second sum as one product of the centred means.
      const mean = means.slice(s * D, (s + 1) * D);
      for (let i = 0; i < D; i++) {
        for (let k = 0; k < K; k++) {
          const d = this.components[k].mean[i] - mean[i];
          spread[i * K + k] = d;
          weightedSpread[i * K + k] = W[s * K + k] * d;
        }
      }
      productNT(weightedSpread, spread, D, D, K, between);
      const phi = new Matrix(D, D, mixed.slice(s * D * D, (s + 1) * D * D));
      for (let e = 0; e < D * D; e++) phi.data[e] += between[e];
      return { mean, phi: phi.symmetrize(), m: 1, n0 };
    });
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
    // Each live cluster's weights r_nk / mass_k; the moments run on the float64 wasm kernels.
    const masses = new Float64Array(K);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) masses[k] += R[n * K + k];
    const live = (k: number) => !(masses[k] < DORMANT_WEIGHT * N || masses[k] < 1e-8);
    const weights = Array.from({ length: K }, (_, k) => (live(k) ? new Float64Array(N) : null));
    for (let k = 0; k < K; k++) {
      const w = weights[k];
      if (w) for (let n = 0; n < N; n++) w[n] = R[n * K + k] / masses[k];
    }
    const moments = weightedMoments(X, N, D, weights);
    for (let k = 0; k < K; k++) {
      const moment = moments[k];
      if (!moment) {
        if (earlier) components.push({ ...earlier[k], logWeight: Math.log(DORMANT_WEIGHT) });
        continue;
      }
      const covariance = new Matrix(D, D, moment.covariance);
      covariance.symmetrize();
      covariance.addDiagonal(ridge);
      const { L } = regularizedCholesky(covariance);
      components.push({ logWeight: Math.log(masses[k] / N), mean: moment.mean, covariance, factor: L, logDet: logDetFromCholesky(L), inverseFactor: lowerInverse(L) });
    }
    this.components = components;
  }

  /**
   * E step: log-space posteriors of every point and the mean log-likelihood, from the Mahalanobis
   * distances ‖L⁻¹(x − μ)‖² the float64 wasm kernel computes for every point and component.
   */
  private expect(points: Matrix): { logLikelihood: number; posterior: Matrix } {
    const N = points.rows;
    const D = points.cols;
    const K = this.components.length;
    const X = points.data;
    const posterior = new Matrix(N, K);
    const logs = posterior.data;
    const constant = -0.5 * D * Math.log(2 * Math.PI);
    mahalanobisDistances(X, N, D, this.components.map((c) => c.mean), this.components.map((c) => c.inverseFactor), logs);
    const offsets = this.components.map((c) => c.logWeight + constant - 0.5 * c.logDet);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) logs[n * K + k] = offsets[k] - 0.5 * logs[n * K + k];
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
