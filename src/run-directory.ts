// What every training run directory shares, whichever algorithm wrote it: the identity of the
// environment it trained on, a JSONL log trimmed back to the last checkpoint on resume, and
// versioned JSON files whose malformation is reported as a user error.
import { existsSync, readFileSync } from 'node:fs';
import { readJsonFile, writeFileAtomic } from './atomic-file.ts';
import { UserError } from './errors.ts';
import { object, record, SchemaError, string, type Schema } from './schema.ts';

/** The environment a training run trained on; a resume checks it is the same. */
export interface RunIdentity {
  env: string;
  envParams: Record<string, string>;
}

export function sameIdentity(a: RunIdentity, b: RunIdentity): boolean {
  return a.env === b.env && JSON.stringify(a.envParams) === JSON.stringify(b.envParams);
}

export function describeIdentity(identity: RunIdentity): string {
  return `'${identity.env}' ${JSON.stringify(identity.envParams)}`;
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

/** The fields every run file starts with: its format tag and version, and the env it trained on. */
const runFileHead = object({ env: string(), envParams: record(string()) });

/**
 * Reads a run file: its format tag and version, the env it names, then the rest by `schema`. A
 * missing, truncated or malformed file is one UserError naming the file and, where one field is
 * wrong, its path: `runs/x/state.json: config.gradientScaling must be 'none' or 'adagrad', got 'bogus'`.
 */
export function readRunFile<T>(path: string, what: string, format: string, version: number, schema: Schema<T>): T & RunFileHead {
  const json = readJsonFile(path, what);
  const value = json as { format?: unknown; version?: unknown };
  if (!value || typeof value !== 'object' || value.format !== format) throw new UserError(`${path} is not a ${what} (format '${String(value?.format)}')`);
  if (value.version !== version) throw new UserError(`${path} has ${what} version ${String(value.version)}; this l2o reads version ${version}`);
  try {
    const head = runFileHead(json, '');
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
