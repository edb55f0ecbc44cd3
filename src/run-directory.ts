// What every training run directory shares, whichever algorithm wrote it: the identity of the
// environment it trained on, a JSONL log trimmed back to the last checkpoint on resume, and
// versioned JSON files whose malformation is reported as a user error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readJsonFile } from './atomic-file.ts';
import { UserError } from './errors.ts';

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
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
}

/** Reads a run file and checks its format tag and version. */
export function readRunFile(path: string, what: string, format: string, version: number): unknown {
  const json = readJsonFile(path, what);
  const value = json as { format?: unknown; version?: unknown };
  if (!value || value.format !== format) throw new UserError(`${path} is not a ${what} (format '${String(value?.format)}')`);
  if (value.version !== version) throw new UserError(`${path} has ${what} version ${String(value.version)}; this l2o reads version ${version}`);
  return json;
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
