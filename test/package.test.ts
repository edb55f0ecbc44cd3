// The package as a user gets it: `npm pack`, installed into a fresh project, used under plain node
// (no tsx), type-checked as a strict TypeScript consumer, and run as `npx l2o` with family files in
// folders that have no package.json. `npm test` builds dist/ before the tests, and the tarball is
// packed from it (--ignore-scripts: the build already ran).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ROOT, scratchDir } from './helpers.ts';


function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options, env: { ...process.env, ...options.env } });
  return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function ok(result: { code: number | null; stdout: string; stderr: string }, what: string) {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

const FAMILY = `import { defineFamily, type Objective, type Rng } from 'learn-to-optimize';
import { scale } from './scale';

export default defineFamily({
  name: 'bowl',
  description: 'scaled bowls',
  params: { trainSize: { kind: 'integer', default: 8, description: 'train' }, testSize: { kind: 'integer', default: 6, description: 'test' } },
  create: (params) => ({
    name: 'bowl',
    dim: 3,
    splitSizes: { train: params.trainSize as number, test: params.testSize as number },
    sample(split, index): Objective {
      const c = scale(index + (split === 'test' ? 100 : 0));
      return { name: \`bowl/\${split}/\${index}\`, dim: 3, start: (rng: Rng) => rng.normalVector(3, 1), evaluate: (x) => ({ value: c * x.reduce((s, v) => s + v * v, 0), gradient: x.map((v) => 2 * c * v) }) };
    },
  }),
});
`;

// No import at all: a file anywhere on disk, with no package.json in any folder above it.
const STANDALONE = `const family = {
  name: 'line', description: 'f(x) = (x − 1)²', params: {},
  create: () => ({ name: 'line', dim: 1, splitSizes: { train: 4, test: 4 }, sample: (split: string, index: number) => ({
    name: \`line/\${split}/\${index}\`, dim: 1,
    start: (rng: { normal(): number }) => Float64Array.of(rng.normal() + index),
    evaluate: (x: Float64Array) => ({ value: (x[0] - 1) ** 2, gradient: Float64Array.of(2 * (x[0] - 1)) }),
  }) }),
};
export default family;
`;

const CONSUMER = `import { compareOptimizers, createFamily, defineFamily, initBackend, Rng, type EvalReport, type Objective } from 'learn-to-optimize';

export const family = defineFamily({
  name: 'square', description: 'x²', params: {},
  create: () => ({ name: 'square', dim: 1, splitSizes: { train: 2, test: 2 }, sample: (split, index): Objective => ({
    name: \`square/\${split}/\${index}\`, dim: 1, start: (rng: Rng) => rng.normalVector(1),
    evaluate: (x) => ({ value: x[0] * x[0], gradient: Float64Array.of(2 * x[0]) }),
  }) }),
});
export const report: Promise<EvalReport> = initBackend().then((backend) =>
  compareOptimizers([{ name: 'adam' }], { family: createFamily('quadratic'), split: 'test', steps: 5, problems: 2, seed: '1', backend }));

// The declarations are real types, not any: each line below must be a type error.
// @ts-expect-error uniform() returns a number
export const wrong: string = new Rng('y').uniform();
// @ts-expect-error a split is 'train' or 'test'
createFamily('quadratic').sample('validation', 0);
`;

test('the packed package installs into a fresh project and works there: plain node, a strict TS consumer, npx l2o, family files without a package.json', { timeout: 120_000 }, () => {
  assert.ok(existsSync(join(ROOT, 'dist/src/index.js')), 'dist/ is built (npm test runs npm run build first)');
  const work = scratchDir('l2o-pack-');
  try {
    ok(run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT }), 'npm pack');
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'a tarball');
    const listing = ok(run('tar', ['tzf', join(work, tarball)], { cwd: work }), 'tar').stdout.split('\n');
    assert.ok(listing.includes('package/dist/src/index.d.ts') && listing.includes('package/bin/l2o.js'), 'the build and the bin are shipped');
    assert.deepEqual(listing.filter((f) => /^package\/(test|bench|scratch|src|envs|policies)\//.test(f) || f.endsWith('.test.ts')), [], 'no tests, benchmarks or sources');
    // Every relative link of the shipped README and docs reaches a shipped file (the results pages and their figures too).
    const shipped = new Set(listing);
    const broken: string[] = [];
    for (const page of listing.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, page.slice('package/'.length)), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const path = posix.normalize(posix.join(posix.dirname(page), target));
        const found = target.endsWith('/') ? listing.some((f) => f.startsWith(`${path.replace(/\/$/, "")}/`)) : shipped.has(path);
        if (!found) broken.push(`${page} → ${target}`);
      }
    }
    assert.deepEqual(broken, [], 'links to files the package does not ship');

    const project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // From npm's cache where it can (npm ci filled it); scripts off: tfjs-node's would try a download.
    ok(run('npm', ['install', join(work, tarball), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project }), 'npm install');
    assert.ok(!existsSync(join(project, 'node_modules/tsx')), 'tsx is a development dependency only');

    const imported = ok(run(process.execPath, ['--input-type=module', '-e', `
      import { createFamily, defineFamily, Rng, OptimizationEnv, rollout, findHandDesigned } from 'learn-to-optimize';
      const family = createFamily('quadratic');
      const run = rollout(new OptimizationEnv(), findHandDesigned('gd').create(0.001), family.sample('test', 0), 20, new Rng('x'));
      console.log(JSON.stringify({ defineFamily: typeof defineFamily, first: run.values[0], last: run.values[20] }));`], { cwd: project }), 'import under plain node');
    const { defineFamily, first, last } = JSON.parse(imported.stdout);
    assert.equal(defineFamily, 'function');
    assert.ok(last < first, `gradient descent lowers the objective (${first} → ${last})`);

    writeFileSync(join(project, 'consumer.ts'), CONSUMER);
    // A TypeScript project has Node's types; lend it ours.
    mkdirSync(join(project, 'node_modules/@types'), { recursive: true });
    if (!existsSync(join(project, 'node_modules/@types/node'))) symlinkSync(join(ROOT, 'node_modules/@types/node'), join(project, 'node_modules/@types/node'));
    // skipLibCheck because tfjs's own declarations fail --strict; the @ts-expect-error lines show ours are checked.
    ok(run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--strict', '--skipLibCheck', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'consumer.ts'], { cwd: project }), 'tsc --strict on a consumer');

    const help = ok(run('npx', ['--no-install', 'l2o', '--help'], { cwd: project }), 'npx l2o --help');
    assert.match(help.stdout, /l2o <command>/);

    mkdirSync(join(project, 'families'));
    writeFileSync(join(project, 'families/bowl.ts'), FAMILY);
    writeFileSync(join(project, 'families/scale.ts'), 'export const scale = (i: number): number => 1 + (i % 5) / 5;\n');
    const outside = scratchDir('l2o-family-');
    writeFileSync(join(outside, 'line.ts'), STANDALONE);
    try {
      for (const [env, name] of [['families/bowl.ts', 'bowl'], [join(outside, 'line.ts'), 'line']]) {
        const evaluated = ok(run('npx', ['--no-install', 'l2o', 'eval', '--env', env, '--optimizers', 'gd,adam', '--steps', '10', '--problems', '4', '--workers', '2', '--json'], { cwd: project }), `l2o eval --env ${env}`);
        const report = JSON.parse(evaluated.stdout);
        assert.equal(report.env, name);
        assert.deepEqual(report.results.map((r: { optimizer: string }) => r.optimizer).sort(), ['adam', 'gd']);
        assert.ok(report.results.every((r: { meanFinal: number }) => Number.isFinite(r.meanFinal)));
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
