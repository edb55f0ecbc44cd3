// How a family is described to the CLI and the registry: its parameters, their defaults and how to
// build it. Parameters are validated here once, so families can trust what they receive.
import { UserError } from '../src/errors.ts';
import type { ObjectiveFamily } from './objective.ts';

/** One parameter of a family, settable as `--param key=value` on the command line. */
export interface ParamSpec {
  kind: 'number' | 'integer' | 'string';
  default: number | string;
  description: string;
  /** The least value allowed (numeric kinds): `--param` below it is refused with one line. */
  min?: number;
  /** With `min`: the value must be greater than `min`, not equal to it (a scale, a standard deviation that divides). */
  exclusiveMin?: boolean;
  /** The greatest value allowed (numeric kinds). */
  max?: number;
}

/** "at least 1", "greater than 0", "at most 10", "from 0 to 1": a spec's range, or '' when it has none. */
export function rangeText(spec: ParamSpec): string {
  const low = spec.min === undefined ? '' : spec.exclusiveMin ? `greater than ${spec.min}` : `at least ${spec.min}`;
  const high = spec.max === undefined ? '' : `at most ${spec.max >= 10_000 ? spec.max.toLocaleString('en-US') : spec.max}`;
  return [low, high].filter(Boolean).join(' and ');
}

function inRange(spec: ParamSpec, value: number): boolean {
  if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) return false;
  return spec.max === undefined || value <= spec.max;
}

/** A family's parameters after defaults and the user's values are merged and checked. */
export type ParamValues = Record<string, number | string>;

/**
 * A family of objectives as the registry and the CLI know it: its name, its parameters, and how to
 * build it from them. A family module (`l2o eval --env ./my-family.ts`) default-exports one.
 */
export interface FamilyDefinition {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  /** Builds the family; `params` holds every declared parameter, checked against its kind. */
  create(params: ParamValues): ObjectiveFamily;
  /**
   * Whether the family computes with tfjs, so that a command initializes a backend before building it.
   * A built-in family without it runs in plain JavaScript and a command on it skips loading tfjs (about a
   * quarter second per process and worker thread); a family module is taken to use tfjs whatever it says.
   */
  tfjs?: boolean;
}

/**
 * Checks a family definition and returns it, typed: the one call a family module needs.
 *
 * @example
 * ```ts
 * import { defineFamily, Rng } from 'learn-to-optimize';
 * export default defineFamily({
 *   name: 'bowl', description: 'x·x scaled by c', params: { c: { kind: 'number', default: 1, description: 'scale' } },
 *   create: ({ c }) => ({ name: 'bowl', dim: 2, splitSizes: { train: 10, test: 10 }, sample: (split, index) => ({
 *     name: `bowl/${split}/${index}`, dim: 2, start: (rng: Rng) => rng.normalVector(2),
 *     evaluate: (x) => ({ value: (c as number) * (x[0] ** 2 + x[1] ** 2), gradient: x.map((v) => 2 * (c as number) * v) }),
 *   }) }),
 * });
 * ```
 * @throws UserError when the name, the parameters or `create` are malformed.
 */
export function defineFamily(definition: FamilyDefinition): FamilyDefinition {
  const where = `family '${String(definition?.name)}'`;
  if (!definition || typeof definition.name !== 'string' || definition.name.trim() === '') throw new UserError('a family needs a non-empty name');
  if (typeof definition.create !== 'function') throw new UserError(`${where} needs a create(params) function`);
  if (typeof definition.params !== 'object' || definition.params === null) throw new UserError(`${where} needs a params object (it may be empty)`);
  for (const [key, spec] of Object.entries(definition.params)) {
    if (!['number', 'integer', 'string'].includes(spec?.kind)) throw new UserError(`${where} parameter '${key}' has kind '${spec?.kind}'; kinds: number, integer, string`);
    const numeric = spec.kind !== 'string';
    const ok = numeric ? typeof spec.default === 'number' && Number.isFinite(spec.default) && (spec.kind === 'number' || Number.isInteger(spec.default)) : typeof spec.default === 'string';
    if (!ok) throw new UserError(`${where} parameter '${key}' has default ${JSON.stringify(spec.default)}, which is not a${spec.kind === 'integer' ? 'n integer' : spec.kind === 'number' ? ' finite number' : ' string'}`);
    for (const bound of ['min', 'max'] as const) {
      if (spec[bound] === undefined) continue;
      if (!numeric) throw new UserError(`${where} parameter '${key}' is a string and cannot have a ${bound}`);
      if (typeof spec[bound] !== 'number' || !Number.isFinite(spec[bound])) throw new UserError(`${where} parameter '${key}' has ${bound} ${JSON.stringify(spec[bound])}, which is not a finite number`);
    }
    if (numeric && !inRange(spec, spec.default as number)) throw new UserError(`${where} parameter '${key}' has default ${spec.default}, which is not ${rangeText(spec)}`);
  }
  return definition;
}

/** Defaults overlaid with the user's values, each checked against its spec. */
export function resolveParams(def: FamilyDefinition, given: Record<string, string | number>): ParamValues {
  const out: ParamValues = {};
  for (const [key, spec] of Object.entries(def.params)) out[key] = spec.default;
  for (const [key, raw] of Object.entries(given)) {
    const spec = def.params[key];
    if (!spec) {
      const known = Object.keys(def.params).join(', ') || '(none)';
      throw new UserError(`env '${def.name}' has no parameter '${key}'; its parameters: ${known}`);
    }
    if (spec.kind === 'string') {
      out[key] = String(raw);
      continue;
    }
    const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (String(raw).trim() === '' || !Number.isFinite(value)) {
      throw new UserError(`env '${def.name}' parameter '${key}' must be a finite number, got '${raw}'`);
    }
    if (spec.kind === 'integer' && !Number.isInteger(value)) {
      throw new UserError(`env '${def.name}' parameter '${key}' must be an integer, got '${raw}'`);
    }
    if (!inRange(spec, value)) throw new UserError(`env '${def.name}' parameter '${key}' must be ${rangeText(spec)}, got '${raw}'`);
    out[key] = value;
  }
  return out;
}

/** Instance counts and the instance seed are common to all built-in families. */
export function splitParams(train: number, test: number): Record<string, ParamSpec> {
  return {
    trainSize: { kind: 'integer', default: train, min: 0, max: 10_000_000, description: 'number of training instances' },
    testSize: { kind: 'integer', default: test, min: 0, max: 10_000_000, description: 'number of held-out test instances' },
    instanceSeed: { kind: 'integer', default: 0, description: 'seed of the instance generator (fixes both splits)' },
  };
}
