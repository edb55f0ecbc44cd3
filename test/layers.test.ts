// The folders are layers and imports flow one way (docs/design.md §7): a module may import its own
// folder or a folder of a lower layer, never a higher or a sibling one, so no cycle between folders
// can form. The check reads every relative import, static or dynamic, type-only included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './helpers.ts';


/** Layer of each folder, lowest first. */
const LAYERS: Record<string, number> = {
  src: 0, // errors, random streams, vectors, files, the backend choice
  'src/linalg': 1,
  'src/kernels': 1, // hand-written wasm SIMD kernels for the policies' hot loops
  'src/data': 1,
  'src/parallel': 1,
  'src/queue': 2, // the worker pool's items as jobs on a queue, for workers on other machines
  envs: 3,
  policies: 4,
  'src/gps': 5,
  'src/supervised': 5,
  'src/evaluate': 6,
  experiments: 7,
  'src/cli': 8, // `l2o experiment` runs the experiments
  'src/index.ts': 9, // the public API re-exports every layer
};

function folderOf(file: string): string {
  const path = relative(ROOT, file);
  if (path === 'src/index.ts') return path;
  const parts = path.split('/');
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : 'src';
  return parts[0];
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mts|mjs)$/.test(name) ? [path] : [];
  });
}

test('imports between folders only go down the layers', () => {
  const files = ['src', 'envs', 'policies', 'experiments'].flatMap((d) => sources(join(ROOT, d)));
  assert.ok(files.length > 50, 'the sources were found');
  const violations: string[] = [];
  for (const file of files) {
    const from = folderOf(file);
    assert.ok(from in LAYERS, `${relative(ROOT, file)} is in a folder with no layer; add it to LAYERS`);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
      const target = resolve(dirname(file), match[1] ?? match[2]);
      const to = folderOf(target);
      if (to === from) continue;
      if (!(to in LAYERS) || LAYERS[to] >= LAYERS[from]) violations.push(`${relative(ROOT, file)} (${from}) imports ${relative(ROOT, target)} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
});
