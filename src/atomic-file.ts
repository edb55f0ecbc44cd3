// Checkpoints must survive a kill at any instant: write a temporary file beside the target, flush it
// to disk, then rename over the target (atomic on POSIX filesystems). Readers see the old file or the
// new one, never half of one.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
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
