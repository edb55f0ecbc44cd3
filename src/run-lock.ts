// One writer per run directory. Two trainings writing the same --out would interleave their logs
// and overwrite each other's checkpoints, so a run takes `<dir>/.lock` (pid, host, start time) with
// an exclusive create before it writes anything, and a second run fails at once naming the holder.
// A lock whose process is gone (same host, pid not alive) is stale and taken over; the temporary
// files that dead writers left behind (writeFileAtomic's `*.tmp-<pid>`) are removed then too.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { closeSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { UserError } from './errors.ts';
import { makeWritableDirectory } from './atomic-file.ts';

interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

export const lockPath = (dir: string) => join(dir, '.lock');

/** What the error for a directory another live process holds says, after the directory. */
export const IN_USE = ' is in use by process ';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(pid);
}

/**
 * Whether a process has exited and waits to be reaped (Linux: state Z in /proc/PID/stat). A killed
 * run's parent (a shell, a container's init) may not reap it at once, and kill(pid, 0) still
 * succeeds then: its lock would refuse --resume for a while.
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (not Linux), or gone since: kill(pid, 0) had the say
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' ? holder : null;
  } catch {
    return null; // half-written by a writer killed while taking it: stale
  }
}

/** Releases the lock; `created` lists the directories taking it created, outermost first. */
export type RunLock = (() => void) & { readonly created: readonly string[] };

/** Creates `dir` if needed and takes its lock; returns the release function. Throws a UserError when another live run holds it. */
export function lockRunDirectory(dir: string): RunLock {
  const created = makeWritableDirectory(dir, (reason) => `cannot write to ${dir}: ${reason}`);
  const path = lockPath(dir);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`cannot lock ${dir}: ${(err as NodeJS.ErrnoException).code}`);
      const holder = readHolder(path);
      if (holder && (holder.host !== me.host || alive(holder.pid))) {
        // Another machine's process cannot be checked from here: if that machine is gone, its lock stays.
        const gone = holder.host === me.host ? '' : ` (if ${holder.host} is gone, delete ${path})`;
        throw new UserError(`${dir}${IN_USE}${holder.pid} on ${holder.host} (since ${holder.started}); wait for it to finish or choose another directory${gone}`);
      }
      unlinkSync(path); // stale: its writer is gone
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    removeDeadTemporaries(dir);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      if (readHolder(path)?.pid === me.pid) unlinkSync(path);
    };
    process.on('exit', release);
    return Object.assign(release, { created });
  }
  throw new UserError(`cannot lock ${dir}: another process keeps taking it`);
}

/**
 * Runs `work` holding the lock of `dir`. When it fails before anything worth keeping was written
 * (`kept()` false: no checkpoint) in a directory this run created, the directory goes too, so a
 * training that fails at once leaves no trace; a directory that existed before is left alone.
 */
export async function withRunDirectory<T>(dir: string, kept: () => boolean, work: () => Promise<T>): Promise<T> {
  const release = lockRunDirectory(dir);
  let discard = false;
  try {
    return await work();
  } catch (err) {
    discard = release.created.length > 0 && !kept();
    throw err;
  } finally {
    release();
    if (discard) rmSync(release.created[0], { recursive: true, force: true });
  }
}

/** `*.tmp-<pid>` files whose writer is no longer running. */
function removeDeadTemporaries(dir: string): void {
  for (const name of readdirSync(dir)) {
    const match = /\.tmp-(\d+)$/.exec(name);
    if (match && Number(match[1]) !== process.pid && !alive(Number(match[1]))) unlinkSync(join(dir, name));
  }
}
