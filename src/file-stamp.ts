// A hash of a file's contents. A family module or a learned optimizer is named in a task's payload by
// its path; with its stamp beside it, a worker that lives across commands (l2o worker) rebuilds what
// it cached when the file has changed, a job for the new file is not the old job, and a file changed
// after the command read it is refused rather than silently used (docs/scale-out.md).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from './errors.ts';

export function fileStamp(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

/** Refuses a file whose contents are no longer those `stamp` was taken of. */
export function checkFileStamp(path: string, stamp: string): void {
  if (fileStamp(path) !== stamp) throw new UserError(`${path} changed after the command read it; run the command again`);
}
