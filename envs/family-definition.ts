// How a family is described to the CLI and the registry: its parameters, their defaults and how to
// build it. Parameters are validated here once, so families can trust what they receive.
import { UserError } from '../src/errors.ts';
import type { ObjectiveFamily } from './objective.ts';

export interface ParamSpec {
  kind: 'number' | 'integer' | 'string';
  default: number | string;
  description: string;
}

export type ParamValues = Record<string, number | string>;

export interface FamilyDefinition {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  create(params: ParamValues): ObjectiveFamily;
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
    out[key] = value;
  }
  return out;
}

/** Instance counts and the instance seed are common to all built-in families. */
export function splitParams(train: number, test: number): Record<string, ParamSpec> {
  return {
    trainSize: { kind: 'integer', default: train, description: 'number of training instances' },
    testSize: { kind: 'integer', default: test, description: 'number of held-out test instances' },
    instanceSeed: { kind: 'integer', default: 0, description: 'seed of the instance generator (fixes both splits)' },
  };
}
