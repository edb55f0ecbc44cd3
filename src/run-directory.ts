// What every training run directory shares, whichever algorithm wrote it: the identity of the
// environment it trained on, a JSONL log trimmed back to the last checkpoint on resume, and
// versioned JSON files whose malformation is reported as a user error.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readJsonFile, writeFileAtomic } from './atomic-file.ts';
import { UserError } from './errors.ts';
import { object, record, SchemaError, string, type Schema } from './schema.ts';

/** The environment a training run trained on; a resume checks it is the same. */
export interface RunIdentity {
  env: string;
  envParams: Record<string, string>;
}

export function sameIdentity(a: RunIdentity, b: RunIdentity): boolean {
  // The same parameters in any order (--param a=1 --param b=2 is --param b=2 --param a=1).
  const sorted = (params: Record<string, string>) => JSON.stringify(Object.entries(params).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return a.env === b.env && sorted(a.envParams) === sorted(b.envParams);
}

export function describeIdentity(identity: RunIdentity): string {
  return `'${identity.env}' ${JSON.stringify(identity.envParams)}`;
}

/**
 * Refuses to resume a run with settings other than its own: the trainer goes on with the saved ones,
 * so a changed setting would be ignored without a word. Only `iterations` may differ (a resume may
 * extend a run). Compared as the run file holds them (JSON), nested settings in any key order.
 */
export function refuseChangedSettings(out: string, saved: object, asked: object): void {
  const asJson = (value: object) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  const [was, now] = [asJson(saved), asJson(asked)];
  const differ = [...new Set([...Object.keys(was), ...Object.keys(now)])].filter((key) => key !== 'iterations' && !isDeepStrictEqual(was[key], now[key]));
  if (differ.length === 0) return;
  const changes = differ.map((key) => `${key} ${JSON.stringify(now[key]) ?? 'not given'} (the run has ${JSON.stringify(was[key]) ?? 'none'})`).join(', ');
  throw new UserError(`${out} holds a run started with other settings: ${changes}; a resume goes on with the run's own settings, so pass those (its state.json's config), changing at most iterations, or train into another directory`);
}

/** Drops log lines of iterations the checkpoint does not cover (a kill between log and checkpoint). */
export function trimLog(path: string, iterations: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        return (JSON.parse(line) as { iteration: number }).iteration < iterations;
      } catch {
        return false;
      }
    });
  // Atomically: a kill while trimming must not cost the lines that stay.
  writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
}

/** The file a trained optimizer of each kind is loaded from (`gps:DIR`, `bptt:DIR`, `lista:DIR`). */
export const OPTIMIZER_FILES = { gps: 'policy.json', bptt: 'optimizer.json', lista: 'lista.json' } as const;

/** The file each kind of run directory is known by, and how to use one. */
const RUN_KINDS: readonly [string, string][] = [
  [OPTIMIZER_FILES.gps, 'a GPS run (gps:DIR)'],
  [OPTIMIZER_FILES.bptt, 'a BPTT run (bptt:DIR)'],
  [OPTIMIZER_FILES.lista, 'a LISTA run (lista:DIR)'],
  ['settings.json', 'an experiment run (l2o experiment NAME --resume DIR)'],
];

/**
 * What a directory holds, said for an error about a file missing from it: that it does not exist,
 * or which kind of run it is (a BPTT run given as gps:DIR), or that it holds none.
 */
export function describeDirectory(dir: string): string {
  if (!existsSync(dir)) return `${dir} does not exist`;
  if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  const kinds = RUN_KINDS.filter(([file]) => existsSync(join(dir, file))).map(([, kind]) => kind);
  if (kinds.length > 0) return `${dir} holds ${kinds.join(' and ')}`;
  // A GPS run of restarts writes policy.json only when every restart is done.
  if (existsSync(join(dir, 'restarts.json')) || existsSync(join(dir, 'restart-1'))) return `${dir} holds a GPS run of restarts that has not written its policy yet (--resume it)`;
  if (existsSync(join(dir, 'state.json'))) return `${dir} holds a training run that has not written its result yet (--resume it)`;
  return `${dir} holds no l2o run`;
}

/**
 * Before a training writes into `dir`: a directory that holds another kind of run (by the files
 * RUN_KINDS knows, or a run of restarts' restarts.json) is refused, not trained over. `own` is the
 * file this kind of training leaves, whose presence the trainer judges itself (resume or refuse).
 */
export function refuseOtherRun(dir: string, own: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return;
  const other = [...RUN_KINDS.map(([file]) => file), 'restarts.json'].some((file) => file !== own && existsSync(join(dir, file)));
  if (other) throw new UserError(`${describeDirectory(dir)}; train into another directory`);
}

/** A run file that must exist: if it does not, one UserError saying what its directory holds instead. */
export function requireRunFile(path: string, what: string): void {
  if (!existsSync(path)) throw new UserError(`no ${what} at ${path}: ${describeDirectory(dirname(path))}`);
}

/** A RunIdentity as a run file holds it, after its format tag and version: the env it trained on. */
export const runIdentitySchema = object({ env: string(), envParams: record(string()) });

/**
 * Reads a run file: its format tag and version, the env it names, then the rest by `schema`. A
 * missing, truncated or malformed file is one UserError naming the file and, where one field is
 * wrong, its path: `runs/x/state.json: config.gradientScaling must be 'none' or 'adagrad', got 'bogus'`.
 */
export function readRunFile<T>(path: string, what: string, format: string, version: number, schema: Schema<T>): T & RunFileHead {
  requireRunFile(path, what);
  const json = readJsonFile(path, what);
  const value = json as { format?: unknown; version?: unknown };
  if (!value || typeof value !== 'object' || value.format !== format) throw new UserError(`${path} is not a ${what} (format '${String(value?.format)}')`);
  if (value.version !== version) throw new UserError(`${path} has ${what} version ${String(value.version)}; this l2o reads version ${version}`);
  try {
    const head = runIdentitySchema(json, '');
    return { ...schema(json, ''), format, version, env: head.env, envParams: head.envParams };
  } catch (err) {
    if (err instanceof SchemaError) throw new UserError(`${path}: ${err.message}`);
    throw err;
  }
}

/** What readRunFile has checked of every run file. */
export interface RunFileHead extends RunIdentity {
  format: string;
  version: number;
}

/** Runs a decoder over a run file's contents, turning its failures into a UserError naming the file. */
export function decodeRunFile<T>(path: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path} is malformed: ${(err as Error).message}`);
  }
}
