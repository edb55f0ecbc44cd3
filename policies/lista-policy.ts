// LISTA (Gregor & LeCun, ICML 2010) as a policy: K unrolled layers z_{k+1} = soft(W y + S z_k, θ_k)
// from z_0 = 0, with W (n × m) and S (n × n) shared by the layers and a threshold per layer and atom.
// ISTA is the network W = Dᵀ/L, S = I − DᵀD/L, θ_k = λ/L (istaNetwork); training (src/supervised/
// lista.ts) moves the weights so that z_K lands near the true code. The float64 forward pass here is
// what runs and scores a trained network; past its K layers the policy continues with plain ISTA
// steps (step 1/L), so a run of any length stays a descent method on the lasso from there.
import type { Objective, SparseCodeInstance } from '../envs/objective.ts';
import { leastSquares, softThreshold } from '../envs/sparse-coding.ts';
import { UserError } from '../src/errors.ts';
import type { Rng } from '../src/random.ts';
import type { Observation, Policy } from './policy.ts';

/** A LISTA network and the sparse-coding problem it was made for. */
export interface ListaNetwork {
  /** K, the number of unrolled layers. */
  layers: number;
  /** Signal length m and atoms n of the dictionary. */
  m: number;
  n: number;
  /** W, n × m, row-major. */
  W: Float64Array;
  /** S, n × n, row-major. */
  S: Float64Array;
  /** θ, layers × n: row k is layer k's threshold per atom. */
  theta: Float64Array;
  /** The dictionary D (m × n, row-major), λ and L = ‖D‖₂² of the problem: checked on reset, and ISTA past layer K. */
  D: Float64Array;
  lambda: number;
  lipschitz: number;
}

/** LISTA initialized as ISTA with step 1/L: W = Dᵀ/L, S = I − DᵀD/L, θ_k = λ/L, so its K layers are K ISTA steps from 0. */
export function istaNetwork(code: Pick<SparseCodeInstance, 'D' | 'm' | 'n' | 'lambda'>, lipschitz: number, layers: number): ListaNetwork {
  const { D, m, n, lambda } = code;
  if (!Number.isInteger(layers) || layers < 1) throw new RangeError(`LISTA needs at least one layer, got ${layers}`);
  const W = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) W[i * m + j] = D[j * n + i] / lipschitz;
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let g = 0;
      for (let r = 0; r < m; r++) g += D[r * n + i] * D[r * n + j];
      S[i * n + j] = (i === j ? 1 : 0) - g / lipschitz;
      S[j * n + i] = S[i * n + j];
    }
  }
  const theta = new Float64Array(layers * n).fill(lambda / lipschitz);
  return { layers, m, n, W, S, theta, D: Float64Array.from(D), lambda, lipschitz };
}

/** W·y, the input every layer adds. */
export function listaInput(network: ListaNetwork, y: ArrayLike<number>): Float64Array {
  const { n, m, W } = network;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += W[i * m + j] * y[j];
    out[i] = s;
  }
  return out;
}

/** Layer k: soft(Wy + S z, θ_k), given Wy. */
export function listaLayer(network: ListaNetwork, k: number, input: Float64Array, z: ArrayLike<number>): Float64Array {
  const { n, S, theta } = network;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let u = input[i];
    for (let j = 0; j < n; j++) u += S[i * n + j] * z[j];
    const t = theta[k * n + i];
    const a = Math.abs(u) - t;
    out[i] = a > 0 ? Math.sign(u) * a : 0;
  }
  return out;
}

/** z_K for signal y: the network's K layers (or its first `layers`) from z_0 = 0, in float64. */
export function listaForward(network: ListaNetwork, y: ArrayLike<number>, layers = network.layers): Float64Array {
  if (layers > network.layers) throw new RangeError(`the network has ${network.layers} layers, not ${layers}`);
  const input = listaInput(network, y);
  let z: Float64Array = new Float64Array(network.n);
  for (let k = 0; k < layers; k++) z = listaLayer(network, k, input, z);
  return z;
}

/** Whether a problem's dictionary and λ are the ones the network was made for (to float64 rounding). */
function sameProblem(network: ListaNetwork, code: SparseCodeInstance): boolean {
  if (code.m !== network.m || code.n !== network.n || Math.abs(code.lambda - network.lambda) > 1e-12 * Math.abs(network.lambda)) return false;
  for (let i = 0; i < code.D.length; i++) if (Math.abs(code.D[i] - network.D[i]) > 1e-12) return false;
  return true;
}

/**
 * LISTA as a policy on sparse-coding objectives: its step t < K moves x_t to layer t's output
 * soft(W y + S x_t, θ_t) (from x_0 = 0 these are the network's layers); from step K on it takes ISTA
 * steps prox_{λ/L}(x − Dᵀ(Dx − y)/L). It reads D, y and λ from `objective.sparseCode`, never z*.
 */
export class ListaPolicy implements Policy {
  readonly name = 'lista';
  private code: SparseCodeInstance | null = null;
  private input: Float64Array = new Float64Array(0);
  private k = 0;

  constructor(readonly network: ListaNetwork) {}

  /** What the policy does, for listings: its layers, then ISTA. */
  get description(): string {
    return `LISTA, ${this.network.layers} learned layers, then ISTA with step 1/L`;
  }

  reset(objective: Objective, _rng: Rng): void {
    const code = objective.sparseCode;
    if (!code) throw new UserError(`lista runs on sparse-coding objectives (with a dictionary, a signal and λ); ${objective.name} has none`);
    if (!sameProblem(this.network, code)) {
      throw new UserError(
        `this LISTA network was trained for a ${this.network.m} × ${this.network.n} dictionary with λ = ${this.network.lambda}; ${objective.name} has a ${code.m} × ${code.n} dictionary with λ = ${code.lambda} that differs`,
      );
    }
    this.code = code;
    this.input = listaInput(this.network, code.y);
    this.k = 0;
  }

  act(observation: Observation): Float64Array {
    const code = this.code;
    if (!code) throw new Error('lista: act() called before reset()');
    const x = observation.x;
    let next: Float64Array;
    if (this.k < this.network.layers) {
      next = listaLayer(this.network, this.k, this.input, x);
    } else {
      const step = 1 / this.network.lipschitz;
      const { gradient } = leastSquares(code.D, code.m, code.n, code.y, x);
      for (let i = 0; i < gradient.length; i++) gradient[i] = x[i] - step * gradient[i];
      next = softThreshold(gradient, step * code.lambda);
    }
    this.k += 1;
    for (let i = 0; i < next.length; i++) next[i] -= x[i];
    return next;
  }
}
