// What every experiment shares: its output directory `runs/<experiment>/<timestamp>/`, stages whose
// results are saved atomically as they finish (so `--resume DIR` skips them), trainer run
// directories that resume on their own, progress on stderr, and the machine description.
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../src/atomic-file.ts';
import { UserError } from '../src/errors.ts';

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

export class ExperimentRun {
  readonly started = Date.now();
  /** Seconds spent in earlier attempts at this run (kept in elapsed.json), so a resumed run reports its whole time. */
  private readonly earlierSeconds: number;

  private constructor(
    readonly dir: string,
    readonly settings: ExperimentSettings,
    private readonly quiet: boolean,
  ) {
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
  static open(settings: ExperimentSettings, options: { root: string; resume?: string; quiet?: boolean }): ExperimentRun {
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
    return new ExperimentRun(dir, settings, options.quiet ?? false);
  }

  /** Progress on stderr; also the moment to note the elapsed time, so that a kill loses at most the time since. */
  say(message: string): void {
    this.recordElapsed();
    if (!this.quiet) process.stderr.write(`[${this.elapsedSeconds().toFixed(0)} s] ${message}\n`);
  }

  /** Runs `compute` once: its JSON result is kept in `stages/<key>.json` and reused on resume. */
  async stage<T>(key: string, compute: () => T | Promise<T>): Promise<T> {
    const path = join(this.dir, 'stages', `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
    if (existsSync(path)) {
      this.say(`${key}: done in an earlier run, reusing it`);
      return readJsonFile(path, `stage ${key}`) as T;
    }
    this.say(`${key}: starting`);
    const started = Date.now();
    const result = await compute();
    writeFileAtomic(path, JSON.stringify(result));
    this.say(`${key}: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  }

  /** Where a trainer keeps its run (checkpoint, log), so that it resumes with the experiment. */
  trainingDir(key: string): string {
    return join(this.dir, 'training', key);
  }
}
