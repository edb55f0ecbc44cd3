// The checks at the border between a user's code (a family module, an --expr expression) and ours.
// The registry wraps every family it builds from user input in `checkedFamily`: the family's shape
// is checked once, each instance's start() and evaluate() on every call, and an exception from the
// user's code becomes one UserError naming the family or the instance and where it happened.
// Non-finite values and gradients pass through: a step into NaN/Inf is a run that diverged
// (optimization-env.ts), and a non-finite f at x0 is a run that never began (NonFiniteStartError).
import { firstLine, isUserError, UserError } from '../src/errors.ts';
import type { Evaluation, Objective, ObjectiveFamily, Split } from './objective.ts';
import type { Rng } from '../src/random.ts';
import { checkParameterGroups } from './parameter-groups.ts';

/** Where a checked objective keeps the objective the family built, for OptimizationEnv to call with the step it is at. */
const UNCHECKED = Symbol('the objective as the family built it');

/** The user's objective behind a checked one, or undefined for an objective of our own. */
export function uncheckedObjective(objective: Objective): Objective | undefined {
  return (objective as { [UNCHECKED]?: Objective })[UNCHECKED];
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** A vector the user returned as a Float64Array (a plain or other typed array is copied); null when it is not `dim` numbers. */
function asVector(value: unknown, dim: number): Float64Array | null {
  if (value instanceof Float64Array) return value.length === dim ? value : null;
  if (!(Array.isArray(value) || ArrayBuffer.isView(value)) || (value as ArrayLike<unknown>).length !== dim) return null;
  const list = value as ArrayLike<unknown>;
  const out = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    if (typeof list[i] !== 'number') return null;
    out[i] = list[i] as number;
  }
  return out;
}

/** x0 as start(rng) returned it, checked: `dim` finite numbers. */
export function checkStart(x: unknown, name: string, dim: number): Float64Array {
  const vector = asVector(x, dim);
  if (!vector) throw new UserError(`objective ${name}: start() returned ${describe(x)}; it must return a Float64Array (or array) of ${dim} numbers, the family's dim`);
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(vector[i])) throw new UserError(`objective ${name}: start() returned x0 with x0[${i}] = ${vector[i]}; a starting point must be finite`);
  }
  return vector;
}

/** evaluate(x)'s result (or `call`'s, such as resample's), checked: `{ value: number, gradient }` with `dim` numbers (NaN and ±Inf allowed: a diverged step). */
export function checkEvaluation(result: unknown, name: string, dim: number, where: string, call = 'evaluate(x)'): Evaluation {
  const wrong = (what: string) => new UserError(`objective ${name} ${where}: ${call} returned ${what}; it must return { value: number, gradient } with a gradient of ${dim} numbers`);
  if (typeof result !== 'object' || result === null) throw wrong(describe(result));
  const { value, gradient } = result as { value?: unknown; gradient?: unknown };
  if (typeof value !== 'number') throw wrong(`value = ${describe(value)}`);
  const vector = asVector(gradient, dim);
  if (!vector) throw wrong(`gradient = ${describe(gradient)}`);
  return vector === gradient ? (result as Evaluation) : { value, gradient: vector };
}

/** Calls the user's evaluate: an exception becomes a UserError naming the instance and where; the result is checked. */
export function evaluateChecked(objective: Objective, x: Float64Array, where: string): Evaluation {
  let result: unknown;
  try {
    result = objective.evaluate(x);
  } catch (err) {
    // A UserError is a refusal of what the user wrote (an expression's matrix value), not a crash.
    const verb = isUserError(err) ? '' : ' threw';
    throw new UserError(`objective ${objective.name}${verb} ${where}: ${firstLine(err)}`, { cause: err });
  }
  return checkEvaluation(result, objective.name, objective.dim, where);
}

/** What a checked objective keeps of the user's: dispose, the structure proximal methods and LISTA read, its groups (checked), its full-data loss and its second minibatch (checked when called). */
function passedThrough(objective: Partial<Objective>, name: string, dim: number): Partial<Objective> {
  const { dispose, composite, sparseCode, groups, fullValue, resample } = objective;
  return {
    ...(groups !== undefined ? { groups: checkParameterGroups(groups, dim, name) } : {}),
    ...(typeof dispose === 'function' ? { dispose: () => dispose.call(objective) } : {}),
    ...(typeof fullValue === 'function' ? { fullValue: (x: Float64Array) => checkedFullValue(() => fullValue.call(objective, x), name) } : {}),
    ...(typeof resample === 'function' ? { resample: (x: Float64Array, rng: Rng) => checkedResample(() => resample.call(objective, x, rng), name, dim) } : {}),
    ...(composite ? { composite } : {}),
    ...(sparseCode ? { sparseCode } : {}),
  };
}

/**
 * The user's optional method called: an exception becomes a UserError naming the instance and the
 * call. A UserError passes as it is: a family's instances pass through the checks twice
 * (checkedFamily, then checkedObjective), and the inner one's verdict stands.
 */
function callUser<T>(call: () => T, name: string, what: string): T {
  try {
    return call();
  } catch (err) {
    if (isUserError(err)) throw err;
    throw new UserError(`objective ${name}: ${what} threw: ${firstLine(err)}`, { cause: err });
  }
}

function checkedResample(call: () => unknown, name: string, dim: number): Evaluation {
  return checkEvaluation(callUser(call, name, 'resample(x, rng)'), name, dim, 'on a second minibatch', 'resample(x, rng)');
}

function checkedFullValue(call: () => unknown, name: string): number {
  const value = callUser(call, name, 'fullValue(x)');
  if (typeof value !== 'number') throw new UserError(`objective ${name}: fullValue(x) returned ${describe(value)}; it must return a number`);
  return value;
}

/**
 * `target` with `source`'s minimum, forwarded rather than read (a spread would read it): a family may
 * compute its minimum lazily, and most runs never ask for it.
 */
function withMinimumOf<T extends object>(target: T, source: Partial<Objective>, name: string): T {
  if ('minimum' in source) Object.defineProperty(target, 'minimum', { get: () => checkMinimum(source.minimum, name), enumerable: true });
  return target;
}

function checkMinimum(value: unknown, name: string): number | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw new UserError(`objective ${name}: minimum must be a finite number when given, got ${String(value)}`);
}

/** The objective with every call checked; evaluations outside an OptimizationEnv are counted from the last start(). */
export function checkedObjective(objective: Objective): Objective {
  let evaluations = 0;
  const { name, dim } = objective;
  return withMinimumOf({
    name,
    dim,
    start(rng) {
      evaluations = 0;
      let x: unknown;
      try {
        x = objective.start(rng);
      } catch (err) {
        throw new UserError(`objective ${name}: start() threw: ${firstLine(err)}`, { cause: err });
      }
      return checkStart(x, name, dim);
    },
    evaluate(x) {
      evaluations += 1;
      return evaluateChecked(objective, x, `at evaluation ${evaluations} after its start`);
    },
    ...passedThrough(objective, name, dim),
    [UNCHECKED]: objective,
  } as Objective, objective, name);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * Checks what a user's create(params) returned, and wraps it so each instance is checked too.
 * `label` names the family in messages (its definition's name).
 */
export function checkedFamily(family: unknown, label: string): ObjectiveFamily {
  const where = `family '${label}'`;
  if (typeof family !== 'object' || family === null) throw new UserError(`${where}: create(params) returned ${describe(family)}; it must return { name, dim, splitSizes, sample }`);
  const f = family as Partial<ObjectiveFamily>;
  if (typeof f.dim !== 'number' || !Number.isInteger(f.dim) || f.dim < 1) throw new UserError(`${where}: dim must be a positive integer, got ${describe(f.dim)}`);
  const sizes = f.splitSizes as Partial<Record<Split, unknown>> | undefined;
  if (typeof sizes !== 'object' || sizes === null) throw new UserError(`${where}: splitSizes must be { train, test }, got ${describe(sizes)}`);
  for (const split of ['train', 'test'] as const) {
    if (!isCount(sizes[split])) throw new UserError(`${where}: splitSizes.${split} must be a non-negative integer, got ${describe(sizes[split])}`);
  }
  if (typeof f.sample !== 'function') throw new UserError(`${where}: sample must be a function (split, index) => Objective, got ${describe(f.sample)}`);
  const name = typeof f.name === 'string' && f.name !== '' ? f.name : label;
  const dim = f.dim;
  const sample = f.sample.bind(family);
  return remember({
    name,
    dim,
    splitSizes: { train: sizes.train as number, test: sizes.test as number },
    sample(split, index) {
      const instance = `${name}/${split}/${index}`;
      let objective: unknown;
      try {
        objective = sample(split, index);
      } catch (err) {
        throw new UserError(`${where}: sample('${split}', ${index}) threw: ${firstLine(err)}`, { cause: err });
      }
      const o = objective as Partial<Objective> | null;
      if (typeof o !== 'object' || o === null || typeof o.evaluate !== 'function' || typeof o.start !== 'function') {
        throw new UserError(`${where}: sample('${split}', ${index}) returned ${describe(objective)}; it must return an Objective { name, dim, start, evaluate }`);
      }
      if (o.dim !== dim) throw new UserError(`${where}: instance ${instance} has dim ${describe(o.dim)}, the family's dim is ${dim}`);
      const objectiveName = typeof o.name === 'string' && o.name !== '' ? o.name : instance;
      return checkedObjective(withMinimumOf({ name: objectiveName, dim, start: (rng: Rng) => o.start!(rng), evaluate: (x: Float64Array) => o.evaluate!(x), ...passedThrough(o, objectiveName, dim) }, o, objectiveName));
    },
  });
}

/** The families checkedFamily made: a library call handed one checks it no further. */
const CHECKED_FAMILIES = new WeakSet<ObjectiveFamily>();

function remember(family: ObjectiveFamily): ObjectiveFamily {
  CHECKED_FAMILIES.add(family);
  return family;
}

/**
 * The family a library call (trainGps, trainBptt, compareOptimizers, runProblems) was handed: one
 * the registry built (it carries a spec, and was checked then) or checkedFamily made as it is; one
 * built by hand gets a module's checks, so a wrong shape or a throw is one line naming the instance.
 */
export function requireFamily(family: unknown, who: string): ObjectiveFamily {
  if (typeof (family as Partial<ObjectiveFamily> | null)?.sample !== 'function') throw new UserError(`${who} needs an objective family (createFamily, defineFamily), got ${describe(family)}`);
  const f = family as ObjectiveFamily;
  return f.spec || CHECKED_FAMILIES.has(f) ? f : checkedFamily(f, f.name || 'family');
}

