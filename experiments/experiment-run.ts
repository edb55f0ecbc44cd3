// What every experiment shares: its output directory `runs/<experiment>/<timestamp>/`, stages whose
// results are saved atomically as they finish (so `--resume DIR` skips them), trainer run
// directories that resume on their own, progress on stderr, and the machine description.
// Several processes may work on one directory at once (`--resume DIR` in each): a process claims a
// stage before computing it, and the others take independent stages or wait for the claimed one.
import { cpus, totalmem } from 'node:os';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../src/atomic-file.ts';
import { UserError } from '../src/errors.ts';
import { createPool, type TaskPool } from '../src/parallel/worker-pool.ts';
import { ProgressReporter, type ProgressStream } from '../src/progress.ts';

export interface ExperimentSettings {
  experiment: string;
  quick: boolean;
  seed: string;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  backend: string;
}

export function describeMachine(backend: string): Machine {
  const list = cpus();
  return { cpus: list.length, cpuModel: list[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, backend };
}

/** `2026-11-23T09-30-12Z`: sortable, and legal in every file system. */
export function timestampName(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export interface Stage<T> {
  key: string;
  compute: () => T | Promise<T>;
}

/** Whether the process that wrote a claim still runs (a killed run's claims are taken over). */
function claimHolderAlive(claimPath: string): boolean {
  let pid: number;
  try {
    pid = Number(JSON.parse(readFileSync(claimPath, 'utf8')).pid);
  } catch {
    // Vanished, or not yet written by its creator (alive if just created), or torn by a kill.
    try {
      return Date.now() - statSync(claimPath).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ExperimentRun {
  readonly started = Date.now();
  /** How often to look whether a stage claimed by another process has finished. */
  pollMilliseconds = 5000;
  /** Seconds spent in earlier attempts at this run (kept in elapsed.json), so a resumed run reports its whole time. */
  private readonly earlierSeconds: number;
  /** Where progress goes: lines, and on a TTY a bar for the stage being computed. */
  private readonly stream: ProgressStream;
  private bar: ProgressReporter | null = null;

  private constructor(
    readonly dir: string,
    readonly settings: ExperimentSettings,
    private readonly quiet: boolean,
    /** Workers for the stages' runs (compareOptimizers, tuning, GPS iterations); results do not depend on their number. */
    readonly pool: TaskPool,
    stream?: ProgressStream,
  ) {
    this.stream = stream ?? process.stderr;
    const path = join(dir, 'elapsed.json');
    this.earlierSeconds = existsSync(path) ? (readJsonFile(path, 'elapsed time') as { seconds: number }).seconds : 0;
  }

  /** Wall time over every attempt at this run, up to now. */
  elapsedSeconds(): number {
    return this.earlierSeconds + (Date.now() - this.started) / 1000;
  }

  private recordElapsed(): void {
    writeFileAtomic(join(this.dir, 'elapsed.json'), `${JSON.stringify({ seconds: this.elapsedSeconds() })}\n`);
  }

  /** A new directory under `root/<experiment>/`, or the one being resumed (its settings must match). */
  static open(settings: ExperimentSettings, options: { root: string; resume?: string; quiet?: boolean; pool?: TaskPool; stream?: ProgressStream }): ExperimentRun {
    let dir: string;
    if (options.resume) {
      dir = options.resume;
      const saved = readJsonFile(join(dir, 'settings.json'), 'experiment settings') as ExperimentSettings;
      if (saved.experiment !== settings.experiment || saved.quick !== settings.quick || saved.seed !== settings.seed) {
        throw new UserError(
          `${dir} holds experiment ${saved.experiment} (quick ${saved.quick}, seed ${saved.seed}), not ${settings.experiment} (quick ${settings.quick}, seed ${settings.seed})`,
        );
      }
    } else {
      dir = join(options.root, settings.experiment, timestampName(new Date()));
      if (existsSync(dir)) throw new UserError(`${dir} already exists`);
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(join(dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
    }
    mkdirSync(join(dir, 'stages'), { recursive: true });
    return new ExperimentRun(dir, settings, options.quiet ?? false, options.pool ?? createPool(1), options.stream);
  }

  /** Progress on stderr; also the moment to note the elapsed time, so that a kill loses at most the time since. */
  say(message: string): void {
    this.recordElapsed();
    if (this.quiet) return;
    const line = `[${this.elapsedSeconds().toFixed(0)} s] ${message}`;
    if (this.bar) this.bar.line(line);
    else this.stream.write(`${line}\n`);
  }

  /**
   * How far the stage being computed is: `done` of `total` units (training iterations, runs of a
   * comparison). A TTY shows it as a bar with the time left; elsewhere it prints nothing, the stages'
   * lines are the progress.
   */
  work(done: number, total: number, detail?: string): void {
    if (!this.bar) return;
    if (total !== this.bar.total) this.bar.setTotal(total);
    this.bar.update(done, detail);
  }

  /** Runs `compute` once: its JSON result is kept in `stages/<key>.json` and reused on resume. */
  async stage<T>(key: string, compute: () => T | Promise<T>): Promise<T> {
    const [result] = await this.stages([{ key, compute }]);
    return result as T;
  }

  /**
   * Independent stages: computes those no other process has claimed, in order, then waits for the
   * rest. Results come back in the order given.
   */
  async stages<T>(list: Stage<T>[]): Promise<T[]> {
    const results = new Map<string, T>();
    let pending = list;
    for (;;) {
      const waiting: Stage<T>[] = [];
      for (const stage of pending) {
        if (!this.claim(stage.key)) {
          waiting.push(stage);
          continue;
        }
        // Looked up only under our claim: another process may have finished it a moment ago.
        const done = this.finished<T>(stage.key);
        results.set(stage.key, done.found ? done.result : await this.compute(stage));
        if (done.found) this.release(stage.key);
      }
      if (waiting.length === 0) return list.map((s) => results.get(s.key) as T);
      if (waiting.length < pending.length || pending === list) {
        this.say(`waiting for ${waiting.map((s) => s.key).join(', ')}, claimed by another process`);
      }
      pending = waiting;
      await sleep(this.pollMilliseconds);
    }
  }

  private stagePath(key: string, suffix: string): string {
    return join(this.dir, 'stages', `${key.replace(/[^A-Za-z0-9._-]/g, '_')}${suffix}`);
  }

  private finished<T>(key: string): { found: true; result: T } | { found: false } {
    const path = this.stagePath(key, '.json');
    if (!existsSync(path)) return { found: false };
    this.say(`${key}: already done (by an earlier run or another process), reusing it`);
    return { found: true, result: readJsonFile(path, `stage ${key}`) as T };
  }

  /** Creates `stages/<key>.claim` exclusively; a claim whose process has died is taken over. */
  private claim(key: string): boolean {
    const path = this.stagePath(key, '.claim');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid }));
        closeSync(fd);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (claimHolderAlive(path)) return false;
        rmSync(path, { force: true });
      }
    }
    return false;
  }

  private async compute<T>(stage: Stage<T>): Promise<T> {
    this.say(`${stage.key}: starting`);
    const started = Date.now();
    const outer = this.bar;
    this.bar = new ProgressReporter({ label: stage.key, total: 0, stream: this.stream, quiet: this.quiet });
    try {
      const result = await stage.compute();
      writeFileAtomic(this.stagePath(stage.key, '.json'), JSON.stringify(result));
      this.say(`${stage.key}: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } finally {
      this.bar.finish();
      this.bar = outer;
      this.release(stage.key);
    }
  }

  private release(key: string): void {
    rmSync(this.stagePath(key, '.claim'), { force: true });
  }

  /** Where a trainer keeps its run (checkpoint, log), so that it resumes with the experiment. */
  trainingDir(key: string): string {
    return join(this.dir, 'training', key);
  }
}
