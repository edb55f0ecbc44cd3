// A pool task names its module by URL (src/parallel/worker-pool.ts), which is where the module is on
// this machine. A job names it by its path inside the package, without extension, so that a worker
// on another machine, or running the compiled package while the submitter runs the sources, loads
// its own copy. Only modules of the package can be named as a task. A payload can still name files
// the task then reads or imports (a family module, a learned optimizer, a sweep's run directory), so
// whoever can write to the queue can direct the workers (docs/scale-out.md: protect the Redis server).
import type { TaskRef } from '../parallel/worker-pool.ts';

/** The package's root as this module sees it: the repository (sources) or dist/ (compiled). */
const CODE_ROOT = new URL('../../', import.meta.url);
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** A task as a job names it: `src/evaluate/parallel-runs#runBlock`. */
export function taskKey(task: TaskRef): string {
  const module = new URL(task.module);
  const root = CODE_ROOT.href;
  if (!module.href.startsWith(root)) throw new Error(`task ${task.name}: its module ${task.module} is not part of this package, so no worker can load it`);
  const path = module.href.slice(root.length).replace(/\.(ts|js|mts|mjs)$/, '');
  return `${decodeURIComponent(path)}#${task.name}`;
}

/** The task a job's key names, as a module of this machine's copy of the package. */
export function taskFromKey(key: string): TaskRef {
  const match = /^([A-Za-z0-9_\-/.]+)#([A-Za-z_$][\w$]*)$/.exec(key);
  if (!match || match[1].split('/').some((part) => part === '..' || part === '.' || part === '') || match[1].startsWith('/')) throw new Error(`a job names the task '${key}', which is not a module of this package`);
  return { module: new URL(`${match[1]}${EXTENSION}`, CODE_ROOT).href, name: match[2] };
}
