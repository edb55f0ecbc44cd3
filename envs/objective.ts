// The contract every problem instance and every family of instances meets. A user's own family
// implements these two interfaces (see README "Your own objective family").
import type { Rng } from '../src/random.ts';
import type { ParameterGroup } from './parameter-groups.ts';

/** f(x) and ∇f(x). */
export interface Evaluation {
  value: number;
  gradient: Float64Array;
}

/** One problem instance f: R^dim → R with its gradient. May be stochastic (a minibatch loss). */
export interface Objective {
  /** e.g. "logreg/test/17": family, split and index, for logs and errors. */
  readonly name: string;
  readonly dim: number;
  evaluate(x: Float64Array): Evaluation;
  /** Begins a run: returns x0 and (if stochastic) re-seeds the minibatch stream, drawing only from `rng`. */
  start(rng: Rng): Float64Array;
  /** Frees resources held outside the JS heap (tfjs tensors). */
  dispose?(): void;
  /**
   * Optional: f = g + h split into a smooth part g and a regularizer h with a cheap proximal map,
   * for proximal methods (ISTA, FISTA: policies/proximal.ts). `evaluate` stays the whole f with a
   * subgradient; an objective without this field is smooth as far as every other optimizer knows.
   */
  readonly composite?: CompositeStructure;
  /**
   * Optional: the sparse-coding instance behind the objective (envs/sparse-coding.ts), for LISTA,
   * which maps the signal y to a code and is trained on the true code z*. A policy may read D, y and
   * λ (the problem's data); z* is the training target and is for trainers and scores only.
   */
  readonly sparseCode?: SparseCodeInstance;
  /**
   * Optional: the instance's minimum f*, when its family knows it (exactly, or to a solver's
   * precision). The 'rate' meta-objective measures the gap f − f* (src/meta-objective.ts); without
   * it f* counts as 0.
   */
  readonly minimum?: number;
  /**
   * Optional: the coordinates' roles as consecutive groups (a net's weight matrices and bias vectors,
   * envs/parameter-groups.ts). Per-coordinate GPS can keep one teacher per group; without groups all
   * coordinates are one.
   */
  readonly groups?: readonly ParameterGroup[];
  /**
   * Optional, for objectives that are a minibatch loss: the loss at x on the whole data set the
   * minibatches are drawn from, the same for every call (no minibatch drawn, the run's stream
   * untouched). What a stochastic run is scored by at its end (src/evaluate/compare.ts), as the
   * minibatch loss at one step is noisy.
   */
  fullValue?(x: Float64Array): number;
  /**
   * Optional, for objectives that are a minibatch loss: f and ∇f at x on a minibatch drawn from `rng`
   * instead of the run's stream, which stays untouched. A second, independent look at the same point:
   * per-coordinate GPS compares it with the run's gradient to tell signal from minibatch noise
   * (docs/design.md §2, the denoised cost gradient). Without it the objective counts as deterministic.
   */
  resample?(x: Float64Array, rng: Rng): Evaluation;
}

/**
 * The composite structure f(x) = g(x) + h(x) of an objective: g smooth with an L-Lipschitz gradient,
 * h convex with a proximal map in closed form (ℓ1, group ℓ2). `Objective.evaluate(x)` is g + h with a
 * subgradient of h; this is what proximal methods step with instead.
 */
export interface CompositeStructure {
  /** g(x) and ∇g(x): the smooth part alone. */
  smooth(x: Float64Array): Evaluation;
  /** A Lipschitz constant L of ∇g when known exactly (ISTA's step 1/L); absent: methods backtrack. */
  readonly lipschitz?: number;
  /** prox_{step·h}(v) = argmin_u h(u) + ‖u − v‖²/(2·step), a new array. */
  prox(v: Float64Array, step: number): Float64Array;
  /** h(x), so that evaluate(x).value = smooth(x).value + regularizer(x). */
  regularizer(x: Float64Array): number;
}

/**
 * One sparse-coding (lasso) instance: f(z) = ½‖Dz − y‖² + λ‖z‖₁ with a dictionary D of m rows
 * (signal length) and n columns (atoms), and the sparse code z* that generated y = Dz* + noise.
 */
export interface SparseCodeInstance {
  /** D, m × n, row-major; one dictionary per family, shared by all its instances. */
  readonly D: Float64Array;
  readonly m: number;
  readonly n: number;
  /** The signal y (length m). */
  readonly y: Float64Array;
  /** The true code z* (length n) that generated y: LISTA's training target, never a policy's input. */
  readonly zStar: Float64Array;
  readonly lambda: number;
}

/** Which split of a family an instance comes from. */
export type Split = 'train' | 'test';
/** Both splits, train first. */
export const SPLITS: readonly Split[] = ['train', 'test'];

/**
 * A seeded generator of objectives. Instance (split, index) is a pure function of the family's
 * parameters, so the train and test sets are fixed, disjoint and identical on every machine.
 */
/**
 * How to build a family again: a built-in name or a module path, and its parameters. A worker
 * thread rebuilds the family from it (families hold closures and datasets that cannot be sent).
 */
export interface FamilySpec {
  env: string;
  params: Record<string, string | number>;
  /** A family module's contents as read (src/file-stamp.ts), so that a worker rebuilds it, or refuses it, when the file has changed. */
  stamp?: string;
}

/** A seeded generator of objectives with fixed, disjoint train and test splits: instance (split, index) is a pure function of the family's parameters. */
export interface ObjectiveFamily {
  readonly name: string;
  /** Set by the registry on every family it builds; absent on a family built by hand. */
  readonly spec?: FamilySpec;
  readonly dim: number;
  /** The number of instances in each split (the papers' counts for the 2016 families). */
  readonly splitSizes: Readonly<Record<Split, number>>;
  sample(split: Split, index: number): Objective;
}

/** The seed stream of instance (split, index) of a family; shared so every family derives it alike. */
export function instanceSeed(family: string, instanceSeedParam: number, split: Split, index: number): string {
  return `${family}/instances-${instanceSeedParam}/${split}/${index}`;
}
