// What every experiment shares: its output directory `runs/<experiment>/<timestamp>/`, stages whose
// results are saved atomically as they finish (so `--resume DIR` skips them), trainer run
// directories that resume on their own, progress on stderr, and the machine description.
// Several processes may work on one directory at once (`--resume DIR` in each): a process claims a
// stage before computing it, and the others take independent stages or wait for the claimed one.
// With `l2o experiment --queue` (docs/scale-out.md) stages are jobs instead: the submitting process
// runs the experiment's code and sends each stage it reaches to the queue (no claim files); a worker
// runs the same code over the same directory, which must be on a filesystem every worker shares,
// reading the stages done before from their files, computes the one stage its job names, and stops.
import { cpus, totalmem } from 'node:os';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeUserDirectory, readJsonFile, writeFileAtomic } from '../src/atomic-file.ts';
import { requireRunFile } from '../src/run-directory.ts';
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

/**
 * Where `l2o experiment --queue` sends stages: a job per stage, resolved with its result. Set by the
 * CLI for the runs this process opens; null: stages run here.
 */
export interface StageQueue {
  run(settings: ExperimentSettings, dir: string, key: string): Promise<unknown>;
  /**
   * Independent stages as one BullMQ flow: a job per stage as the children, and a parent that runs
   * once they are all done and hands back their results in order (docs/scale-out.md).
   */
  runAll(settings: ExperimentSettings, dir: string, keys: string[]): Promise<unknown[]>;
}

/** A worker computing one stage of a run (experimentStage): the stage, and where its result goes. */
interface StageJob {
  key: string;
  started: boolean;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
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

// JSON has no Infinity or NaN: JSON.stringify writes them as null, which a resumed run (or another
// process reading the stage) then ranks as 0. A run that blows up has infinite means in its curves
// (the generalization page regenerated from its stages put SGD first where it had overflowed), so
// stage files spell them out as strings and read them back as numbers.
const NON_FINITE: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };

function stageJson(result: unknown): string {
  return JSON.stringify(result, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value));
}

function readStage<T>(path: string, key: string): T {
  return reviveNonFinite(readJsonFile(path, `stage ${key}`)) as T;
}

function reviveNonFinite(value: unknown): unknown {
  if (typeof value === 'string') return value in NON_FINITE ? NON_FINITE[value] : value;
  if (Array.isArray(value)) return value.map(reviveNonFinite);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveNonFinite(v)]));
  return value;
}

export class ExperimentRun {
  /** Where stages go in this process (l2o experiment --queue); null: computed here, with claim files. */
  static queue: StageQueue | null = null;
  readonly started = Date.now();
  private readonly queue: StageQueue | null;
  /** In a worker: the one stage to compute; the others are read from their files. */
  private job: StageJob | null = null;

  /** Whether this process computes one stage of a queued experiment (a worker's job), not the whole run. */
  get isJob(): boolean {
    return this.job !== null;
  }
  private aborted = false;
  /** In a worker: the stages whose files it is waiting for, since when. */
  private readonly waitingFor = new Map<string, number>();
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
    stream: ProgressStream | undefined,
    queue: StageQueue | null,
  ) {
    this.stream = stream ?? process.stderr;
    this.queue = queue;
    const path = join(dir, 'elapsed.json');
    this.earlierSeconds = existsSync(path) ? (readJsonFile(path, 'elapsed time') as { seconds: number }).seconds : 0;
  }

  /** Wall time over every attempt at this run, up to now. */
  elapsedSeconds(): number {
    return this.earlierSeconds + (Date.now() - this.started) / 1000;
  }

  private recordElapsed(): void {
    if (this.job) return; // the submitting process keeps the time
    writeFileAtomic(join(this.dir, 'elapsed.json'), `${JSON.stringify({ seconds: this.elapsedSeconds() })}\n`);
  }

  /** A new directory under `root/<experiment>/`, or the one being resumed (its settings must match). */
  static open(settings: ExperimentSettings, options: { root: string; resume?: string; quiet?: boolean; pool?: TaskPool; stream?: ProgressStream; queue?: StageQueue | null }): ExperimentRun {
    let dir: string;
    if (options.resume) {
      dir = options.resume;
      requireRunFile(join(dir, 'settings.json'), 'experiment settings');
      const saved = readJsonFile(join(dir, 'settings.json'), 'experiment settings') as ExperimentSettings;
      if (saved.experiment !== settings.experiment || saved.quick !== settings.quick || saved.seed !== settings.seed) {
        throw new UserError(
          `${dir} holds experiment ${saved.experiment} (quick ${saved.quick}, seed ${saved.seed}), not ${settings.experiment} (quick ${settings.quick}, seed ${settings.seed})`,
        );
      }
    } else {
      dir = join(options.root, settings.experiment, timestampName(new Date()));
      if (existsSync(dir)) throw new UserError(`${dir} already exists`);
      makeUserDirectory(dir, '--out');
      writeFileAtomic(join(dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
    }
    makeUserDirectory(join(dir, 'stages'), options.resume ? '--resume' : '--out');
    return new ExperimentRun(dir, settings, options.quiet ?? false, options.pool ?? createPool(1), options.stream, options.queue === undefined ? ExperimentRun.queue : options.queue);
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
    if (this.queue) return this.queuedAll(list.map((stage) => stage.key)) as Promise<T[]>;
    if (this.job) return Promise.all(list.map((stage) => (stage.key === this.job!.key ? this.computeJob(stage) : this.awaitStage<T>(stage.key))));
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

  /** --queue: a stage done earlier is reused; any other is a job, and its worker writes its file. */
  private async queued(key: string): Promise<unknown> {
    const done = this.finished<unknown>(key);
    if (done.found) return done.result;
    this.say(`${key}: queued`);
    const started = Date.now();
    const result = await this.queue!.run(this.settings, this.dir, key);
    this.say(`${key}: finished in ${((Date.now() - started) / 1000).toFixed(1)} s, on the queue`);
    return result;
  }

  /** --queue, several independent stages: those done earlier are reused, the rest go as one flow (one stage alone: a job). */
  private async queuedAll(keys: string[]): Promise<unknown[]> {
    const done = new Map<string, unknown>();
    for (const key of keys) {
      const found = this.finished<unknown>(key);
      if (found.found) done.set(key, found.result);
    }
    const missing = keys.filter((key) => !done.has(key));
    if (missing.length === 1) done.set(missing[0], await this.queued(missing[0]));
    else if (missing.length > 1) {
      this.say(`${missing.join(', ')}: queued as one flow`);
      const started = Date.now();
      const results = await this.queue!.runAll(this.settings, this.dir, missing);
      missing.forEach((key, i) => done.set(key, results[i]));
      this.say(`${missing.length} stages finished in ${((Date.now() - started) / 1000).toFixed(1)} s, on the queue`);
    }
    return keys.map((key) => done.get(key));
  }

  /** In a worker: computes its job's stage (or reuses its file, when a retried job finds it), and halts the experiment's code there. */
  private async computeJob<T>(stage: Stage<T>): Promise<T> {
    const job = this.job!;
    job.started = true;
    try {
      const done = this.finished<T>(stage.key);
      job.resolve(done.found ? done.result : await this.compute(stage));
    } catch (err) {
      job.reject(err);
    }
    return new Promise<T>(() => {}); // the rest of the experiment is not this job's
  }

  /** In a worker: a stage other than the job's, done before it was queued (or running beside it): its file. */
  private async awaitStage<T>(key: string): Promise<T> {
    const path = this.stagePath(key, '.json');
    while (!existsSync(path)) {
      if (this.aborted) return new Promise<T>(() => {});
      if (!this.waitingFor.has(key)) this.waitingFor.set(key, Date.now());
      await sleep(250);
    }
    this.waitingFor.delete(key);
    return readStage<T>(path, key);
  }

  /**
   * In a worker: runs the experiment's code (`script`, given this run) up to the stage `key`, computes
   * that one and returns its result. Stages the code reaches before it must have their files: a stage
   * is queued only when the submitting process got there, so they do, on a shared filesystem.
   */
  static async computeStage(run: ExperimentRun, key: string, script: (run: ExperimentRun) => Promise<unknown>, stuckAfterMs = 60_000): Promise<unknown> {
    const result = new Promise<unknown>((resolve, reject) => (run.job = { key, started: false, resolve, reject }));
    let timer: NodeJS.Timeout | undefined;
    // Waiting long for an earlier stage's file before this job's stage has started: the file is not
    // coming (it was written on another machine's disk).
    const stuck = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        if (run.job!.started) return;
        const late = [...run.waitingFor].find(([, since]) => Date.now() - since > stuckAfterMs);
        if (late) reject(new UserError(`stage ${key} of ${run.dir} needs stage ${late[0]}, whose result is not in ${join(run.dir, 'stages')}: the experiment directory must be on a filesystem every worker shares`));
      }, Math.min(1000, stuckAfterMs));
    });
    const ended = script(run).then(() => {
      throw new Error(`experiment ${run.settings.experiment} ended without reaching stage ${key}`);
    });
    try {
      return await Promise.race([result, ended, stuck]);
    } finally {
      clearInterval(timer);
      run.aborted = true;
      ended.catch(() => {});
    }
  }

  private stagePath(key: string, suffix: string): string {
    return join(this.dir, 'stages', `${key.replace(/[^A-Za-z0-9._-]/g, '_')}${suffix}`);
  }

  private finished<T>(key: string): { found: true; result: T } | { found: false } {
    const path = this.stagePath(key, '.json');
    if (!existsSync(path)) return { found: false };
    this.say(`${key}: already done (by an earlier run or another process), reusing it`);
    return { found: true, result: readStage<T>(path, key) };
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
      writeFileAtomic(this.stagePath(stage.key, '.json'), stageJson(result));
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

/** What a job of `l2o experiment --queue` carries: the run's settings and directory, and the stage. */
export interface StagePayload extends ExperimentSettings {
  dir: string;
  key: string;
}

/** Task (a queue job): computes one stage of an experiment run in its directory, on this machine. */
export async function experimentStage(payload: StagePayload): Promise<unknown> {
  const { findExperiment } = await import('./registry.ts');
  const script = await findExperiment(payload.experiment).load();
  const { initBackend } = await import('../src/backend.ts');
  const backend = await initBackend();
  // The stage's own items (GPS conditions, comparison blocks) run in this thread: a worker takes
  // several jobs at once instead.
  const pool = createPool(1);
  try {
    const settings = { experiment: payload.experiment, quick: payload.quick, seed: payload.seed };
    const run = ExperimentRun.open(settings, { root: payload.dir, resume: payload.dir, quiet: true, pool, queue: null });
    return await ExperimentRun.computeStage(run, payload.key, (r) => script(r, backend));
  } finally {
    await pool.close();
  }
}

/** The experimentStage task, as the queue names it. */
export const EXPERIMENT_STAGE_TASK = { module: import.meta.url, name: 'experimentStage' };

/** Task (a flow's parent): runs once every stage of the group is done; their results, in order. */
export async function experimentStagesDone(payload: { results: unknown[] }): Promise<unknown[]> {
  return payload.results;
}

/** The experimentStagesDone task, as the queue names it. */
export const EXPERIMENT_STAGES_DONE_TASK = { module: import.meta.url, name: 'experimentStagesDone' };
