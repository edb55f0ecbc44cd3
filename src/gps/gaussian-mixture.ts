// A Gaussian mixture fitted by EM, used only as a source of normal-inverse-Wishart priors: for a set
// of points, the mixture's moments weighted by how much each cluster explains them (cbfinn/gps
// DynamicsPriorGMM, PolicyPriorGMM).
import { Matrix } from '../linalg/matrix.ts';
import { logDetFromCholesky, regularizedCholesky } from '../linalg/cholesky.ts';
import type { Rng } from '../random.ts';
import { empiricalMoments, type NiwPrior } from './gaussian-fit.ts';

interface Component {
  logWeight: number;
  mean: Float64Array;
  covariance: Matrix;
  factor: Matrix;
  logDet: number;
}

function logSumExp(values: Float64Array): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return max;
  let s = 0;
  for (const v of values) s += Math.exp(v - max);
  return max + Math.log(s);
}

export class GaussianMixture {
  private components: Component[] = [];
  private fittedOn = 0;

  get clusters(): number {
    return this.components.length;
  }

  get means(): Float64Array[] {
    return this.components.map((c) => c.mean);
  }

  /** EM from a k-means++ start; stops when the mean log-likelihood gains less than `tolerance`. */
  fit(points: Matrix, clusters: number, rng: Rng, options: { maxIterations?: number; tolerance?: number } = {}): void {
    const N = points.rows;
    const D = points.cols;
    const K = Math.max(1, Math.min(clusters, N));
    const maxIterations = options.maxIterations ?? 100;
    const tolerance = options.tolerance ?? 1e-5;
    this.fittedOn = N;
    const overall = empiricalMoments(points);
    // A ridge relative to the data's scale keeps every cluster covariance factorable.
    const ridge = 1e-6 * Math.max(overall.covariance.trace() / D, 1e-12);
    let responsibilities = this.kMeansPlusPlus(points, K, rng);
    let previous = -Infinity;
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

  /** M step; clusters that lost (almost) all responsibility are dropped. */
  private maximize(points: Matrix, responsibilities: Matrix, ridge: number): void {
    const N = points.rows;
    const D = points.cols;
    const K = responsibilities.cols;
    const components: Component[] = [];
    for (let k = 0; k < K; k++) {
      let mass = 0;
      for (let n = 0; n < N; n++) mass += responsibilities.data[n * K + k];
      if (mass < 1e-6 * N || mass < 1e-8) continue;
      const mean = new Float64Array(D);
      for (let n = 0; n < N; n++) {
        const r = responsibilities.data[n * K + k] / mass;
        if (r === 0) continue;
        for (let i = 0; i < D; i++) mean[i] += r * points.data[n * D + i];
      }
      const covariance = new Matrix(D, D);
      const diff = new Float64Array(D);
      for (let n = 0; n < N; n++) {
        const r = responsibilities.data[n * K + k] / mass;
        if (r === 0) continue;
        for (let i = 0; i < D; i++) diff[i] = points.data[n * D + i] - mean[i];
        for (let i = 0; i < D; i++) {
          const ri = r * diff[i];
          for (let j = i; j < D; j++) covariance.data[i * D + j] += ri * diff[j];
        }
      }
      for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) covariance.data[i * D + j] = covariance.data[j * D + i];
      covariance.addDiagonal(ridge);
      const { L } = regularizedCholesky(covariance);
      components.push({ logWeight: Math.log(mass / N), mean, covariance, factor: L, logDet: logDetFromCholesky(L) });
    }
    this.components = components;
  }

  /** E step: log-space posteriors of every point and the mean log-likelihood. */
  private expect(points: Matrix): { logLikelihood: number; posterior: Matrix } {
    const N = points.rows;
    const D = points.cols;
    const K = this.components.length;
    const posterior = new Matrix(N, K);
    const logs = new Float64Array(K);
    const z = new Float64Array(D);
    let total = 0;
    const constant = -0.5 * D * Math.log(2 * Math.PI);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const { factor: L, mean, logDet, logWeight } = this.components[k];
        // Mahalanobis distance by forward substitution: ‖L⁻¹(x − μ)‖².
        let quad = 0;
        for (let i = 0; i < D; i++) {
          let s = points.data[n * D + i] - mean[i];
          for (let j = 0; j < i; j++) s -= L.data[i * D + j] * z[j];
          z[i] = s / L.data[i * D + i];
          quad += z[i] * z[i];
        }
        logs[k] = logWeight + constant - 0.5 * (logDet + quad);
      }
      const norm = logSumExp(logs);
      total += norm;
      for (let k = 0; k < K; k++) posterior.data[n * K + k] = Math.exp(logs[k] - norm);
    }
    return { logLikelihood: total / N, posterior };
  }
}
