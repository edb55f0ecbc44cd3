// The GPS objects that cross to a worker thread and back. Structured cloning keeps every float64
// exactly but drops classes, so each type is rebuilt here from its cloned fields; a condition's
// teacher solved in a worker is bit-for-bit the one solved in the main thread.
import { Matrix } from '../linalg/matrix.ts';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian.ts';
import type { LinearDynamics } from './dynamics.ts';
import type { PolicyCoupling, QuadraticCost } from './lqr.ts';
import type { Samples } from './problem/gps-problem.ts';
import { PolicyNetwork, type PolicyNetworkJson } from '../../policies/policy-network.ts';
import { LstmPolicyNetwork, type LstmPolicyJson } from '../../policies/lstm-policy-network.ts';
import type { DistilledPolicy } from '../../policies/distilled-policy.ts';

type Cloned<T> = { [K in keyof T]: unknown };

export function reviveMatrix(m: unknown): Matrix {
  const { rows, cols, data } = m as { rows: number; cols: number; data: Float64Array };
  return new Matrix(rows, cols, data);
}

const matrices = (ms: unknown): Matrix[] => (ms as unknown[]).map(reviveMatrix);

export function reviveLinearGaussian(p: unknown): LinearGaussianPolicy {
  const c = p as Cloned<LinearGaussianPolicy>;
  return new LinearGaussianPolicy(matrices(c.K), c.k as Float64Array[], matrices(c.covariance), {
    choleskyCovariance: matrices(c.choleskyCovariance),
    precision: matrices(c.precision),
  });
}

export function reviveDynamics(d: unknown): LinearDynamics {
  const c = d as Cloned<LinearDynamics>;
  return { F: matrices(c.F), f: c.f as Float64Array[], covariance: matrices(c.covariance), x0Mean: c.x0Mean as Float64Array, x0Covariance: reviveMatrix(c.x0Covariance) };
}

export function reviveCost(q: unknown): QuadraticCost {
  const c = q as Cloned<QuadraticCost>;
  return { C: matrices(c.C), c: c.c as Float64Array[], constant: c.constant as Float64Array | undefined };
}

export function reviveCoupling(p: unknown): PolicyCoupling {
  const c = p as Cloned<PolicyCoupling>;
  return { policy: reviveLinearGaussian(c.policy), weights: c.weights as Float64Array, lambdaK: matrices(c.lambdaK), lambdak: c.lambdak as Float64Array[] };
}

/** Sequences `[n][t]` of equal-length vectors as one block: what a sample set crosses to a worker as. */
export interface PackedSequences {
  data: Float64Array;
  sequences: number;
  steps: number;
  width: number;
}

/**
 * One copy into a single array. Per coordinate at T = 400 a condition's samples are 64,000 vectors,
 * and structured cloning them one by one made the policy phase slower with 2 threads than with 1
 * (47 s against 41 per iteration).
 */
export function packSequences(sequences: readonly (readonly Float64Array[])[]): PackedSequences {
  const steps = sequences[0]?.length ?? 0;
  const width = steps > 0 ? sequences[0][0].length : 0;
  const data = new Float64Array(sequences.length * steps * width);
  sequences.forEach((run, n) => run.forEach((v, t) => data.set(v, (n * steps + t) * width)));
  return { data, sequences: sequences.length, steps, width };
}

/** The vectors again, as views into the block (the same numbers). */
export function unpackSequences(packed: PackedSequences): Float64Array[][] {
  const { data, sequences, steps, width } = packed;
  return Array.from({ length: sequences }, (_, n) => Array.from({ length: steps }, (_, t) => data.subarray((n * steps + t) * width, (n * steps + t + 1) * width)));
}

/**
 * Copies of `arrays` placed one after another in a single SharedArrayBuffer. Structured cloning
 * sends a view of shared memory as a handle, so a condition's models and samples, which every inner
 * iteration sends again, cross to a worker without being copied (about 650 KB per item at the
 * logreg default; docs/design.md §4). Nothing writes to them once they are shared.
 */
function intoShared(arrays: readonly Float64Array[]): () => Float64Array {
  const buffer = new SharedArrayBuffer(8 * arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  const views = arrays.map((a) => {
    const view = new Float64Array(buffer, offset, a.length);
    view.set(a);
    offset += a.byteLength;
    return view;
  });
  let next = 0;
  // The copies in the order given, one per call.
  return () => views[next++];
}

const matricesFrom = (ms: readonly Matrix[], next: () => Float64Array): Matrix[] => ms.map((m) => new Matrix(m.rows, m.cols, next()));

export function sharedSequences(packed: PackedSequences): PackedSequences {
  return { ...packed, data: intoShared([packed.data])() };
}

export function sharedDynamics(d: LinearDynamics): LinearDynamics {
  const next = intoShared([...d.F.map((m) => m.data), ...d.f, ...d.covariance.map((m) => m.data), d.x0Mean, d.x0Covariance.data]);
  const F = matricesFrom(d.F, next);
  const f = d.f.map(() => next());
  const covariance = matricesFrom(d.covariance, next);
  const x0Mean = next();
  return { ...d, F, f, covariance, x0Mean, x0Covariance: new Matrix(d.x0Covariance.rows, d.x0Covariance.cols, next()) };
}

export function sharedCost(q: QuadraticCost): QuadraticCost {
  const next = intoShared([...q.C.map((m) => m.data), ...q.c, ...(q.constant ? [q.constant] : [])]);
  const C = matricesFrom(q.C, next);
  const c = q.c.map(() => next());
  return q.constant ? { ...q, C, c, constant: next() } : { ...q, C, c };
}

/** A condition's samples (gps-problem.ts) with every per-step field in one block. */
export type PackedSamples = { values: Float64Array[]; nextValues?: Float64Array[] } & Partial<Record<SequenceField, PackedSequences>>;

const SEQUENCE_FIELDS = ['states', 'observations', 'actions', 'iterates', 'gradients', 'means'] as const;
type SequenceField = (typeof SEQUENCE_FIELDS)[number];

export function packSamples(samples: Samples): PackedSamples {
  const packed: PackedSamples = { values: samples.values, ...(samples.nextValues ? { nextValues: samples.nextValues } : {}) };
  for (const field of SEQUENCE_FIELDS) {
    const sequences = samples[field];
    if (sequences) packed[field] = packSequences(sequences);
  }
  return packed;
}

export function unpackSamples(packed: PackedSamples): Samples {
  const field = (name: SequenceField) => (packed[name] ? unpackSequences(packed[name]) : undefined);
  const samples: Samples = { states: field('states')!, observations: field('observations')!, actions: field('actions')!, values: packed.values, ...(packed.nextValues ? { nextValues: packed.nextValues } : {}) };
  for (const name of ['iterates', 'gradients', 'means'] as const) {
    const sequences = field(name);
    if (sequences) samples[name] = sequences;
  }
  return samples;
}

/** The global policy's JSON: the feed-forward network's (no kind: files from before the LSTM), or the LSTM's. */
export type DistilledPolicyJson = PolicyNetworkJson | LstmPolicyJson;

export function reviveDistilledPolicy(json: DistilledPolicyJson): DistilledPolicy {
  return 'kind' in json && json.kind === 'lstm' ? LstmPolicyNetwork.fromJSON(json) : PolicyNetwork.fromJSON(json as PolicyNetworkJson);
}
