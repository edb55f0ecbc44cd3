// The CLI against bad input: a few hundred generated invocations (bad option values on every
// subcommand, corrupt checkpoints, broken family files and expressions, truncated dataset files).
// Each must exit 1 with one `error: ` line on stderr (and at most one `hint: ` line), no stack, no
// minified dump, within its time limit, and leave every file as it was. Cases run three at a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BIN, SHARED_DATA, scratchDir } from './helpers.ts';

const CASE_TIMEOUT_MS = 10_000;
const CONCURRENCY = 3;

let work = '';

interface Case {
  name: string;
  args: string[];
}

async function l2oAsync(args: string[]) {
  const { code, stderr } = await runCase({ name: 'setup', args }, 120_000);
  assert.equal(code, 0, `setup: l2o ${args.join(' ')}\n${stderr}`);
}

/** Every file under the work directory with its hash: what a bad invocation must leave alone. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        files.set(`${relative(work, path)}/`, 'dir');
        walk(path);
      } else files.set(relative(work, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(dir);
  return files;
}

function runCase(c: Case, timeoutMs = CASE_TIMEOUT_MS): Promise<{ code: number | null; stderr: string; stdout: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    // One thread per case: a pool's threads each load tfjs, which would dominate the suite's time.
    const args = c.args.includes('--workers') ? c.args : [...c.args, '--workers', '1'];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, L2O_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout, timedOut });
    });
  });
}

// ---- the cases -------------------------------------------------------------------------------

const BAD_COUNTS = ['0', '1.5', '1e12'];
const BAD_POSITIVE_REALS = ['abc', '', 'Infinity', '0', '-1'];

function optionCases(): Case[] {
  const cases: Case[] = [];
  const run = ['run', '--env', 'quadratic', '--optimizer', 'gd', '--lr', '0.01', '--steps', '5', '--problems', '2'];
  const evalBase = ['eval', '--env', 'quadratic', '--optimizers', 'gd', '--lr', '0.01', '--steps', '5', '--problems', '2'];
  const gps = ['train', '--algo', 'gps', '--env', 'quadratic', '--out', 'fresh-gps', '--iterations', '1', '--samples', '2', '--horizon', '5', '--quiet'];
  const bptt = ['train', '--algo', 'bptt', '--env', 'quadratic', '--out', 'fresh-bptt', '--iterations', '1', '--batch', '2', '--quiet'];
  const withValue = (base: string[], flag: string, value: string): string[] => {
    const i = base.indexOf(flag);
    return i >= 0 ? [...base.slice(0, i + 1), value, ...base.slice(i + 2)] : [...base, flag, value];
  };
  const add = (base: string[], label: string, flags: string[], values: string[]) => {
    for (const flag of flags) for (const value of values) cases.push({ name: `${label} ${flag} '${value}'`, args: withValue(base, flag, value) });
  };
  add(run, 'run', ['--steps', '--problems'], BAD_COUNTS);
  add(run, 'run', ['--lr'], ['abc', '0', '-1']);
  add(run, 'run', ['--workers'], ['0', '-2', 'x', '1.5']);
  add(run, 'run', ['--split'], ['validation', '']);
  add(run, 'run', ['--optimizer'], ['sgdd', '', 'gps:', 'gps:missing-dir', 'bptt:not-a-run']);
  add(run, 'run', ['--env'], ['nope', 'missing-file.ts', 'not-a-family.ts', '']);
  add(evalBase, 'eval', ['--steps', '--problems'], BAD_COUNTS);
  add(evalBase, 'eval', ['--lr'], BAD_POSITIVE_REALS);
  add(evalBase, 'eval', ['--optimizers'], ['', 'gd,,adam', 'gd,nope', 'gps:not-a-run']);
  add(evalBase, 'eval', ['--reference-minimum'], ['-1', '1e12']);
  add(evalBase, 'eval', ['--restart-spread'], ['x', '-1']);
  add(['eval', '--env', 'quadratic', '--optimizers', 'gd', '--steps', '5', '--problems', '2'], 'eval', ['--lr-refine'], ['x', '-1', '1.5']);
  cases.push({ name: 'eval --lr-refine with --lr', args: [...evalBase, '--lr-refine', '1'] });
  cases.push({ name: 'run --lr-refine with a learned optimizer', args: ['run', '--env', 'quadratic', '--optimizer', 'gps:gps-run', '--lr-refine', '1', '--steps', '5'] });
  add(evalBase, 'eval', ['--split'], ['dev']);
  add(evalBase, 'eval', ['--param'], ['noequals', 'unknown=1', 'trainSize=x', 'trainSize=-1', 'trainSize=1.5', 'dim=0']);
  add(evalBase, 'eval', ['--out'], ['/proc/nope/out', 'not-a-dir-file.txt/sub']);
  // Counts share one check (positiveInteger), so each flag gets one bad value; the two kinds alternate.
  add(gps, 'train gps', ['--iterations', '--samples', '--inner', '--validation-steps'], ['0']);
  add(gps, 'train gps', ['--horizon', '--history', '--policy-iterations', '--restarts'], ['x']);
  add(gps, 'train gps', ['--kl-step', '--initial-noise', '--initial-nu'], ['x', '-1']);
  add(gps, 'train gps', ['--step-adjustment', '--nu-step', '--gradient-scaling', '--cost-gradient'], ['bogus']);
  add(gps, 'train gps', ['--conditions', '--validation'], ['-1', 'x', '100000']);
  add(gps, 'train gps', ['--out'], ['/proc/nope/x', '']);
  add(bptt, 'train bptt', ['--iterations', '--unroll', '--hidden'], ['0']);
  add(bptt, 'train bptt', ['--batch', '--validate-every', '--chunk-size'], ['1.5']);
  add(bptt, 'train bptt', ['--lr', '--output-scale', '--preprocess-p'], ['x', '0', 'Infinity']);
  add(bptt, 'train bptt', ['--horizon'], ['30', '0', 'x']);
  // Sizes past any machine: refused at once, not an allocation error, a crash or a run of days.
  add(bptt, 'train bptt', ['--batch', '--hidden'], ['100000000']);
  add(run, 'run', ['--param'], ['dim=1000000000']);
  add(run, 'run', ['--workers'], ['5000']);
  for (const param of ['dataset=nope', 'hidden=a,b', 'activation=bogus', 'batchSize=-1']) {
    cases.push({ name: `image-mlp --param ${param}`, args: ['eval', '--env', 'image-mlp', '--data-dir', SHARED_DATA, '--param', 'dataset=cifar10', '--param', param, '--optimizers', 'gd', '--lr', '0.1', '--steps', '2', '--problems', '1'] });
  }
  for (const env of ['quadratic', 'logreg', 'robust-regression', 'small-net', 'mlp-gaussians']) {
    for (const param of ['bogus=1']) {
      cases.push({ name: `${env} --param ${param}`, args: ['eval', '--env', env, '--param', param, '--optimizers', 'gd', '--lr', '0.01', '--steps', '2', '--problems', '1'] });
    }
  }
  // Options and commands that do not exist, flags in the wrong place, missing values.
  for (const args of [
    ['nope'],
    ['run', '--nope'],
    ['eval', '--optimizer', 'gd'],
    ['train'],
    ['train', '--algo', 'rl', '--out', 'x'],
    ['train', '--algo', 'gps'],
    ['train', '--algo', 'bptt', '--env', 'quadratic'],
    ['run', '--env'],
    ['run', '--env', 'quadratic', '--optimizer'],
    ['run', '--env', 'quadratic', '--json=banana', '--optimizer', 'gd'],
    ['eval', '--env', 'quadratic', '--optimizers', 'gd', '--quiet=maybe'],
    ['envs', '--json=2'],
    ['data'],
    ['data', 'nope'],
    ['data', 'download', 'nope'],
    ['experiment'],
    ['experiment', 'nope'],
    ['experiment', 'divergence', '--resume', 'missing-dir'],
    ['experiment', 'divergence', '--resume', 'not-a-dir-file.txt'],
    ['experiment', 'divergence', '--seed'],
    // Directories that cannot be made: one line at once (a recursive mkdir under /proc never returns),
    // and --publish before the experiment runs, not after it.
    ['experiment', 'li-malik-2016', '--quick', '--out', '/proc/nope'],
    ['experiment', 'li-malik-2016', '--quick', '--publish', '/proc/nope'],
    ['sweep', '--algo', 'gps', '--env', 'quadratic', '--train', 'iterations=1', '--out', '/proc/nope'],
    // A sweep's --train options are parsed as l2o train would, before anything is made or trained.
    ['sweep', '--env', 'quadratic', '--train', 'kl-stepp=0.1', '--out', 'fresh-sweep'],
    ['sweep', '--env', 'quadratic', '--train', 'kl-step=abc', '--out', 'fresh-sweep'],
    ['sweep', '--env', 'quadratic', '--train', 'iterations=0', '--out', 'fresh-sweep'],
    ['sweep', '--env', 'quadratic', '--train', 'iterations=1', '--train', 'iterations=2', '--out', 'fresh-sweep'],
    ['run', '--expr', 'x^2', '--env', 'quadratic', '--optimizer', 'gd'],
    ['run', '--expr', 'x^2', '--env', 'logreg', '--optimizer', 'gd'],
    // Empty splits: nothing to tune on, nothing to test on.
    ['eval', '--env', 'logreg', '--param', 'trainSize=0', '--optimizers', 'adam', '--problems', '3', '--steps', '5'],
    ['run', '--env', 'logreg', '--param', 'testSize=0', '--optimizer', 'adam', '--lr', '0.1'],
    ['run', '--env', 'quadratic', '--optimizer', 'gd', '--steps', '5', '--problems', '1000001'],
    ['run', '--env', 'quadratic', '--optimizer', 'gps:fresh-run-parent', '--lr', '0.1'],
  ]) {
    cases.push({ name: args.join(' '), args });
  }
  return cases;
}

// Each of these loads mathjs (about 1.5 s), so the list keeps one of each kind of mistake.
const EXPRESSIONS = ['', 'x +', '"a" + x', 'random() + x', 'f(x) = x^2', 'sqrt(-1) + x', '[x, 1]', 'x; y', Array.from({ length: 10_000 }, (_, i) => `x${i}`).join('+'), 'x * NaN'];

function expressionCases(): Case[] {
  return EXPRESSIONS.map((expr) => ({ name: `--expr ${expr.slice(0, 30)}`, args: ['run', '--expr', expr, '--optimizer', 'gd', '--lr', '0.01', '--steps', '3', '--problems', '1'] }));
}

/** Family modules that are broken in one way each: the file name says how. */
const FAMILIES: Record<string, string> = {
  'syntax-error.ts': 'export default { name: ',
  'no-default.ts': 'export const family = {};',
  'default-number.ts': 'export default 42;',
  'no-create.ts': "export default { name: 'x', description: 'x', params: {} };",
  'create-throws.ts': "export default { name: 'x', description: 'x', params: {}, create() { throw new Error('boom'); } };",
  'bad-param-kind.ts': "export default { name: 'x', description: 'x', params: { a: { kind: 'float', default: 1, description: 'a' } }, create() { return {}; } };",
  'throws-at-import.ts': "throw new Error('import-time failure');\nexport default {};",
  'imports-missing.ts': "import './nowhere.ts';\nexport default {};",
};
const OBJECTIVE = (body: { dim?: string; splits?: string; start?: string; evaluate?: string; sample?: string }) => `export default {
  name: 'broken', description: 'broken', params: {},
  create: () => ({
    name: 'broken', dim: ${body.dim ?? '2'}, splitSizes: ${body.splits ?? '{ train: 4, test: 4 }'},
    sample: ${body.sample ?? `(split: string, index: number) => ({ name: 'broken/' + split + '/' + index, dim: ${body.dim ?? '2'},
      start: ${body.start ?? '(rng: any) => rng.normalVector(2)'},
      evaluate: ${body.evaluate ?? '(x: Float64Array) => ({ value: x[0] * x[0] + x[1] * x[1], gradient: Float64Array.of(2 * x[0], 2 * x[1]) })'} })`},
  }),
};
`;
Object.assign(FAMILIES, {
  'dim-negative.ts': OBJECTIVE({ dim: '-3' }),
  'dim-fraction.ts': OBJECTIVE({ dim: '2.5' }),
  'dim-string.ts': OBJECTIVE({ dim: "'two'" }),
  'splits-nan.ts': OBJECTIVE({ splits: '{ train: NaN, test: NaN }' }),
  'splits-missing.ts': OBJECTIVE({ splits: 'undefined' }),
  'sample-throws.ts': OBJECTIVE({ sample: "() => { throw new Error('no instance'); }" }),
  'sample-not-function.ts': OBJECTIVE({ sample: '5' }),
  'start-short.ts': OBJECTIVE({ start: '() => Float64Array.of(1)' }),
  'start-nan.ts': OBJECTIVE({ start: '() => Float64Array.of(NaN, 1)' }),
  'start-string.ts': OBJECTIVE({ start: "() => 'x'" }),
  'gradient-short.ts': OBJECTIVE({ evaluate: '(x: Float64Array) => ({ value: x[0] * x[0], gradient: Float64Array.of(2 * x[0]) })' }),
  'gradient-missing.ts': OBJECTIVE({ evaluate: '(x: Float64Array) => ({ value: x[0] * x[0] })' }),
  'value-string.ts': OBJECTIVE({ evaluate: "(x: Float64Array) => ({ value: 'small', gradient: Float64Array.of(0, 0) })" }),
  'evaluate-throws.ts': OBJECTIVE({ evaluate: "() => { throw new Error('evaluation failed'); }" }),
  'evaluate-returns-number.ts': OBJECTIVE({ evaluate: '(x: Float64Array) => x[0]' }),
});

function familyCases(): Case[] {
  const cases: Case[] = [];
  // Every file through l2o eval, except a few module-level mistakes that go through l2o run (the
  // same loading code); a few more go through both.
  const runOnly = ['no-default.ts', 'default-number.ts', 'throws-at-import.ts', 'imports-missing.ts'];
  for (const file of Object.keys(FAMILIES)) {
    if (!runOnly.includes(file)) cases.push({ name: `eval --env families/${file}`, args: ['eval', '--env', `families/${file}`, '--optimizers', 'gd', '--lr', '0.01', '--steps', '5', '--problems', '2'] });
    if (runOnly.includes(file) || /syntax/.test(file)) cases.push({ name: `run --env families/${file}`, args: ['run', '--env', `families/${file}`, '--optimizer', 'gd', '--lr', '0.01', '--steps', '5', '--problems', '2'] });
  }
  for (const file of ['gradient-short.ts', 'evaluate-throws.ts']) {
    cases.push({ name: `train bptt --env families/${file}`, args: ['train', '--algo', 'bptt', '--env', `families/${file}`, '--out', `fresh-${file}`, '--iterations', '1', '--batch', '2', '--validation', '1', '--quiet'] });
  }
  return cases;
}

type Corruption = [label: string, file: string, mutate: (json: Record<string, unknown>) => unknown];

/** JSON changes to a checkpoint file; each case works on its own copy of the run. */
const GPS_CORRUPTIONS: Corruption[] = [
  ['policy.json truncated', 'policy.json', () => '{"format":"l2o-gps","version":1,"netw'],
  ['policy.json empty', 'policy.json', () => ''],
  ['policy.json not an object', 'policy.json', () => [1, 2]],
  ['policy.json wrong format', 'policy.json', (j) => ({ ...j, format: 'other' })],
  ['policy.json future version', 'policy.json', (j) => ({ ...j, version: 99 })],
  ['policy.json historyLength string', 'policy.json', (j) => ({ ...j, historyLength: 'five' })],
  ['policy.json historyLength 0', 'policy.json', (j) => ({ ...j, historyLength: 0 })],
  ['policy.json gradientScaling bogus', 'policy.json', (j) => ({ ...j, gradientScaling: 'bogus' })],
  ['policy.json network missing', 'policy.json', (j) => ({ ...j, network: undefined })],
  ['policy.json W1 short', 'policy.json', (j) => ({ ...j, network: { ...(j.network as object), W1: [1, 2, 3] } })],
  ['policy.json W1 has a string', 'policy.json', (j) => ({ ...j, network: { ...(j.network as object), W1: ((j.network as { W1: unknown[] }).W1).map((v, i) => (i === 0 ? 'x' : v)) } })],
  ['policy.json hidden negative', 'policy.json', (j) => ({ ...j, network: { ...(j.network as object), hidden: -5 } })],
  ['policy.json inputDim mismatched', 'policy.json', (j) => ({ ...j, network: { ...(j.network as object), inputDim: 3 } })],
  ['policy.json coordinatewise string', 'policy.json', (j) => ({ ...j, coordinatewise: 'yes' })],
];
const BPTT_CORRUPTIONS: Corruption[] = [
  ['optimizer.json truncated', 'optimizer.json', () => '{"format":'],
  ['optimizer.json outputScale big', 'optimizer.json', (j) => ({ ...j, lstm: { ...(j.lstm as object), config: { ...((j.lstm as { config: object }).config), outputScale: 'big' } } })],
  ['optimizer.json preprocessP -1', 'optimizer.json', (j) => ({ ...j, lstm: { ...(j.lstm as object), config: { ...((j.lstm as { config: object }).config), preprocessP: -1 } } })],
  ['optimizer.json hidden 0', 'optimizer.json', (j) => ({ ...j, lstm: { ...(j.lstm as object), config: { ...((j.lstm as { config: object }).config), hidden: 0 } } })],
  ['optimizer.json weights missing', 'optimizer.json', (j) => ({ ...j, lstm: { ...(j.lstm as object), weights: undefined } })],
  ['optimizer.json wrong format', 'optimizer.json', (j) => ({ ...j, format: 'l2o-gps' })],
];
const STATE_CORRUPTIONS: Corruption[] = [
  ['state.json truncated', 'state.json', () => '{"format":"l2o'],
  ['state.json iteration -1', 'state.json', (j) => ({ ...j, iteration: -1 })],
  ['state.json iteration string', 'state.json', (j) => ({ ...j, iteration: 'x' })],
  ['state.json env other', 'state.json', (j) => ({ ...j, env: 'logreg' })],
  ['state.json config missing', 'state.json', (j) => ({ ...j, config: undefined })],
  ['state.json config.horizon string', 'state.json', (j) => ({ ...j, config: { ...(j.config as object), horizon: 'x' } })],
];

function corruptedRun(source: string, [label, file, mutate]: Corruption): string {
  const dir = `corrupt-${source}-${label.replace(/[^a-z0-9]+/gi, '-')}`;
  cpSync(join(work, source), join(work, dir), { recursive: true });
  const path = join(work, dir, file);
  const mutated = mutate(JSON.parse(readFileSync(path, 'utf8')));
  writeFileSync(path, typeof mutated === 'string' ? mutated : JSON.stringify(mutated));
  return dir;
}

function checkpointCases(): Case[] {
  const cases: Case[] = [];
  for (const c of GPS_CORRUPTIONS) {
    const dir = corruptedRun('gps-run', c);
    cases.push({ name: `eval gps:${c[0]}`, args: ['eval', '--env', 'quadratic', '--optimizers', `gps:${dir}`, '--steps', '5', '--problems', '2'] });
    if (/truncated/.test(c[0])) cases.push({ name: `run gps:${c[0]}`, args: ['run', '--env', 'quadratic', '--optimizer', `gps:${dir}`, '--steps', '5', '--problems', '1'] });
  }
  for (const c of BPTT_CORRUPTIONS) {
    const dir = corruptedRun('bptt-run', c);
    if (/truncated/.test(c[0])) cases.push({ name: `eval bptt:${c[0]}`, args: ['eval', '--env', 'quadratic', '--optimizers', `bptt:${dir}`, '--steps', '5', '--problems', '2'] });
    cases.push({ name: `run bptt:${c[0]}`, args: ['run', '--env', 'quadratic', '--optimizer', `bptt:${dir}`, '--steps', '5', '--problems', '1'] });
  }
  for (const c of STATE_CORRUPTIONS) {
    const gps = corruptedRun('gps-run', c);
    cases.push({ name: `train gps --resume, ${c[0]}`, args: ['train', '--algo', 'gps', '--env', 'quadratic', '--out', gps, '--resume', '--iterations', '2', '--samples', '2', '--horizon', '5', '--quiet'] });
    const bptt = corruptedRun('bptt-run', c);
    cases.push({ name: `train bptt --resume, ${c[0]}`, args: ['train', '--algo', 'bptt', '--env', 'quadratic', '--out', bptt, '--resume', '--iterations', '3', '--batch', '2', '--quiet'] });
  }
  // A GPS run trained on another dimension, and a resume whose flags contradict the run.
  cases.push({ name: 'run gps:DIR on another dimension', args: ['run', '--env', 'logreg', '--optimizer', 'gps:gps-run', '--steps', '5', '--problems', '1'] });
  cases.push({ name: 'eval gps:DIR on another dimension', args: ['eval', '--env', 'logreg', '--optimizers', 'gps:gps-run,gd', '--lr', '0.1', '--steps', '5', '--problems', '2'] });
  cases.push({ name: 'resume bptt with another --hidden', args: ['train', '--algo', 'bptt', '--env', 'quadratic', '--out', 'bptt-run', '--resume', '--hidden', '7', '--iterations', '3', '--batch', '2', '--quiet'] });
  cases.push({ name: 'resume gps with another --history', args: ['train', '--algo', 'gps', '--env', 'quadratic', '--out', 'gps-run', '--resume', '--history', '7', '--iterations', '2', '--quiet'] });
  cases.push({ name: 'resume gps on another env', args: ['train', '--algo', 'gps', '--env', 'logreg', '--out', 'gps-run', '--resume', '--iterations', '2', '--quiet'] });
  cases.push({ name: 'train gps without --resume over a run', args: ['train', '--algo', 'gps', '--env', 'quadratic', '--out', 'gps-run', '--iterations', '1', '--quiet'] });
  return cases;
}

/** Dataset files cut short: each loader must say which file is broken, not fail deep inside. */
function datasetCases(): Case[] {
  const cases: Case[] = [];
  const truncate = (dataset: string, from: string, files: string[], keep: number) => {
    const dir = join(work, `data-${dataset}-${keep}`);
    mkdirSync(join(dir, from), { recursive: true });
    for (const file of files) {
      const source = join(SHARED_DATA, from, file);
      if (!existsSync(source)) return false;
      const bytes = readFileSync(source);
      writeFileSync(join(dir, from, file), bytes.subarray(0, Math.min(bytes.length - 1, keep)));
    }
    return relative(work, dir);
  };
  for (const keep of [0, 3073 + 17]) {
    const fer = truncate('fer2013', 'fer2013-bin', readdirSync(join(SHARED_DATA, 'fer2013-bin')).filter((f) => f.endsWith('.bin')), keep);
    if (fer) cases.push({ name: `fer2013 truncated to ${keep} bytes`, args: ['eval', '--env', 'image-mlp', '--param', 'dataset=fer2013', '--data-dir', fer, '--optimizers', 'gd', '--lr', '0.1', '--steps', '2', '--problems', '1'] });
    const c100 = truncate('cifar100', 'cifar-100-binary', ['train.bin', 'test.bin'], keep);
    if (c100) cases.push({ name: `cifar100 truncated to ${keep} bytes`, args: ['eval', '--env', 'image-mlp', '--param', 'dataset=cifar100', '--data-dir', c100, '--optimizers', 'gd', '--lr', '0.1', '--steps', '2', '--problems', '1'] });
    const cifar = truncate('cifar10', 'cifar-10-batches-bin', readdirSync(join(SHARED_DATA, 'cifar-10-batches-bin')).filter((f) => f.endsWith('.bin')), keep);
    if (cifar) cases.push({ name: `cifar10 truncated to ${keep} bytes`, args: ['eval', '--env', 'image-mlp', '--param', 'dataset=cifar10', '--data-dir', cifar, '--optimizers', 'gd', '--lr', '0.1', '--steps', '2', '--problems', '1'] });
  }
  return cases;
}

// ---- the test --------------------------------------------------------------------------------

before(async () => {
  work = scratchDir('l2o-fuzz-');
  await Promise.all([
    l2oAsync(['train', '--algo', 'gps', '--env', 'quadratic', '--out', 'gps-run', '--iterations', '1', '--samples', '2', '--horizon', '5', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--workers', '1', '--restarts', '1', '--quiet']),
    l2oAsync(['train', '--algo', 'bptt', '--env', 'quadratic', '--out', 'bptt-run', '--iterations', '2', '--validate-every', '1', '--batch', '2', '--horizon', '20', '--validation', '2', '--workers', '1', '--quiet']),
  ]);
  mkdirSync(join(work, 'families'));
  for (const [file, source] of Object.entries(FAMILIES)) writeFileSync(join(work, 'families', file), source);
  writeFileSync(join(work, 'not-a-family.ts'), 'export const x = 1;\n');
  writeFileSync(join(work, 'not-a-dir-file.txt'), 'a file\n');
  mkdirSync(join(work, 'not-a-run'));
  mkdirSync(join(work, 'fresh-run-parent'));
});

after(() => rmSync(work, { recursive: true, force: true }));

test('at least 200 bad invocations: each exits 1 with one error line, no stack or dump, no hang, and no file changed', { timeout: 240_000 }, async () => {
  const cases = [...optionCases(), ...expressionCases(), ...familyCases(), ...checkpointCases(), ...datasetCases()];
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  if (process.env.L2O_FUZZ_TIMES) console.log(`${cases.length} cases`);
  const files = snapshot(work);
  const failures: string[] = [];
  const durations: [number, string][] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const started = Date.now();
      const { code, stderr, timedOut } = await runCase(c);
      durations.push([Date.now() - started, c.name]);
      const lines = stderr.split('\n').filter((l) => l.trim() !== '');
      const problems: string[] = [];
      if (timedOut) problems.push(`no exit within ${CASE_TIMEOUT_MS / 1000} s`);
      else if (code !== 1) problems.push(`exit ${code}`);
      if (lines.length === 0 || !lines[0].startsWith('error: ')) problems.push('no error line');
      if (lines.length > 2 || (lines.length === 2 && !lines[1].startsWith('hint: '))) problems.push(`${lines.length} lines`);
      if (/\n\s+at |function\(|\{var /.test(stderr) || stderr.length > 1000) problems.push('stack or dump');
      if (problems.length) failures.push(`${c.name}: ${problems.join(', ')}\n    ${lines.slice(0, 3).join('\n    ').slice(0, 400)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (process.env.L2O_FUZZ_TIMES) console.log(durations.sort((a, b) => b[0] - a[0]).slice(0, 40).map(([ms, name]) => `${ms} ms  ${name}`).join('\n'));
  const after = snapshot(work);
  const changed = [...new Set([...files.keys(), ...after.keys()])].filter((f) => files.get(f) !== after.get(f));
  assert.equal(failures.length + changed.length, 0, `${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}\nfiles created, changed or removed: ${changed.join(', ')}`);
});
