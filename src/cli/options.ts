// Options shared by several commands, and their conversion into the objects the library takes.
// Loaded by every command's --help, so it imports nothing heavy: the families (tfjs, mathjs) are
// imported when a command runs.
import type { Argv } from 'yargs';
import { UserError } from '../errors.ts';
import { DEFAULT_REFINE_ROUNDS } from '../../policies/hand-designed.ts';
import type { ObjectiveFamily, Split } from '../../envs/objective.ts';
import { SPLITS } from '../../envs/objective.ts';

export interface EnvArgs {
  env: string;
  param: string[];
  expr?: string;
}

export function withEnvOptions<T>(y: Argv<T>) {
  return y
    .option('env', { type: 'string', default: 'logreg', describe: 'objective family (see `l2o envs`), or a .ts/.js file exporting your own' })
    .option('param', { type: 'string', array: true, default: [] as string[], describe: 'family parameter key=value (repeatable)' })
    .option('expr', { type: 'string', describe: 'objective as a mathjs expression (implies --env expr)' });
}

/** What every command that runs optimizers on a split takes. */
export interface RunSetArgs extends EnvArgs {
  lr?: number;
  steps: number;
  problems?: number;
  split: Split;
  seed: string;
  json: boolean;
}

export function withRunSetOptions<T>(y: Argv<T>, problemsDefault: string) {
  return withEnvOptions(y)
    .option('steps', { default: 100, coerce: positiveInteger('steps'), describe: 'optimization steps per run' })
    .option('problems', { coerce: positiveInteger('problems'), describe: `number of instances (default: ${problemsDefault})` })
    .option('split', { default: 'test', coerce: splitOption, describe: 'train or test' })
    .option('seed', { type: 'string', default: '1', requiresArg: true, coerce: seedString, describe: 'seed of every random draw' })
    .option('json', { type: 'boolean', default: false, describe: 'print exactly one JSON object to stdout' });
}

/** The family --env, --param and --expr name, built after the tfjs backend where the family computes with tfjs. */
export async function familyFromArgs(args: EnvArgs): Promise<ObjectiveFamily> {
  const { familyFromSpec } = await import('../../envs/registry.ts');
  return familyFromSpec(familyArgs(args));
}

/** Whether the family of --env computes with tfjs (registry.ts familyUsesTfjs): a command on a plain-JavaScript family and hand-designed optimizers skips loading it. */
export async function familyUsesTfjs(args: EnvArgs): Promise<boolean> {
  return (await import('../../envs/registry.ts')).familyUsesTfjs(familyArgs(args).env);
}

/** What a report says in place of a backend when nothing in it loaded tfjs. */
export const NO_TFJS = 'none';

/** Loads tfjs and starts its backend (backend.ts), for a command that found it needs one. */
export async function startBackend(): Promise<string> {
  return (await import('../backend.ts')).initBackend();
}

/** The backend as a header states it. */
export function describeBackend(backend: string): string {
  return backend === NO_TFJS ? 'tfjs not loaded (plain JavaScript)' : `tfjs backend ${backend}`;
}

/** Refuses a bad --env, --param or --expr before anything loads tfjs (familyFromArgs builds the family later). */
export async function checkFamilyFromArgs(args: EnvArgs): Promise<void> {
  const { env, params } = familyArgs(args);
  const { checkFamilyArgs } = await import('../../envs/registry.ts');
  await checkFamilyArgs(env, params);
}

function familyArgs(args: EnvArgs): { env: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  for (const pair of args.param) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UserError(`--param expects key=value, got '${pair}'`);
    params[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  let env = args.env;
  if (args.expr !== undefined) {
    if (args.expr.trim() === '') throw new UserError('--expr is empty; give an expression such as --expr "(1-x)^2 + 100*(y-x^2)^2"');
    // logreg is --env's default: refused only when given (yargs does not say which values are defaults).
    const envGiven = process.argv.some((arg) => arg === '--env' || arg.startsWith('--env='));
    if (env !== 'expr' && (env !== 'logreg' || envGiven)) throw new UserError(`--expr goes with --env expr, not --env ${env}`);
    env = 'expr';
    params.expr = args.expr;
  }
  return { env, params };
}

/**
 * Upper bounds of the counts a run is made of: far beyond any real use, low enough that a typo
 * (--steps 1e12) is refused in one line instead of failing deep inside with an allocation error.
 */
export const COUNT_LIMITS: Readonly<Record<string, number>> = {
  steps: 1_000_000,
  problems: 1_000_000,
  iterations: 100_000,
  horizon: 100_000,
  'validation-steps': 1_000_000,
  samples: 10_000,
  layers: 10_000,
  'policy-iterations': 10_000_000,
  // Each restart is an L-BFGS run on every instance.
  'reference-minimum': 10_000,
  // Sizes whose typo would allocate past memory or run for days: refused at once, not after it.
  batch: 100_000,
  hidden: 4096,
  'lstm-cells': 4096,
  history: 1000,
  inner: 10_000,
  'teacher-refine': 1000,
  'policy-batch': 1_000_000,
  'on-policy-samples': 10_000,
  'sampled-coordinates': 10_000_000,
  unroll: 100_000,
  restarts: 1000,
  workers: 1024,
};

export function positiveInteger(name: string) {
  return integerAtLeast(1, 'a positive integer', name);
}

export function nonNegativeInteger(name: string) {
  return integerAtLeast(0, 'a non-negative integer', name);
}

/** `--lr-refine N` of the commands that tune a hand-designed optimizer's rate (l2o eval, l2o run). */
export const LR_REFINE_OPTION = {
  requiresArg: true,
  coerce: nonNegativeInteger('lr-refine'),
  describe: `rounds of refinement around the best grid rate when tuning, each halving the step (default ${DEFAULT_REFINE_ROUNDS}; 0: the grid alone)`,
} as const;

/** `kebab-name` as yargs also accepts it, `kebabName`. */
export const camelCase = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The error of an option of one value given more than once (yargs makes its values an array). */
export function repeatedOption(name: string): UserError {
  return new UserError(`--${name} is given more than once; give it once`);
}

/** The value of an option that takes one, refused when the option was repeated. */
function single(name: string, value: unknown): unknown {
  if (Array.isArray(value)) throw repeatedOption(name);
  return value;
}

/** A seed names a random stream; an empty one is almost surely a flag whose value went missing. */
export function seedString(value: unknown): string {
  const seed = String(single('seed', value));
  if (seed.trim() === '') throw new UserError('--seed needs a value, e.g. --seed 1');
  return seed;
}

/** An integer of at least `min`, and at most the flag's COUNT_LIMITS bound where it has one. */
function integerAtLeast(min: number, what: string, name: string) {
  const limit = COUNT_LIMITS[name];
  return (value: unknown): number => {
    const n = Number(single(name, value));
    if (!Number.isInteger(n) || n < min) throw new UserError(`--${name} must be ${what}, got '${value}'`);
    if (limit !== undefined && n > limit) throw new UserError(`--${name} must be at most ${limit.toLocaleString('en-US')}, got ${value}`);
    return n;
  };
}

export function positiveNumber(name: string) {
  return (value: unknown): number => {
    const n = Number(single(name, value));
    if (!Number.isFinite(n) || n <= 0) throw new UserError(`--${name} must be a positive number, got '${value}'`);
    return n;
  };
}

export function nonNegativeNumber(name: string) {
  return (value: unknown): number => {
    const n = Number(single(name, value));
    if (!Number.isFinite(n) || n < 0) throw new UserError(`--${name} must be a non-negative number, got '${value}'`);
    return n;
  };
}

export function splitOption(value: unknown): Split {
  single('split', value);
  if (!(SPLITS as readonly unknown[]).includes(value)) throw new UserError(`--split must be one of ${SPLITS.join(', ')}, got '${value}'`);
  return value as Split;
}

/** Problems default to the whole split; asking for more instances than the split has is an error. */
export function problemCount(family: ObjectiveFamily, split: Split, requested: number | undefined): number {
  const available = family.splitSizes[split];
  if (available === 0) throw new UserError(`${family.name} has no ${split} instances (its ${split}Size is 0): give it some with --param ${split}Size=N`);
  if (requested === undefined) return available;
  if (requested > available) {
    throw new UserError(`--problems ${requested} exceeds the ${available} ${split} instances of ${family.name} (raise it with --param ${split}Size=N)`);
  }
  return requested;
}
