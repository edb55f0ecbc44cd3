import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Objective } from '../envs/objective.ts';

// npm test runs the tests compiled, from dist/test/ (tsx would add a transpiling hook to every test
// process and worker thread); `node --import tsx --test test/X.test.ts` runs one from source. Paths
// therefore come from here, not from `new URL('..', import.meta.url)`.
const HERE = dirname(fileURLToPath(import.meta.url));
const COMPILED = import.meta.url.endsWith('.js');

/** The repository root (the directory with package.json above this file), where the CLI tests run. */
export const ROOT = ((): string => {
  let dir = HERE;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${HERE}`);
    dir = parent;
  }
  return dir;
})();
/** The CLI as users run it: bin/l2o.js runs the compiled dist/, which npm test builds before the tests. */
export const BIN = join(ROOT, 'bin/l2o.js');
/** The datasets beside the repository (../shared/data; see docs/datasets.md). */
export const SHARED_DATA = join(ROOT, '../shared/data');

/**
 * The URL of a module of this repository, given by its source path ('src/evaluate/parallel-runs.ts'),
 * in the form the running tests use: the compiled .js under dist/ when they run compiled. A worker
 * pool's task names its module by URL, so it must be the one this process can load.
 */
export function moduleUrl(sourcePath: string): string {
  const path = COMPILED ? join(ROOT, 'dist', sourcePath.replace(/\.ts$/, '.js')) : join(ROOT, sourcePath);
  return pathToFileURL(path).href;
}

/**
 * Runs `l2o ...args` in the repository root, with one thread unless the args ask for workers (a
 * pool's threads each load tfjs, which only costs time here), and a GPS training once unless the
 * args say --restarts (the full-state default trains three and keeps their mean: gps-restarts.test.ts
 * runs that default as typed, through `l2oAsTyped`).
 */
export function l2o(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const algo = args.indexOf('--algo');
  const gpsTraining = args[0] === 'train' && (algo < 0 || args[algo + 1] === 'gps');
  const restarts = gpsTraining && !args.includes('--restarts') ? ['--restarts', '1'] : [];
  return l2oAsTyped(...args, ...restarts);
}

/** `l2o ...args` with nothing added but one thread (see `l2o`). */
export function l2oAsTyped(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const workers = args.includes('--workers') ? [] : ['--workers', '1'];
  const result = spawnSync(process.execPath, [BIN, ...workers, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Central finite differences of objective.evaluate(x).value. */
export function finiteDifferenceGradient(objective: Objective, x: Float64Array, h: number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    plus[i] += h;
    minus[i] -= h;
    g[i] = (objective.evaluate(plus).value - objective.evaluate(minus).value) / (2 * h);
  }
  return g;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/**
 * A family of bowls that are finite only at their start (3, 3): any step at all breaks them down
 * (or, with `everywhere`, not even the start is finite). For tests of training that cannot succeed.
 */
export function breakingFamily(name: string, everywhere = false) {
  return {
    name,
    dim: 2,
    splitSizes: { train: 20, test: 2 },
    sample: (split: 'train' | 'test', index: number) => ({
      name: `breaks/${split}/${index}`,
      dim: 2,
      start: () => Float64Array.of(3, 3),
      evaluate: (x: Float64Array) => (everywhere || x[0] !== 3 || x[1] !== 3 ? { value: NaN, gradient: Float64Array.of(NaN, NaN) } : { value: x[0] * x[0] + x[1] * x[1], gradient: Float64Array.of(2 * x[0], 2 * x[1]) }),
    }),
  };
}

const scratchDirs: string[] = [];

/** A fresh directory under the system's temporary directory, removed when this test process exits, so a test run leaves nothing behind. */
export function scratchDir(prefix: string): string {
  if (scratchDirs.length === 0) process.on('exit', () => scratchDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}
