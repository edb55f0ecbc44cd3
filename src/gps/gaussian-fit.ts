// Fitting a linear-Gaussian conditional y | x ~ N(K x + k, Σ) from a few joint samples [x; y], with a
// normal-inverse-Wishart prior on the joint Gaussian. GPS has far fewer samples per time step than
// state dimensions, so the prior (moments of a mixture fitted on all samples) fills in the rest.
import { Matrix, matmul, matVec } from '../linalg/matrix.ts';
import { choleskySolve, regularizedCholesky } from '../linalg/cholesky.ts';
import { weightedMoments } from '../kernels/float64-kernels.ts';

export interface NiwPrior {
  mean: Float64Array;
  /** Prior scatter Φ. */
  phi: Matrix;
  /** Strength of the prior on the mean. */
  m: number;
  /** Strength of the prior on the covariance. */
  n0: number;
}

export interface ConditionalGaussian {
  K: Matrix;
  k: Float64Array;
  covariance: Matrix;
}

/** Mean and biased covariance of the rows of `points`, on the float64 wasm kernel (weights 1/N). */
export function empiricalMoments(points: Matrix): { mean: Float64Array; covariance: Matrix } {
  const N = points.rows;
  const D = points.cols;
  const { mean, covariance } = weightedMoments(points.data, N, D, [new Float64Array(N).fill(1 / N)])[0]!;
  return { mean, covariance: new Matrix(D, D, covariance) };
}

/**
 * MAP joint covariance Σ = (N·S + Φ + N·m/(N+m)·(μ−μ0)(μ−μ0)ᵀ)/(N + n0), then conditioning on the
 * first dIn coordinates: K = Σ_oi Σ_ii⁻¹, k = μ_o − K μ_i, covariance = Σ_oo − K Σ_ii Kᵀ.
 */
export function fitConditionalGaussian(points: Matrix, dIn: number, dOut: number, options: { prior?: NiwPrior | null; inputRidge?: number } = {}): ConditionalGaussian {
  if (points.cols !== dIn + dOut) throw new RangeError(`points have ${points.cols} columns, expected ${dIn} + ${dOut}`);
  const N = points.rows;
  const { mean, covariance } = empiricalMoments(points);
  let sigma = covariance;
  const prior = options.prior;
  if (prior) {
    const D = dIn + dOut;
    sigma = covariance.clone().scale(N).addScaled(prior.phi);
    const shift = (N * prior.m) / (N + prior.m);
    for (let i = 0; i < D; i++) {
      const di = mean[i] - prior.mean[i];
      for (let j = 0; j < D; j++) sigma.data[i * D + j] += shift * di * (mean[j] - prior.mean[j]);
    }
    sigma.scale(1 / (N + prior.n0));
  }
  sigma.symmetrize();
  const Sii = sigma.block(0, 0, dIn, dIn).addDiagonal(options.inputRidge ?? 1e-6);
  const Sio = sigma.block(0, dIn, dIn, dOut);
  // K = (Σ_ii⁻¹ Σ_io)ᵀ
  const { L } = regularizedCholesky(Sii);
  const K = choleskySolve(L, Sio).transpose();
  const muIn = mean.subarray(0, dIn);
  const Kmu = matVec(K, muIn);
  const k = Float64Array.from({ length: dOut }, (_, i) => mean[dIn + i] - Kmu[i]);
  const cov = sigma.block(dIn, dIn, dOut, dOut).addScaled(matmul(K, Sio), -1).symmetrize();
  return { K, k, covariance: cov };
}
