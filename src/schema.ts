// Small validators for the JSON files l2o reads back (checkpoints, learned optimizers): each checks
// a value's type, range and shape, and a value that fails is one SchemaError naming its field path
// (`config.gradientScaling must be 'none' or 'adagrad', got 'bogus'`), which the file's reader turns
// into a UserError naming the file (src/run-directory.ts, parseRunFile). Hand-written rather than a
// dependency: the run files need a dozen combinators, and large number arrays (6 MB checkpoints)
// are checked in one tight loop.

import { UserError } from './errors.ts';

/** A field that fails its schema: where it is (a path like `conditions[3].nu`) and what is wrong. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';

  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path === '' ? 'the file' : path} ${problem}`);
  }
}

/** Checks `value` found at `path` and returns it typed; throws a SchemaError otherwise. */
export type Schema<T> = (value: unknown, path: string) => T;

/** A schema whose field an object may lack. */
export type OptionalSchema<T> = Schema<T | undefined> & { readonly optional: true };

/** What a schema returns. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Record<string, Schema<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optional: true } ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>;
/** The object a shape describes: optional schemas give optional fields. */
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> };

/** The value as a message shows it: strings quoted, arrays and objects by kind. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

export function fail(path: string, problem: string): never {
  throw new SchemaError(path, problem);
}

/** `path.key`, or `path['key']` for a key that is not a plain name. */
export function field(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}['${key}']`;
  return path === '' ? key : `${path}.${key}`;
}

export const at = (path: string, index: number) => `${path}[${index}]`;

export const string = (): Schema<string> => (value, path) => (typeof value === 'string' ? value : fail(path, `must be a string, got ${show(value)}`));

export const boolean = (): Schema<boolean> => (value, path) => (typeof value === 'boolean' ? value : fail(path, `must be true or false, got ${show(value)}`));

export interface NumberRange {
  integer?: boolean;
  /** value ≥ min */
  min?: number;
  /** value > above */
  above?: number;
  /** value ≤ max */
  max?: number;
}

function describeRange({ integer, min, above, max }: NumberRange): string {
  if (integer && above === undefined && max === undefined && (min === 0 || min === 1)) return min === 0 ? 'a non-negative integer' : 'a positive integer';
  const bounds = [min !== undefined && `≥ ${min}`, above !== undefined && `> ${above}`, max !== undefined && `≤ ${max}`].filter(Boolean).join(' and ');
  return `${integer ? 'an integer' : 'a finite number'}${bounds ? ` ${bounds}` : ''}`;
}

function inRange(x: unknown, range: NumberRange): x is number {
  return (
    typeof x === 'number' &&
    Number.isFinite(x) &&
    (!range.integer || Number.isInteger(x)) &&
    (range.min === undefined || x >= range.min) &&
    (range.above === undefined || x > range.above) &&
    (range.max === undefined || x <= range.max)
  );
}

/** A finite number (JSON has no NaN or Infinity: JSON.stringify writes them as null) within the range. */
export function number(range: NumberRange = {}): Schema<number> {
  return (value, path) => (inRange(value, range) ? value : fail(path, `must be ${describeRange(range)}, got ${show(value)}`));
}

/** One of the listed strings. */
export function oneOf<const T extends string>(...choices: T[]): Schema<T> {
  const listed = choices.map((c) => `'${c}'`);
  const expected = listed.length <= 2 ? listed.join(' or ') : `one of ${listed.join(', ')}`;
  return (value, path) => ((choices as unknown[]).includes(value) ? (value as T) : fail(path, `must be ${expected}, got ${show(value)}`));
}

/** A field that may be absent (undefined); present, it must pass `schema`. */
export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return Object.assign((value: unknown, path: string) => (value === undefined ? undefined : schema(value, path)), { optional: true as const });
}

/** An array whose items pass `item`, with `length` items when given. */
export function array<T>(item: Schema<T>, length?: number): Schema<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, `must be an array, got ${show(value)}`);
    if (length !== undefined && value.length !== length) fail(path, `has ${value.length} entries, expected ${length}`);
    return value.map((x, i) => item(x, at(path, i)));
  };
}

/**
 * An array of numbers in `range` (finite by default), checked in one loop (weights and mixtures run
 * to millions of entries). `length` with its reason gives `has 740 numbers, expected 750 (inputDim 15 × hidden 50)`.
 */
export function numbers(range: NumberRange = {}, length?: number, why?: string): Schema<number[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, `must be an array of numbers, got ${show(value)}`);
    if (length !== undefined) checkLength(value, length, path, why);
    for (let i = 0; i < value.length; i++) {
      if (!inRange(value[i], range)) fail(at(path, i), `must be ${describeRange(range)}, got ${show(value[i])}`);
    }
    return value as number[];
  };
}

/** Fails unless `value` has `length` entries; `why` says where the expectation comes from. */
export function checkLength(value: readonly unknown[], length: number, path: string, why?: string): void {
  if (value.length !== length) fail(path, `has ${value.length} ${value.every((x) => typeof x === 'number') ? 'numbers' : 'entries'}, expected ${length}${why ? ` (${why})` : ''}`);
}

/** An object whose values all pass `item` (its keys are free). */
export function record<T>(item: Schema<T>): Schema<Record<string, T>> {
  return (value, path) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, `must be an object, got ${show(value)}`);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, item(v, field(path, k))]));
  };
}

/**
 * An object with the fields of `shape` (fields it does not name are kept unchecked), then `check`
 * for what ties the fields together, which reports through `fail(field(path, 'W1'), …)`.
 */
export function object<S extends Shape>(shape: S, check?: (value: ObjectOf<S>, path: string) => void): Schema<ObjectOf<S>> {
  return (value, path) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, `must be an object, got ${show(value)}`);
    const source = value as Record<string, unknown>;
    const result: Record<string, unknown> = { ...source };
    for (const [key, schema] of Object.entries(shape)) {
      const checked = schema(source[key], field(path, key));
      if (checked !== undefined) result[key] = checked;
    }
    check?.(result as ObjectOf<S>, path);
    return result as ObjectOf<S>;
  };
}

/**
 * Checks a value a library caller passed (a trainer's config) by the schema its run file is read back
 * with: a run must not be written that cannot be resumed or loaded. A failure is one UserError.
 */
export function checkArgument<T>(schema: Schema<T>, value: unknown, name: string): void {
  try {
    schema(value, name);
  } catch (err) {
    if (err instanceof SchemaError) throw new UserError(err.message);
    throw err;
  }
}

/** Runs `schema` over a whole file's parsed contents: the root's path is ''. */
export function parse<T>(schema: Schema<T>, value: unknown): T {
  return schema(value, '');
}
