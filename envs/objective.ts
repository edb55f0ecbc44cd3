// The contract every problem instance and every family of instances meets. A user's own family
// implements these two interfaces (see README "Your own objective family").
import type { Rng } from '../src/random.ts';

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
