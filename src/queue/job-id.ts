// A job's id is derived from what it computes: the code that computes it, the task and the payload.
// Adding a job whose id exists is a no-op in BullMQ, so a resubmitted item (a rerun, a second
// submitter) joins the job already there instead of computing it again, and a result left by an
// earlier run is reused. The code is a fingerprint of this copy of the package's modules, so a result
// computed by other code (an edit, another version) is never reused; each code has its own queue
// (connection.ts queueName), so a worker of other code never takes the job.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folders whose modules the tasks run, under the package's root (the repository, or dist/). */
const CODE_FOLDERS = ['src', 'envs', 'policies', 'experiments'];
let fingerprint: string | undefined;

function files(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A hash of this copy's modules (their paths and contents), computed once: the same on every machine that has the same build. */
export function codeFingerprint(): string {
  if (fingerprint === undefined) {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const hash = createHash('sha256');
    for (const folder of CODE_FOLDERS) {
      for (const path of files(join(root, folder))) hash.update(`${path.slice(root.length)}\n`).update(readFileSync(path));
    }
    fingerprint = hash.digest('hex').slice(0, 16);
  }
  return fingerprint;
}

/** The id of the job that runs `key` on the encoded `payload`: the same item gives the same id on every machine with the same code. */
export function jobId(key: string, encodedPayload: unknown): string {
  const hash = createHash('sha256').update(`${codeFingerprint()}\n${key}\n${JSON.stringify(encodedPayload)}`).digest('hex');
  // BullMQ refuses ':' in custom ids; the task's name keeps ids readable in a dashboard.
  return `${key.slice(key.indexOf('#') + 1)}-${hash.slice(0, 32)}`;
}
