// The built-in objective families by name, and the one place that turns a name plus user
// parameters into a family.
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstLine, UserError } from '../src/errors.ts';
import { fileStamp } from '../src/file-stamp.ts';
import type { RunIdentity } from '../src/run-directory.ts';
import { defineFamily, resolveParams, type FamilyDefinition, type ParamValues } from './family-definition.ts';
import { checkedFamily } from './checked-objective.ts';
import type { FamilySpec, ObjectiveFamily } from './objective.ts';
import { quadratic } from './quadratic.ts';
import { logisticRegression } from './logistic-regression.ts';
import { robustRegression } from './robust-regression.ts';
import { smallNet } from './small-net.ts';
import { mlpGaussians } from './mlp-gaussians.ts';
import { expressionFamily } from './expression.ts';
import { mnistMlp } from './mnist-mlp.ts';
import { imageMlp } from './image-mlp.ts';
import { sparseCoding } from './sparse-coding.ts';
import { groupSparseRegression } from './group-sparse-regression.ts';

/** The built-in families, as `l2o envs` lists them. */
export const FAMILIES: readonly FamilyDefinition[] = [quadratic, logisticRegression, robustRegression, smallNet, mlpGaussians, mnistMlp, imageMlp, sparseCoding, groupSparseRegression, expressionFamily];

/** The built-in family definition of this name; a UserError lists the names when there is none. */
export function findFamily(name: string): FamilyDefinition {
  const def = FAMILIES.find((f) => f.name === name);
  if (!def) throw new UserError(`unknown env '${name}'; available: ${FAMILIES.map((f) => f.name).join(', ')}`);
  return def;
}

/** Builds a built-in family by name with its parameters (defaults for those not given). */
export function createFamily(name: string, params: Record<string, string | number> = {}): ObjectiveFamily {
  const def = findFamily(name);
  // The expression family runs the user's expression: its instances are checked like a module's.
  const family = def === expressionFamily ? buildChecked(def, resolveParams(def, params)) : def.create(resolveParams(def, params));
  return withSpec(family, { env: name, params });
}

/** A user-supplied definition's create(params), checked: a throw is `family 'X' failed to build: …`. */
function buildChecked(def: FamilyDefinition, params: ParamValues): ObjectiveFamily {
  let family: unknown;
  try {
    family = def.create(params);
  } catch (err) {
    // The expression family's own refusals (a random function, a string) are already the message.
    if (def === expressionFamily && err instanceof UserError) throw err;
    throw new UserError(`family '${def.name}' failed to build: ${firstLine(err)}`, { cause: err });
  }
  return checkedFamily(family, def.name);
}

let typescriptHooks = false;

/**
 * Lets this thread import TypeScript family files (typescript-hooks.mjs). From the compiled package
 * the hooks take every .ts file; from a checkout, where tsx already runs the sources, they take the
 * files outside it, which tsx would treat as CommonJS in a folder without a package.json.
 */
function enableTypeScriptModules(): void {
  if (typescriptHooks) return;
  typescriptHooks = true;
  const fromSource = import.meta.url.endsWith('.ts');
  const skipUnder = fromSource ? new URL('../', import.meta.url).href : undefined;
  register(new URL('./typescript-hooks.mjs', import.meta.url), { data: { skipUnder } });
}

/** A user's family from a module whose default export is a FamilyDefinition (`--env ./my-family.ts`). */
export async function loadFamilyModule(path: string, params: Record<string, string | number> = {}, stamp?: string): Promise<ObjectiveFamily> {
  const { def, stamp: read } = await importFamilyDefinition(path, stamp);
  return withSpec(buildChecked(def, resolveParams(def, params)), { env: resolve(path), params, stamp: read });
}

/**
 * Checks a family and its parameters without building it: the definition (a built-in name, or a
 * module, which is imported) and every parameter value. Building can need the tfjs backend (an image
 * family projects its dataset), checking does not, so a command can refuse a bad --env or --param
 * before it loads tfjs.
 */
export async function checkFamilyArgs(env: string, params: Record<string, string | number>): Promise<void> {
  const def = isFamilyModulePath(env) ? (await importFamilyDefinition(env)).def : findFamily(env);
  resolveParams(def, params);
}

/**
 * Imports a family module, as its contents are now: the URL carries their stamp, so a thread that
 * imported an earlier version imports the edited file anew (Node keeps a module per URL). `expected`,
 * a spec's stamp, refuses a file changed since the command that made the spec read it.
 */
async function importFamilyDefinition(path: string, expected?: string): Promise<{ def: FamilyDefinition; stamp: string }> {
  const absolute = resolve(path);
  let stamp: string | undefined;
  try {
    stamp = fileStamp(absolute);
  } catch {
    // A file that cannot be read: the import below says why, in its own words.
  }
  if (expected !== undefined && stamp !== undefined && expected !== stamp) throw new UserError(`env module ${absolute} changed after the command read it; run the command again`);
  const url = `${pathToFileURL(absolute).href}${stamp === undefined ? '' : `?stamp=${stamp}`}`;
  let module: { default?: FamilyDefinition };
  try {
    if (/\.(ts|mts|cts)$/.test(absolute)) enableTypeScriptModules();
    module = await import(url);
  } catch (err) {
    // One line, but the one that says what is wrong: a compile error's first line only announces it
    // ("Transform failed with 1 error:"), and the next names the file, line, column and the error.
    const lines = String((err as Error)?.message ?? err).split('\n').map((line) => line.trim()).filter(Boolean);
    const detail = lines[0]?.endsWith(':') && lines.length > 1 ? `${lines[0]} ${lines[1]}` : lines[0];
    throw new UserError(`cannot load env module ${path}: ${detail}`);
  }
  const def = module.default;
  if (!def || typeof def.create !== 'function' || typeof def.name !== 'string' || typeof def.params !== 'object') {
    throw new UserError(`env module ${path} must export default a FamilyDefinition { name, description, params, create }`);
  }
  return { def: defineFamily(def), stamp: stamp ?? fileStamp(absolute) };
}

/** What a training run records of the family it trained on, so that a resume can check it is the same. */
export function familyIdentity(family: ObjectiveFamily): RunIdentity {
  if (!family.spec) return { env: family.name, envParams: {} };
  return { env: family.spec.env, envParams: Object.fromEntries(Object.entries(family.spec.params).map(([key, value]) => [key, String(value)])) };
}

/** Whether a command on this --env needs a tfjs backend: a built-in family that says so, and every family module. */
export function familyUsesTfjs(env: string): boolean {
  return isFamilyModulePath(env) || findFamily(env).tfjs === true;
}

/**
 * Builds the family a spec names (in a worker thread, the family the main thread built), after the
 * tfjs backend where the family computes with tfjs: a thread that has not needed tfjs so far (a pool
 * started without it, worker-pool.ts) loads it here.
 */
export async function familyFromSpec(spec: FamilySpec): Promise<ObjectiveFamily> {
  if (familyUsesTfjs(spec.env)) await (await import('../src/backend.ts')).initBackend();
  return isFamilyModulePath(spec.env) ? loadFamilyModule(spec.env, spec.params, spec.stamp) : createFamily(spec.env, spec.params);
}

const builtFamilies = new Map<string, Promise<ObjectiveFamily>>();

/**
 * familyFromSpec, built once per spec in this thread: a worker task rebuilds its family from the
 * spec, and an image family loads and projects its dataset.
 */
export function cachedFamilyFromSpec(spec: FamilySpec): Promise<ObjectiveFamily> {
  const key = JSON.stringify(spec);
  let family = builtFamilies.get(key);
  if (!family) {
    family = familyFromSpec(spec);
    builtFamilies.set(key, family);
  }
  return family;
}

/** The family with its spec attached, or a delegating copy when the family object is sealed. */
function withSpec(family: ObjectiveFamily, spec: FamilySpec): ObjectiveFamily {
  const copy = { ...spec, params: { ...spec.params } };
  if (Object.isExtensible(family)) {
    Object.defineProperty(family, 'spec', { value: copy, enumerable: false });
    return family;
  }
  return { name: family.name, dim: family.dim, splitSizes: family.splitSizes, spec: copy, sample: (split, index) => family.sample(split, index) };
}

export function isFamilyModulePath(env: string): boolean {
  return /\.(ts|mts|js|mjs)$/.test(env);
}
