// A job's id is derived from what it computes: the package version, the task and the payload. Adding
// a job whose id exists is a no-op in BullMQ, so a resubmitted item (a rerun, a second submitter)
// joins the job already there instead of computing it again, and its result can be reused.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

let version: string | undefined;

/** This package's version (a job of another version may compute something else). */
function packageVersion(): string {
  if (version === undefined) {
    // The sources are two folders below package.json, the compiled package three (dist/src/queue).
    for (const path of ['../../package.json', '../../../package.json']) {
      try {
        const json = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
        if (json.name === 'learn-to-optimize') {
          version = json.version ?? '0';
          break;
        }
      } catch {
        // not this one
      }
    }
    version ??= '0';
  }
  return version;
}

/** The id of the job that runs `key` on the encoded `payload`: the same item gives the same id on every machine. */
export function jobId(key: string, encodedPayload: unknown): string {
  const hash = createHash('sha256').update(`${packageVersion()}\n${key}\n${JSON.stringify(encodedPayload)}`).digest('hex');
  // BullMQ refuses ':' in custom ids; the task's name keeps ids readable in a dashboard.
  return `${key.slice(key.indexOf('#') + 1)}-${hash.slice(0, 32)}`;
}
