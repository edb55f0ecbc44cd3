// Checkpoints must survive a kill at any instant: write a temporary file beside the target, flush it
// to disk, then rename over the target (atomic on POSIX filesystems). Readers see the old file or the
// new one, never half of one.
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.ts';

export function writeFileAtomic(path: string, contents: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Parses a JSON file, turning a missing, truncated or malformed file into a clear UserError. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${what} ${path} is not valid JSON (truncated or corrupted?): ${(err as Error).message}`);
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync never returns on some paths under
 * /proc (`l2o train --out /proc/nope/x` hung), while a plain mkdir fails at once. Returns the
 * directories it created, outermost first, so that a caller that fails can remove them.
 */
export function makeDirectory(dir: string): string[] {
  return createMissing(missingDirectories(dir));
}

/**
 * Undoes makeDirectory after a failure: removes the directories it created, innermost first, while
 * they are empty; one that is not (something else wrote there meanwhile) is kept, with those above it.
 */
export function removeEmptyDirectories(created: readonly string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

/**
 * makeDirectory for a directory the user named (`flag` as they gave it, e.g. `--out`), checked
 * writable: any failure is one UserError naming the flag and the reason (EACCES, ENOTDIR, ...).
 * Returns the directories it created, outermost first.
 */
export function makeUserDirectory(dir: string, flag: string): string[] {
  return makeWritableDirectory(dir, (reason) => `${flag} ${dir}: cannot create the directory (${reason})`);
}

/**
 * makeDirectory, then a check that `dir` is writable; a failure the OS reports is one UserError,
 * `message(reason)` with its code (EACCES, ENOTDIR, ...). Returns the directories it created.
 */
export function makeWritableDirectory(dir: string, message: (reason: string) => string): string[] {
  try {
    const created = makeDirectory(dir);
    accessSync(dir, constants.W_OK);
    return created;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(message((err as NodeJS.ErrnoException).code ?? (err as Error).message));
  }
}

/**
 * Creates each path in turn, outermost first, and returns those it created. A path that another
 * process created since it was found missing is taken as it is: two sweep items on two workers make
 * sibling run directories under one new parent at the same moment, and the one that lost the race
 * failed with EEXIST (seen in the queue test).
 */
export function createMissing(paths: readonly string[]): string[] {
  const created: string[] = [];
  for (const path of paths) {
    try {
      mkdirSync(path);
      created.push(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw err;
    }
  }
  return created;
}

/** The directories missing on the way to `dir`, outermost first; a UserError where a file stands in the way. */
function missingDirectories(dir: string): string[] {
  const missing: string[] = [];
  let current = resolve(dir);
  while (!existsSync(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  if (existsSync(current) && !statSync(current).isDirectory()) throw new UserError(`cannot write to ${dir}: ${current} is not a directory`);
  return missing.reverse();
}
