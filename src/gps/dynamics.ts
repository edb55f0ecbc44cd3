// Step 2 of docs/design.md §2: per condition and time step, x_{t+1} ~ N(F_t [x_t; u_t] + f_t, Σ_t),
// fitted by regression with a normal-inverse-Wishart prior from a Gaussian mixture over the
// [x_t; u_t; x_{t+1}] tuples of recent samples of all conditions.
import { Matrix } from '../linalg/matrix.ts';
import type { Rng } from '../random.ts';
import { empiricalMoments, fitConditionalGaussian, type NiwPrior } from './gaussian-fit.ts';
import { GaussianMixture, type MixtureState } from './gaussian-mixture.ts';

/** Anything that gives a normal-inverse-Wishart prior for each of several sets of transitions. */
export interface DynamicsPrior {
  priors(sets: Matrix[]): NiwPrior[];
}

/** A dynamics prior as plain data, for a worker thread (DynamicsPriorGMM.state). */
export interface DynamicsPriorState {
  mixture: MixtureState;
  strength: number;
}

export interface DynamicsPriorSnapshot {
  X: Float64Array[][];
  U: Float64Array[][];
  mixture: MixtureState;
}

/** The prior a DynamicsPriorGMM gave when its state was taken. */
export function dynamicsPriorFromState(state: DynamicsPriorState): DynamicsPrior {
  const mixture = GaussianMixture.fromState(state.mixture);
  return { priors: (sets) => mixture.inferenceAll(sets).map((prior) => scaledPrior(prior, state.strength)) };
}

function scaledPrior(prior: NiwPrior, strength: number): NiwPrior {
  return { mean: prior.mean, phi: prior.phi.scale(prior.m * strength), m: prior.m * strength, n0: prior.n0 * strength };
}

export interface LinearDynamics {
  /** T−1 matrices dX×(dX+dU). */
  F: Matrix[];
  f: Float64Array[];
  covariance: Matrix[];
  x0Mean: Float64Array;
  x0Covariance: Matrix;
}

/** The rows [x_t; u_t; x_{t+1}] of a set of trajectories at step t. */
function transitionRows(X: Float64Array[][], U: Float64Array[][], t: number): Matrix {
  const dX = X[0][0].length;
  const dU = U[0][0].length;
  const width = 2 * dX + dU;
  const rows = new Matrix(X.length, width);
  X.forEach((run, n) => {
    rows.data.set(run[t], n * width);
    rows.data.set(U[n][t], n * width + dX);
    rows.data.set(run[t + 1], n * width + dX + dU);
  });
  return rows;
}

export class DynamicsPriorGMM implements DynamicsPrior {
  private mixture = new GaussianMixture();
  private X: Float64Array[][] = [];
  private U: Float64Array[][] = [];
  private readonly maxClusters: number;
  private readonly minSamplesPerCluster: number;
  private readonly maxSamples: number;
  private readonly strength: number;

  constructor(options: { maxClusters?: number; minSamplesPerCluster?: number; maxSamples?: number; strength?: number } = {}) {
    this.maxClusters = options.maxClusters ?? 20;
    this.minSamplesPerCluster = options.minSamplesPerCluster ?? 40;
    this.maxSamples = options.maxSamples ?? 20;
    this.strength = options.strength ?? 1;
  }

  /** Adds trajectories (keeping the most recent `maxSamples`) and refits the mixture. */
  update(X: Float64Array[][], U: Float64Array[][], rng: Rng, warmStart = true): void {
    this.X = [...this.X, ...X].slice(-this.maxSamples);
    this.U = [...this.U, ...U].slice(-this.maxSamples);
    const T = this.X[0].length;
    const blocks = Array.from({ length: T - 1 }, (_, t) => transitionRows(this.X, this.U, t));
    const width = blocks[0].cols;
    const all = new Matrix(blocks.length * blocks[0].rows, width);
    blocks.forEach((b, i) => all.data.set(b.data, i * b.data.length));
    // From half full on, K is set by the buffer's capacity, so that it does not change when the
    // buffer fills: a changed K restarts EM cold, about 4× the steps of a warm fit (at the logreg
    // default the buffer is half full after the first iteration and full after the second).
    const capacity = this.maxSamples * (T - 1);
    const basis = 2 * all.rows >= capacity ? capacity : all.rows;
    const clusters = Math.max(1, Math.min(this.maxClusters, Math.floor(basis / this.minSamplesPerCluster)));
    // As the policy prior's caps (policy-linearization.ts): a cold fit stopped at 30 EM steps, a warm
    // one at 10; a cold fit on 1,560 points once ran 45, a sixth of a GPS iteration.
    this.mixture.fit(all, clusters, rng, { warmStart, maxIterations: 30, maxWarmIterations: 10 });
  }

  priors(sets: Matrix[]): NiwPrior[] {
    return this.mixture.inferenceAll(sets).map((prior) => scaledPrior(prior, this.strength));
  }

  get state(): DynamicsPriorState {
    return { mixture: this.mixture.state, strength: this.strength };
  }

  /** The recent trajectories and the fitted mixture: what a resumed run needs to continue exactly. */
  get snapshot(): DynamicsPriorSnapshot {
    return { X: this.X, U: this.U, mixture: this.mixture.state };
  }

  restore(snapshot: DynamicsPriorSnapshot): void {
    this.X = snapshot.X;
    this.U = snapshot.U;
    this.mixture = GaussianMixture.fromState(snapshot.mixture);
  }
}

/** Fits every step's dynamics of one condition from its N ≥ 2 trajectories X[n][t], U[n][t]. */
export function fitDynamics(X: Float64Array[][], U: Float64Array[][], prior: DynamicsPrior | null, options: { ridge?: number } = {}): LinearDynamics {
  const N = X.length;
  if (N < 2) throw new Error(`fitting dynamics needs at least 2 trajectories per condition, got ${N}`);
  const T = X[0].length;
  const dX = X[0][0].length;
  const dU = U[0][0].length;
  const F: Matrix[] = [];
  const f: Float64Array[] = [];
  const covariance: Matrix[] = [];
  const steps = Array.from({ length: T - 1 }, (_, t) => transitionRows(X, U, t));
  const priors = prior?.priors(steps) ?? null;
  for (let t = 0; t < T - 1; t++) {
    const fit = fitConditionalGaussian(steps[t], dX + dU, dX, { prior: priors?.[t] ?? null, inputRidge: options.ridge ?? 1e-6 });
    F.push(fit.K);
    f.push(fit.k);
    covariance.push(fit.covariance);
  }
  const starts = new Matrix(N, dX);
  X.forEach((run, n) => starts.data.set(run[0], n * dX));
  const { mean, covariance: x0Covariance } = empiricalMoments(starts);
  return { F, f, covariance, x0Mean: mean, x0Covariance: x0Covariance.addDiagonal(1e-6) };
}
