// Parameter groups: consecutive blocks of an objective's coordinates that play one role (a weight
// matrix, a bias vector). Per-coordinate GPS keeps one teacher per group (Li & Malik 2017's
// "convolutional GPS", docs/design.md §2), since a net's weights and biases want different steps.
import { UserError } from '../src/errors.ts';
import type { Objective } from './objective.ts';

/** A block of consecutive coordinates with one role, e.g. `{ name: 'W1', offset: 0, size: 2304 }` (Objective.groups). */
export interface ParameterGroup {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/** The objective's groups, or one group of all its coordinates when it declares none. */
export function parameterGroups(objective: Pick<Objective, 'dim' | 'groups'>): readonly ParameterGroup[] {
  return objective.groups ?? [{ name: 'all', offset: 0, size: objective.dim }];
}

/** The group of each coordinate, as an index into `groups`. */
export function groupIndexOf(groups: readonly ParameterGroup[], dim: number): Int32Array {
  const index = new Int32Array(dim);
  groups.forEach((g, i) => index.fill(i, g.offset, g.offset + g.size));
  return index;
}

/** Groups as a family declared them, checked: non-empty, named, in order, covering [0, dim) once. */
export function checkParameterGroups(groups: unknown, dim: number, owner: string): readonly ParameterGroup[] {
  const wrong = (what: string) => new UserError(`objective ${owner}: groups ${what}; they must be [{ name, offset, size }, …] covering coordinates 0..${dim - 1} in order, each once`);
  if (!Array.isArray(groups) || groups.length === 0) throw wrong('is not a non-empty array');
  let next = 0;
  for (const [i, g] of groups.entries()) {
    const { name, offset, size } = (g ?? {}) as Partial<ParameterGroup>;
    if (typeof name !== 'string' || name === '') throw wrong(`[${i}] has no name`);
    if (offset !== next) throw wrong(`[${i}] ('${name}') starts at ${String(offset)}, not ${next}`);
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw wrong(`[${i}] ('${name}') has size ${String(size)}`);
    next += size;
  }
  if (next !== dim) throw wrong(`cover ${next} coordinates, not ${dim}`);
  return groups as ParameterGroup[];
}

/** One group per weight matrix and one per bias vector of a layered net, in the order of its flat parameters. */
export function layerGroups(layers: readonly { weights: number; biases: number }[]): ParameterGroup[] {
  const groups: ParameterGroup[] = [];
  let offset = 0;
  layers.forEach(({ weights, biases }, l) => {
    groups.push({ name: `W${l + 1}`, offset, size: weights });
    offset += weights;
    groups.push({ name: `b${l + 1}`, offset, size: biases });
    offset += biases;
  });
  return groups;
}
