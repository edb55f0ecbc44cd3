import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, l2o, scratchDir } from './helpers.ts';

test('l2o eval --json prints exactly one JSON object with the documented schema', () => {
  const { code, stdout } = l2o('eval', '--env', 'logreg', '--optimizers', 'gd,adam,lbfgs', '--split', 'test', '--steps', '20', '--problems', '5', '--seed', '3', '--json', '--param', 'trainSize=10');
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.deepEqual(Object.keys(report).sort(), ['backend', 'env', 'problems', 'results', 'seed', 'split', 'steps']);
  assert.equal(report.env, 'logreg');
  assert.equal(report.steps, 20);
  assert.equal(report.backend, 'none'); // hand-designed optimizers on logreg: plain JavaScript, no tfjs loaded
  assert.deepEqual(report.results.map((r: { optimizer: string }) => r.optimizer), ['gd', 'adam', 'lbfgs']);
  for (const row of report.results) {
    for (const key of ['optimizer', 'lr', 'meanFinal', 'medianFinal', 'bestFraction', 'diverged', 'curve']) assert.ok(key in row, key);
    assert.equal(row.curve.length, 21);
    assert.ok(row.tuning.grid.includes(row.lr));
  }
  // Every row but the lowest-mean one carries its paired difference to that row.
  const lowest = report.results.reduce((a: { meanFinal: number }, b: { meanFinal: number }) => (b.meanFinal < a.meanFinal ? b : a));
  for (const row of report.results) {
    if (row === lowest) assert.equal(row.versusBest, undefined);
    else {
      const { optimizer, mean, low, high } = row.versusBest;
      assert.equal(optimizer, lowest.optimizer);
      assert.ok([mean, low, high].every(Number.isFinite) && low <= mean && mean <= high, JSON.stringify(row.versusBest));
    }
  }
});

test('l2o eval --reference-minimum adds f − f* and says whether the search beat every optimizer', () => {
  const args = ['eval', '--env', 'quadratic', '--optimizers', 'gd,lbfgs', '--lr', '0.01', '--problems', '3', '--steps', '100', '--reference-minimum', '2'];
  const text = l2o(...args);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /mean f − f\*\s+at f\*/);
  assert.match(text.stdout, /from 2 random starts x0 \+ N\(0, 3²I\)/);
  assert.match(text.stdout, /The search went below every optimizer on 0 of 3 instances/);
  const report = JSON.parse(l2o(...args, '--json').stdout);
  assert.equal(report.reference.restarts, 2);
  const [gd, lbfgs] = report.results;
  assert.equal(lbfgs.suboptimality.atMinimum, 1);
  assert.equal(gd.suboptimality.atMinimum, 0);
  assert.ok(gd.suboptimality.median > 0.1, JSON.stringify(gd.suboptimality));
});

test('l2o run and l2o envs work and name the backend, and a run that needs no tfjs does not load it', () => {
  // The preload reports, at exit, whether any @tensorflow module was required in the main thread.
  const probed = (...args: string[]) => {
    const result = spawnSync(process.execPath, ['--require', join(ROOT, 'test/fixtures/report-tfjs-loaded.cjs'), BIN, '--workers', '1', ...args], { encoding: 'utf8', cwd: ROOT });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const run = probed('run', '--expr', '(x-1)^2 + 3*(y+2)^2', '--optimizer', 'cg', '--lr', '0.1', '--problems', '2', '--steps', '30');
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /tfjs not loaded \(plain JavaScript\)/);
  assert.match(run.stderr, /tfjs loaded: no/);
  assert.match(run.stdout, /expr\/test\/1/);
  const net = probed('run', '--env', 'mlp-gaussians', '--optimizer', 'adam', '--lr', '0.01', '--problems', '1', '--steps', '3');
  assert.equal(net.code, 0, net.stderr);
  assert.match(net.stdout, /tfjs backend (tensorflow|wasm|cpu)/);
  assert.match(net.stderr, /tfjs loaded: yes/);
  const envs = l2o('envs');
  assert.equal(envs.code, 0);
  for (const name of ['quadratic', 'logreg', 'robust-regression', 'small-net', 'expr']) assert.match(envs.stdout, new RegExp(`^${name}$`, 'm'));
});

test('l2o train --algo gps loads no tfjs for the feed-forward policy on a plain-JavaScript family, and does for an LSTM policy, also when a resume does not name it', () => {
  const probed = (...args: string[]) => {
    const result = spawnSync(process.execPath, ['--require', join(ROOT, 'test/fixtures/report-tfjs-loaded.cjs'), BIN, '--workers', '1', ...args], { encoding: 'utf8', cwd: ROOT });
    return { code: result.status, stderr: result.stderr };
  };
  const dir = scratchDir('l2o-cli-tfjs-');
  const tiny = ['train', '--algo', 'gps', '--env', 'quadratic', '--samples', '2', '--horizon', '5', '--iterations', '1', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5'];
  const mlp = probed(...tiny, '--out', join(dir, 'mlp'));
  assert.equal(mlp.code, 0, mlp.stderr);
  assert.match(mlp.stderr, /tfjs not loaded \(plain JavaScript\)/);
  assert.match(mlp.stderr, /tfjs loaded: no/);
  const lstm = probed(...tiny, '--coordinatewise', '--policy', 'lstm', '--out', join(dir, 'lstm'));
  assert.equal(lstm.code, 0, lstm.stderr);
  assert.match(lstm.stderr, /tfjs backend (tensorflow|wasm|cpu)/);
  // The resume names neither --policy nor --coordinatewise: the run's state says it is an LSTM, which must not compute on tfjs's default backend.
  const resumed = probed('train', '--algo', 'gps', '--env', 'quadratic', '--out', join(dir, 'lstm'), '--resume', '--iterations', '1');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /tfjs backend (tensorflow|wasm|cpu)/);
  assert.match(resumed.stderr, /tfjs loaded: yes/);
});

test('a family written by the user in TypeScript runs through the CLI (README example)', () => {
  const { code, stdout, stderr } = l2o('eval', '--env', 'examples/rosenbrock-family.ts', '--optimizers', 'gd,lbfgs', '--problems', '10', '--steps', '50', '--json');
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  assert.equal(report.env, 'rosenbrock');
  const [gd, lbfgs] = report.results;
  assert.ok(lbfgs.meanFinal < gd.meanFinal);
});

test('l2o train --algo gps takes the first teachers\' noise, the meta-objective, the teacher search\'s score and the features by view (full state 1.5, final, final and history-adam-held; per coordinate 0.2, sum, sum and history) unless given, the KL step 0.2 unless given, and splits the training set 20 / rest', () => {
  const tiny = ['train', '--algo', 'gps', '--env', 'logreg', '--param', 'trainSize=30', '--samples', '2', '--horizon', '5', '--iterations', '1', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet'];
  const cases: [string[], number, string, number, string, number, string][] = [
    [[], 1.5, 'final', 0.2, 'final', 0, 'history-adam-held'],
    [['--coordinatewise', '--sampled-coordinates', '3'], 0.2, 'sum', 0.2, 'sum', 0, 'history'],
    [['--initial-noise', '0.7', '--meta-objective', 'sum', '--kl-step', '0.3', '--teacher-score', 'sum', '--teacher-refine', '1', '--features', 'history'], 0.7, 'sum', 0.3, 'sum', 1, 'history'],
    [['--coordinatewise', '--sampled-coordinates', '3', '--meta-objective', 'final', '--kl-step', '0.02', '--teacher-score', 'final', '--features', 'history-adam'], 0.2, 'final', 0.02, 'final', 0, 'history-adam'],
  ];
  for (const [extra, noise, metaObjective, klStep, teacherScore, teacherRefine, features] of cases) {
    const out = join(scratchDir('l2o-cli-gps-'), 'run');
    const run = l2o(...tiny, ...extra, '--out', out);
    assert.equal(run.code, 0, run.stderr);
    const { config } = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    assert.deepEqual([config.initialNoise, config.metaObjective, config.klStep, config.teacherScore, config.teacherRefine, config.features], [noise, metaObjective, klStep, teacherScore, teacherRefine, features], extra.join(' '));
    assert.deepEqual([config.conditions, config.validation], [20, 10]);
  }
});

test('l2o train --algo bptt, then l2o eval reads the run as row bptt', () => {
  const out = scratchDir('l2o-cli-bptt-');
  const train = l2o('train', '--algo', 'bptt', '--env', 'quadratic', '--iterations', '4', '--validate-every', '2', '--batch', '4', '--horizon', '20', '--validation', '4', '--out', out);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stderr, /iteration 4\/4: meta-loss [\d.]+, held-out final f/);
  const { code, stdout, stderr } = l2o('eval', '--env', 'quadratic', '--optimizers', `bptt:${out},adam`, '--problems', '3', '--steps', '10', '--json');
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  assert.deepEqual(report.results.map((r: { optimizer: string }) => r.optimizer), ['bptt', 'adam']);
  assert.equal(report.results[0].lr, null);
  // Two runs of one kind (an ablation) are rows named by their specs; the same weights give the same finals.
  const twice = l2o('eval', '--env', 'quadratic', '--optimizers', `bptt:${out},bptt:${out}/,adam`, '--problems', '3', '--steps', '10', '--json');
  assert.equal(twice.code, 0, twice.stderr);
  const rows = JSON.parse(twice.stdout).results as { optimizer: string; meanFinal: number }[];
  assert.deepEqual(rows.map((r) => r.optimizer).sort(), [`bptt:${out}`, `bptt:${out}/`, 'adam'].sort());
  const [a, b] = [`bptt:${out}`, `bptt:${out}/`].map((name) => rows.find((r) => r.optimizer === name)!.meanFinal);
  assert.equal(a, b);
  // l2o run takes the learned optimizer too, and shows where each run ends: x in full for a small dimension…
  const run = l2o('run', '--env', 'quadratic', '--param', 'dim=3', '--optimizer', `bptt:${out}`, '--problems', '2', '--steps', '10');
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^bptt:${out} \\(learned\\) on 2 test instances of quadratic`));
  assert.match(run.stdout, /final x \(x10\):\n  quadratic\/test\/0  \[-?[\d.e-]+, -?[\d.e-]+, -?[\d.e-]+\]\n  quadratic\/test\/1  \[/);
  const json = JSON.parse(l2o('run', '--env', 'quadratic', '--param', 'dim=3', '--optimizer', `bptt:${out}`, '--problems', '1', '--steps', '10', '--json').stdout);
  assert.equal(json.lr, null);
  assert.equal(json.runs[0].x.length, 3);
  // …and elided with a count for a large one.
  const large = l2o('run', '--env', 'quadratic', '--param', 'dim=40', '--optimizer', `bptt:${out}`, '--problems', '1', '--steps', '5');
  assert.equal(large.code, 0, large.stderr);
  assert.match(large.stdout, /quadratic\/test\/0  \[(-?[\d.e-]+, ){6}… 34 more \(40 coordinates\)\]/);
  const lr = l2o('run', '--env', 'quadratic', '--optimizer', `bptt:${out}`, '--lr', '0.1');
  assert.equal(lr.code, 1);
  assert.match(lr.stderr, /--lr does not apply to a learned optimizer/);
});

test('user errors print one line `error: …` and exit 1, without a stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['eval', '--env', 'nope'], /unknown env 'nope'/],
    [['eval', '--steps', 'abc'], /--steps must be a positive integer/],
    [['run', '--optimizer', 'gd', '--expr', 'x +* 2'], /cannot parse expression/],
    [['eval', '--optimizers', 'gd,sgdx'], /unknown optimizer 'sgdx'/],
    [['eval', '--split', 'valid'], /--split must be one of/],
    [['eval', '--reference-minimum', '-2'], /--reference-minimum must be a non-negative integer/],
    [['eval', '--reference-minimum', '2', '--restart-spread', '0'], /--restart-spread must be a positive number/],
    [['eval', '--restart-spread', '2'], /--restart-spread needs --reference-minimum/],
    [['eval', '--optimizers', 'gps:no/such/run', '--lr', '0.1'], /^error: --lr applies to hand-designed optimizers, and --optimizers gps:no\/such\/run names only learned ones, which take their own steps: leave it out$/m],
    [['eval', '--optimizers', 'bptt:a,gps:b', '--lr-refine', '1'], /^error: --lr-refine applies to hand-designed optimizers, and --optimizers bptt:a,gps:b names only learned ones/m],
    [['eval', '--reference-minimum'], /Not enough arguments following: reference-minimum/],
    [['run', '--optimizer', 'gd', '--param', 'lambda'], /--param expects key=value/],
    [['eval', '--env', 'missing-family.ts'], /cannot load env module missing-family.ts/],
    [['eval', '--optimizers', 'gps:no/such/run,gd'], /^error: no GPS policy at no\/such\/run\/policy.json: no\/such\/run does not exist$/m],
    [['eval', '--optimizers', 'lstm:dir'], /unknown learned-optimizer kind 'lstm'/],
    [['eval', '--optimizers', 'bptt:no/such/run'], /^error: no BPTT optimizer at no\/such\/run\/optimizer.json: no\/such\/run does not exist$/m],
    [['train', '--algo', 'bptt', '--out', 'unused-run-dir', '--horizon', '30'], /--horizon \(30\) must be a multiple of --unroll \(20\)/],
    [['train', '--out', 'unused-run-dir', '--samples', '1'], /--samples must be at least 2/],
    [['train', '--out', 'unused-run-dir', '--policy', 'lstm'], /--policy lstm needs --coordinatewise/],
    [['train', '--out', 'unused-run-dir', '--features', 'history-adam-mean'], /^error: --features history-adam-mean needs --coordinatewise \(they are per-coordinate features\)$/m],
    [['train', '--out', 'unused-run-dir', '--coordinatewise', '--features', 'li-malik-2017', '--gradient-scaling', 'adagrad'], /--features li-malik-2017 normalizes its gradients itself/],
    [['train', '--out', 'unused-run-dir', '--param', 'trainSize=30', '--conditions', '25', '--validation', '10'], /--conditions 25 and --validation 10 need 35 training instances/],
    [['run', '--optimizer', 'gd', '--expr', ' '], /--expr is empty/],
    [['eval', '--optimizers', 'gps:'], /'gps:' names no run directory/],
    // --history belongs to training: a learned optimizer runs with its own, the hand-designed ones have none.
    [['eval', '--history', '5'], /Unknown argument: history/],
    [['run', '--optimizer', 'gd', '--history', '5'], /Unknown argument: history/],
    [['experiment', 'nope'], /^error: unknown experiment 'nope'; available: li-malik-2016, divergence, generalization, sparse-coding$/m],
    // An option of one value given twice reached the commands as 'a,b', or as an internal error.
    [['eval', '--env', 'logreg', '--env', 'quadratic'], /^error: --env is given more than once; give it once$/m],
    [['train', '--out', 'unused-run-dir', '--out', 'other-run-dir'], /--out is given more than once/],
    [['eval', '--optimizers', 'gd', '--optimizers', 'adam'], /--optimizers is given more than once/],
    [['eval', '--json', '--no-json'], /--json is given more than once/],
    [['eval', '--data-dir', 'a', '--dataDir', 'b'], /--data-dir is given more than once/],
    [['eval', '--workers', '1', '--workers', '2'], /--workers is given more than once/],
    // Options that only some forms of GPS read, typed for one that does not.
    [['train', '--env', 'quadratic', '--sampled-coordinates', '64', '--out', 'unused-run-dir'], /^error: --sampled-coordinates needs --coordinatewise/m],
    [['train', '--env', 'quadratic', '--coordinatewise', '--lstm-cells', '64', '--out', 'unused-run-dir'], /^error: --lstm-cells needs --policy lstm/m],
    [['train', '--env', 'quadratic', '--validation', '0', '--validation-steps', '50', '--out', 'unused-run-dir'], /^error: --validation-steps needs held-out instances/m],
  ];
  for (const [args, pattern] of cases) {
    const { code, stdout, stderr } = l2o(...args);
    assert.equal(code, 1, args.join(' '));
    assert.equal(stdout, '');
    assert.match(stderr, /^error: /);
    assert.match(stderr, pattern);
    assert.equal(stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${stderr}`);
    assert.doesNotMatch(stderr, /\n\s+at /);
  }
});

test('l2o data list finds the datasets in --data-dir; a dataset without a download says why', () => {
  const shared = join(ROOT, '..', 'shared', 'data');
  const list = l2o('data', 'list', '--data-dir', shared);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /cifar10\n.*\n  at .*cifar-10-batches-bin: present: \d+ train, \d+ test/);
  assert.match(list.stdout, /fer2013\n[\s\S]*present: \d+ train, \d+ test/);
  const missing = l2o('data', 'list', '--data-dir', scratchDir('l2o-empty-'));
  assert.match(missing.stdout, /cifar100\n.*\n  at .*: missing\n/);
  // A file that is there but cut short is not 'missing': the loader's reason is shown.
  const cut = scratchDir('l2o-cut-');
  mkdirSync(join(cut, 'cifar-10-batches-bin'));
  writeFileSync(join(cut, 'cifar-10-batches-bin', 'test_batch.bin'), Buffer.alloc(1000));
  const truncated = l2o('data', 'list', '--data-dir', cut);
  assert.match(truncated.stdout, /cifar-10-batches-bin: train missing; test unreadable: .*1000 bytes is not a whole number of CIFAR-10 records/);
  const tfd = l2o('data', 'download', 'tfd');
  assert.equal(tfd.code, 1);
  assert.match(tfd.stderr, /^error: tfd: nothing to download: TFD is not publicly distributed/);
  assert.equal(tfd.stderr.trim().split('\n').length, 1);
});

test('--workers: a bad count is one line and exit 1; the CLI output is the same with 1 and 2 workers', () => {
  for (const bad of ['0', '-2', '1.5', 'many']) {
    const { code, stderr } = l2o('eval', '--env', 'logreg', '--optimizers', 'gd', '--problems', '2', '--workers', bad);
    assert.equal(code, 1, bad);
    assert.match(stderr, /--workers must be a positive integer/);
    assert.equal(stderr.trim().split('\n').length, 1, `one line for ${bad}`);
  }
  const args = ['eval', '--env', 'robust-regression', '--optimizers', 'gd,lbfgs', '--problems', '6', '--steps', '25', '--param', 'trainSize=8', '--seed', '9', '--json'];
  const one = l2o(...args, '--workers', '1');
  const two = l2o(...args, '--workers', '2');
  assert.equal(one.code, 0);
  assert.equal(two.stdout, one.stdout);
});

test('--resume refuses a typed flag that contradicts the run, for GPS and BPTT, and accepts one that agrees', () => {
  const gps = ['train', '--algo', 'gps', '--env', 'logreg', '--param', 'trainSize=30', '--samples', '2', '--horizon', '5', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet'];
  const gpsOut = join(scratchDir('l2o-cli-resume-'), 'gps');
  assert.equal(l2o(...gps, '--iterations', '1', '--out', gpsOut).code, 0);
  const contradicted = l2o(...gps, '--iterations', '2', '--out', gpsOut, '--resume', '--kl-step', '0.5');
  assert.equal(contradicted.code, 1);
  assert.match(contradicted.stderr, /--kl-step 0.5 contradicts the run in .* started with 0.2/);
  assert.equal(contradicted.stderr.trim().split('\n').length, 1);
  const agreed = l2o(...gps, '--iterations', '2', '--out', gpsOut, '--resume', '--kl-step', '0.2');
  assert.equal(agreed.code, 0, agreed.stderr);

  const bpttOut = join(scratchDir('l2o-cli-resume-'), 'bptt');
  const bptt = ['train', '--algo', 'bptt', '--env', 'quadratic', '--validate-every', '1', '--batch', '2', '--horizon', '10', '--unroll', '10', '--validation', '2', '--quiet', '--out', bpttOut];
  assert.equal(l2o(...bptt, '--iterations', '1').code, 0);
  const hidden = l2o(...bptt, '--iterations', '2', '--resume', '--hidden', '7');
  assert.equal(hidden.code, 1);
  assert.match(hidden.stderr, /--hidden 7 contradicts the run in .* started with 20/);
  // Without its flags, a resume goes on with the run's settings, and its header says those, not the defaults.
  const plain = l2o('train', '--algo', 'bptt', '--env', 'quadratic', '--out', bpttOut, '--resume', '--iterations', '2');
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout + plain.stderr, /BPTT on quadratic: 2 problems × 10 steps per iteration, unroll 10,/);
});

test('counts have upper bounds: a typo like --steps 1e12 is one line and exit 1, not an allocation failure', () => {
  for (const [args, pattern] of [
    [['run', '--env', 'quadratic', '--optimizer', 'gd', '--lr', '0.1', '--steps', '1e12'], /--steps must be at most 1,000,000/],
    [['train', '--algo', 'gps', '--env', 'logreg', '--iterations', '1e12', '--out', join(tmpdir(), 'l2o-never')], /--iterations must be at most 100,000/],
  ] as const) {
    const { code, stderr } = l2o(...args);
    assert.equal(code, 1);
    assert.match(stderr, pattern);
    assert.equal(stderr.trim().split('\n').length, 1);
  }
});

test('l2o eval --out writes curves.csv (mean and quartiles per optimizer and step) and a plot with one line per optimizer', () => {
  const out = join(scratchDir('l2o-cli-eval-out-'), 'eval');
  const { code, stdout, stderr } = l2o('eval', '--env', 'quadratic', '--optimizers', 'gd,adam,lbfgs', '--lr', '0.05', '--problems', '4', '--steps', '12', '--out', out);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^quadratic: 4 test instances, 12 steps/); // the table, as without --out
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const lines = readFileSync(join(out, 'curves.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'optimizer,step,mean,p25,p75');
  assert.equal(lines.length, 1 + 3 * 13);
  for (const [k, name] of ['gd', 'adam', 'lbfgs'].entries()) {
    const row = report.results.find((r: { optimizer: string }) => r.optimizer === name);
    for (const t of [0, 12]) {
      const [optimizer, step, mean, p25, p75] = lines[1 + 13 * k + t].split(',');
      assert.deepEqual([optimizer, Number(step)], [name, t]);
      assert.equal(Number(mean), row.curve[t]);
      assert.ok(Number(p25) <= Number(p75), lines[1 + 13 * k + t]);
    }
  }
  const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 3);
  for (const name of ['gd', 'adam', 'lbfgs']) assert.match(svg, new RegExp(`>${name}</text>`));
});

test('without a TTY, progress is plain lines: no carriage return, no ANSI escape', () => {
  const gps = l2o('train', '--algo', 'gps', '--env', 'logreg', '--param', 'trainSize=30', '--samples', '2', '--horizon', '5', '--iterations', '2', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--out', join(scratchDir('l2o-cli-plain-'), 'gps'));
  assert.equal(gps.code, 0, gps.stderr);
  // One line per iteration, with the elapsed time (and before the last, the time left).
  assert.match(gps.stderr, /^iteration 1\/2: teacher cost .* \[1\/2, [\d.]+ s elapsed, about [\d.]+ s left\]$/m);
  assert.match(gps.stderr, /^iteration 2\/2: .* \[2\/2, [\d.]+ s elapsed\]$/m);
  const evaluation = l2o('eval', '--env', 'quadratic', '--optimizers', 'gd,adam', '--problems', '3', '--steps', '10', '--param', 'trainSize=4');
  assert.equal(evaluation.code, 0, evaluation.stderr);
  assert.match(evaluation.stderr, /^  gd: tuned lr [\d.]+ on 4 training instances .*\[\d+\/\d+, [\d.]+ s elapsed/m);
  for (const { stdout, stderr } of [gps, evaluation]) {
    assert.doesNotMatch(stdout + stderr, /[\r\x1b]/);
  }
});

test('l2o experiment --help lists the experiments; --help loads no tfjs', () => {
  const help = l2o('experiment', '--help');
  assert.equal(help.code, 0);
  for (const name of ['li-malik-2016', 'divergence', 'generalization']) assert.match(help.stdout, new RegExp(`^  ${name}$`, 'm'));
  // A loader hook lists every module loaded; help must not reach tfjs (or mathjs, or the trainers).
  const dir = scratchDir('l2o-cli-help-');
  const log = join(dir, 'modules.txt');
  writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\n`);
  for (const args of [['--help'], ['train', '--help'], ['eval', '--help'], ['run', '--help'], ['experiment', '--help'], ['envs', '--help'], ['data', '--help']]) {
    writeFileSync(log, '');
    const result = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], { encoding: 'utf8', cwd: ROOT });
    assert.equal(result.status, 0, result.stderr);
    const modules = readFileSync(log, 'utf8');
    assert.match(modules, /dist\/src\/cli\/main\.js/, 'the hook saw the CLI load');
    assert.doesNotMatch(modules, /@tensorflow|mathjs|src\/gps\/badmm|src\/supervised\/bptt|tsx/, args.join(' '));
  }
});

test("every command's --help examples can be copied: each is one whole line, a command or a # comment", () => {
  for (const command of ['run', 'eval', 'train', 'experiment', 'sweep', 'worker', 'data', 'envs']) {
    const help = l2o(command, '--help');
    assert.equal(help.code, 0);
    const examples = help.stdout.split('\n\n').find((block) => block.startsWith('Examples:'));
    assert.ok(examples, `l2o ${command} --help has examples`);
    for (const line of examples.split('\n').slice(1).filter(Boolean)) assert.match(line, /^ {2}(l2o |# )/, `l2o ${command} --help: an example wrapped onto the next line: '${line}'`);
  }
});

test('a plain --resume trains to the count the run was started with, and a camelCase flag that contradicts the run is refused like its kebab-case form', () => {
  const out = join(scratchDir('l2o-cli-resume-'), 'run');
  const base = ['train', '--algo', 'bptt', '--env', 'quadratic', '--batch', '2', '--horizon', '20', '--unroll', '10', '--validate-every', '1', '--out', out, '--quiet'];
  assert.equal(l2o(...base, '--iterations', '2').code, 0);
  const resumed = l2o(...base, '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').length, 2, 'still 2 iterations, not the default 300');
  const camel = l2o(...base, '--resume', '--outputScale', '0.5');
  assert.equal(camel.code, 1);
  assert.match(camel.stderr, /^error: --output-scale 0\.5 contradicts the run in /);
});

test('l2o sweep: family files of one name in two folders are refused (they would share run directories); an item whose family file changed after the sweep read it is refused', async () => {
  const dir = scratchDir('l2o-sweep-names-');
  const fixture = readFileSync(join(ROOT, 'test/fixtures/queue-family.mjs'), 'utf8');
  for (const sub of ['a', 'b']) {
    mkdirSync(join(dir, sub));
    writeFileSync(join(dir, sub, 'fam.mjs'), fixture);
  }
  const out = join(dir, 'out');
  const run = l2o('sweep', '--algo', 'bptt', '--env', `${join(dir, 'a', 'fam.mjs')},${join(dir, 'b', 'fam.mjs')}`, '--seeds', '1', '--out', out);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr, `error: --env ${join(dir, 'a', 'fam.mjs')} and ${join(dir, 'b', 'fam.mjs')} would share the run directories ${join(out, 'fam.mjs')}: give the family files different names\n`);
  const { sweepItem } = await import('../src/cli/sweep-command.ts');
  const item = { algo: 'bptt' as const, setting: { env: join(dir, 'a', 'fam.mjs'), params: [], train: [] }, seed: '1', dir: join(out, 'x'), problems: 2, steps: 5, evalSeed: '1', familyStamp: '0000000000000000' };
  await assert.rejects(sweepItem(item), (e: Error) => e.message === `${join(dir, 'a', 'fam.mjs')} changed after the command read it; run the command again`);
});
