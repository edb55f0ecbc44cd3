// What a user gives l2o — a family module, an --expr expression, --param values, flags — is checked
// where it enters, and every mistake is one UserError naming what is wrong and where; the CLI prints
// it as one line `error: …` and exits 1, a bug as `error: internal error: …` and exit 2 (docs/cli.md,
// "Errors"). Library checks run in-process; a handful of CLI runs cover the boundary itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { debugRequested, reportError, UserError, NonFiniteStartError } from '../src/errors.ts';
import { createFamily, loadFamilyModule } from '../envs/registry.ts';
import { defineFamily, resolveParams, type FamilyDefinition } from '../envs/family-definition.ts';
import { compileExpression, MAX_EXPRESSION_VARIABLES } from '../envs/expression.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { checkedFamily } from '../envs/checked-objective.ts';
import { runProblems } from '../policies/run-problems.ts';
import { rollout } from '../policies/rollout.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { writeFileSync } from 'node:fs';
import { GradientDescent } from '../policies/first-order.ts';
import { Lbfgs } from '../policies/lbfgs.ts';
import type { Policy } from '../policies/policy.ts';
import { Rng } from '../src/random.ts';
import { initBackend } from '../src/backend.ts';
import { createPool } from '../src/parallel/worker-pool.ts';
import { BIN, moduleUrl, ROOT, scratchDir } from './helpers.ts';

const FAMILY = join(ROOT, 'test/fixtures/misbehaving-family.mjs');
const TASKS = moduleUrl('test/fixtures/user-input-tasks.ts');

function l2o(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, L2O_BACKEND: 'wasm', L2O_DEBUG: '', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `fn` and returns the UserError it throws (asserting that it is one, with one line). */
async function userError(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `a UserError, not ${(err as Error)?.stack ?? err}`);
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  assert.fail('no error was thrown');
}

const family = (mode: string) => loadFamilyModule(FAMILY, { mode });
const run = async (mode: string, policy: Policy = new GradientDescent(0.1), steps = 8) => runProblems(policy, { family: await family(mode), split: 'test', problems: 2, steps, seed: '1' });

test('the boundary: a user error is one line and exit 1, a bug two lines and exit 2, L2O_DEBUG adds the stack', () => {
  const user = reportError(new UserError('unknown env \'nope\''), false);
  assert.deepEqual(user, { exitCode: 1, text: "error: unknown env 'nope'\n" });
  assert.equal(reportError(new NonFiniteStartError('f is NaN\nat x0'), false).text, 'error: f is NaN at x0\n');
  assert.equal(reportError(new UserError('no run here', { hint: 'train one with l2o train --out DIR' }), false).text, 'error: no run here\nhint: train one with l2o train --out DIR\n');
  // A UserError from another copy of the package (a family importing the installed one) is known by its name.
  const foreign = Object.assign(new Error('bad value'), { name: 'UserError' });
  assert.equal(reportError(foreign, false).exitCode, 1);
  const bug = reportError(new TypeError("Cannot read properties of undefined (reading 'x')"), false);
  assert.equal(bug.exitCode, 2);
  assert.equal(bug.text, "error: internal error: Cannot read properties of undefined (reading 'x')\nthis is a bug in l2o, not in what you gave it; rerun with L2O_DEBUG=1 to print its stack trace\n");
  const debug = reportError(new RangeError('index 7 out of range'), true).text;
  assert.match(debug, /^error: internal error: index 7 out of range\nRangeError: index 7 out of range\n\s+at /);
  assert.match(reportError('a string was thrown', false).text, /^error: internal error: a string was thrown\n/);
  assert.deepEqual(['1', 'yes', '', '0', 'false'].map((v) => debugRequested({ L2O_DEBUG: v })), [true, true, false, false, false]);
  assert.equal(debugRequested({}), false);
});

test('a family module: its shape is checked, and create() or sample() throwing names the family', async () => {
  assert.equal(await userError(() => family('create-throws')), "family 'bad' failed to build: no data here");
  assert.equal(await userError(() => family('dim')), "family 'bad': dim must be a positive integer, got 2.5");
  assert.equal(await userError(() => family('split')), "family 'bad': splitSizes.train must be a non-negative integer, got -1");
  assert.match(await userError(() => family('no-sample')), /^family 'bad': sample must be a function \(split, index\) => Objective, got undefined$/);
  const sampling = await family('sample-throws');
  assert.equal(await userError(() => sampling.sample('test', 3)), "family 'bad': sample('test', 3) threw: index out of range");
  assert.equal(await userError(() => run('instance-dim')), "family 'bad': instance bad/test/0 has dim 3, the family's dim is 2");
});

test('the library refuses bad arguments to compareOptimizers and rollout with one line, before any run', async () => {
  const family = createFamily('quadratic', { dim: '3', testSize: '10' });
  const options = { family, split: 'test' as const, steps: 5, problems: 3, seed: '1', backend: 'none' };
  const compare = (contenders: unknown[], changes: Record<string, unknown> = {}) => compareOptimizers(contenders as never, { ...options, ...changes });
  // The CLI refuses --problems past the split, and so does the library: not instances the split does not have.
  assert.equal(await userError(() => compare([{ name: 'gd' }], { problems: 11 })), '11 problems exceed the 10 test instances of quadratic');
  assert.equal(await userError(() => compare([{ name: 'gd' }], { split: 'val' })), "split must be one of train, test, got 'val'");
  assert.match(await userError(() => compare([{ name: 'gd' }], { family: undefined })), /^compareOptimizers needs an objective family \(createFamily, defineFamily\), got undefined$/);
  assert.equal(await userError(() => compare([{ name: 'gd' }], { grid: [] })), 'grid must be a non-empty list of positive learning rates, got []');
  assert.equal(await userError(() => compare([{ name: 'gd' }], { grid: [0.1, -1] })), 'grid must be a non-empty list of positive learning rates, got [0.1,-1]');
  assert.equal(await userError(() => compare([{ name: 'gd' }], { lr: Number.NaN })), 'lr must be a positive number, got NaN');
  assert.equal(await userError(() => compare([{ name: 'gd' }], { lr: -1 })), 'lr must be a positive number, got -1');
  assert.equal(await userError(() => compare([{ name: 'x', policy: null, lr: null }])), 'contender x: policy must be a Policy (reset and act), got null');
  assert.equal(await userError(() => compare([])), 'compareOptimizers needs at least one contender');
  const env = new OptimizationEnv();
  const objective = family.sample('test', 0);
  assert.equal(await userError(() => rollout(env, new GradientDescent(0.1), objective, 5, undefined as never)), "rollout: rng must be an Rng (new Rng(seed)), which draws x0 and the policy's noise reproducibly; got undefined");
  assert.equal(await userError(() => rollout(env, new GradientDescent(0.1), objective, -1, new Rng('1'))), 'rollout: steps must be a non-negative integer, got -1');
  // And the good call still runs.
  const report = await compare([{ name: 'gd' }], { lr: 0.1 });
  assert.equal(report.results[0].curve.length, 6);
  // A family object built by hand gets a module's checks: the gradient named, not the action; a throw with its instance and step.
  const byHand = (evaluate: (x: Float64Array) => unknown) => ({
    name: 'hand',
    dim: 2,
    splitSizes: { train: 2, test: 2 },
    sample: (split: string, index: number) => ({ name: `hand/${split}/${index}`, dim: 2, start: () => Float64Array.of(1, 1), evaluate }),
  });
  const handOptions = { lr: 0.1, problems: 2 };
  assert.match(await userError(() => compare([{ name: 'gd' }], { ...handOptions, family: byHand(() => ({ value: 1, gradient: [1] })) })), /^objective hand\/test\/0 at step 0: evaluate\(x\) returned gradient = an array of length 1; /);
  let calls = 0;
  assert.equal(await userError(() => compare([{ name: 'gd' }], { ...handOptions, family: byHand((x) => { if (++calls > 3) throw new Error('boom'); return { value: x[0] ** 2, gradient: [2 * x[0], 0] }; }) })), 'objective hand/test/0 threw at step 3: boom');
});

test('a family built by hand gets a module\'s checks in every library call: trainGps, trainBptt and runProblems too', async () => {
  const { trainGps } = await import('../src/gps/train.ts');
  const { trainBptt } = await import('../src/supervised/train.ts');
  const { defaultGpsConfig } = await import('../src/gps/config.ts');
  const { DEFAULT_BPTT_CONFIG } = await import('../src/supervised/config.ts');
  const quadratic = createFamily('quadratic', { dim: '3' });
  const hand = { name: 'hand', dim: 3, splitSizes: { train: 10, test: 10 }, sample: (split: 'train' | 'test', index: number) => quadratic.sample(split, index) };
  const gps = (family: unknown) => trainGps({ config: { ...defaultGpsConfig(false), conditions: 3, validation: 4, iterations: 1, samples: 2, horizon: 5, historyLength: 2, innerIterations: 1, policyIterations: 5, validationSteps: 5 }, family: family as never, out: join(scratchDir('l2o-hand-'), 'gps'), resume: false });
  const bptt = (family: unknown) => trainBptt({ config: { ...DEFAULT_BPTT_CONFIG, iterations: 1, batch: 2, horizon: 10, unroll: 10, validationProblems: 2 }, family: family as never, out: join(scratchDir('l2o-hand-'), 'bptt'), resume: false });
  const problems = (family: unknown) => runProblems(new GradientDescent(0.1), { family: family as never, split: 'test', problems: 2, steps: 3, seed: '1' });
  for (const [who, call] of [['trainGps', gps], ['trainBptt', bptt], ['runProblems', problems]] as const) {
    // Before: a RangeError deep in the LQR, a TypeError in the unroll, or a run on dim undefined.
    assert.equal(await userError(() => call({ ...hand, dim: undefined })), "family 'hand': dim must be a positive integer, got undefined", who);
    assert.match(await userError(() => call({ ...hand, sample: () => 5 })), /^family 'hand': sample\('(train|test)', \d+\) returned 5; it must return an Objective \{ name, dim, start, evaluate \}$/, who);
    assert.equal(await userError(() => call(null)), `${who} needs an objective family (createFamily, defineFamily), got null`);
  }
  // And a good one trains.
  await gps(hand);
  (await bptt(hand)).lstm.dispose();
});

test('a family module that does not compile: the one line names the file, line, column and the error', async () => {
  const dir = scratchDir('l2o-syntax-');
  const path = join(dir, 'syntax.ts');
  writeFileSync(path, 'const x: = 1;\nexport default {};\n');
  assert.match(await userError(() => loadFamilyModule(path)), /^cannot load env module .*syntax\.ts: Transform failed with 1 error: .*syntax\.ts:1:9: ERROR: Unexpected "="$/);
});

test("an objective's start and evaluate: a wrong shape or a throw names the instance and the step; NaN is still divergence", async () => {
  assert.equal(await userError(() => run('start-length')), "objective bad/test/0: start() returned an array of length 3; it must return a Float64Array (or array) of 2 numbers, the family's dim");
  assert.equal(await userError(() => run('start-nan')), 'objective bad/test/0: start() returned x0 with x0[1] = NaN; a starting point must be finite');
  assert.equal(await userError(() => run('throws')), 'objective bad/test/0 threw at step 5: lost the data');
  assert.equal(await userError(() => run('gradient-length')), 'objective bad/test/0 at step 1: evaluate(x) returned gradient = an array of length 1; it must return { value: number, gradient } with a gradient of 2 numbers');
  assert.match(await userError(() => run('value-string')), /^objective bad\/test\/0 at step 2: evaluate\(x\) returned value = the string "1.5"; /);
  assert.match(await userError(() => run('nothing')), /^objective bad\/test\/0 at step 1: evaluate\(x\) returned undefined; /);
  // A line search's probes are evaluations for the step they look for: L-BFGS's 5th evaluation is a probe.
  assert.match(await userError(() => run('throws', new Lbfgs(1))), /^objective bad\/test\/0 threw at step \d: lost the data$/);
  // Plain arrays are accepted as x0 and gradient.
  const arrays = await run('array-gradient');
  assert.ok(arrays.every((t) => t.divergedAt === null && t.values[8] < t.values[0]));
  assert.equal((await run('start-array'))[0].values[0], 0.5);
  // Not finite during a run: the run diverged, as before; not finite at x0: a run that never began.
  const diverged = await run('diverge');
  assert.deepEqual(diverged.map((t) => t.divergedAt), [3, 3]);
  const badStart = await run('start-infinite');
  assert.deepEqual(badStart.map((t) => t.divergedAt), [0, 0]);
  const objective = (await family('start-infinite')).sample('test', 0);
  assert.throws(() => new OptimizationEnv().reset(objective, new Rng('x')), NonFiniteStartError);
  // Outside an env (BPTT, the GPS cost expansion), evaluations are counted from start().
  const direct = (await family('throws')).sample('train', 1);
  direct.start(new Rng('s'));
  for (let k = 0; k < 5; k++) direct.evaluate(Float64Array.of(1, 1));
  assert.equal(await userError(() => direct.evaluate(Float64Array.of(1, 1))), 'objective bad/train/1 threw at evaluation 6 after its start: lost the data');
});

test("an objective's resample (a second minibatch) and fullValue are kept through the checks, and a wrong shape or a throw is one line naming it", async () => {
  const withMethods = (methods: { resample?: unknown; fullValue?: unknown }) =>
    checkedFamily({ name: 'r', dim: 2, splitSizes: { train: 1, test: 1 }, sample: () => ({ name: 'r/test/0', dim: 2, start: () => Float64Array.of(0, 0), evaluate: () => ({ value: 0, gradient: Float64Array.of(0, 0) }), ...methods }) }, 'r').sample('test', 0);
  const instance = (resample: unknown) => withMethods({ resample });
  const x = Float64Array.of(1, 1);
  const rng = new Rng('second look');
  assert.deepEqual(instance((at: Float64Array) => ({ value: 3, gradient: Float64Array.of(at[0], 2) })).resample!(x, rng), { value: 3, gradient: Float64Array.of(1, 2) });
  assert.equal(instance(undefined).resample, undefined);
  assert.equal(await userError(() => instance(() => ({ value: 0, gradient: [1] })).resample!(x, rng)), 'objective r/test/0 on a second minibatch: resample(x, rng) returned gradient = an array of length 1; it must return { value: number, gradient } with a gradient of 2 numbers');
  assert.equal(await userError(() => instance(() => { throw new Error('no second batch'); }).resample!(x, rng)), 'objective r/test/0: resample(x, rng) threw: no second batch');
  // fullValue's checks, the same way: said once, not wrapped in a second "threw".
  const withFull = (fullValue: unknown) => withMethods({ fullValue });
  assert.equal(await userError(() => withFull(() => 'low').fullValue!(x)), 'objective r/test/0: fullValue(x) returned the string "low"; it must return a number');
  assert.equal(await userError(() => withFull(() => { throw new Error('no data'); }).fullValue!(x)), 'objective r/test/0: fullValue(x) threw: no data');
});

test('expressions: real scalars only, no random functions, no definitions or strings, at most 20 variables', async () => {
  const expr = (source: string, params: Record<string, string> = {}) => userError(() => createFamily('expr', { expr: source, ...params }));
  assert.match(await expr('f(x) = x^2'), /^expression 'f\(x\) = x\^2' defines a function; write the expression itself, e.g. --expr "x\^2"/);
  assert.match(await expr('a = x^2'), /is an assignment; write the expression itself/);
  assert.match(await expr('"a" + x'), /^expression '"a" \+ x' contains the string "a"; an objective takes numbers only$/);
  for (const fn of ['random', 'randomInt', 'pickRandom']) {
    assert.match(await expr(`x^2 + ${fn}(${fn === 'pickRandom' ? '[1, 2]' : ''})`), new RegExp(`calls ${fn}\\(\\), which draws random numbers: runs would differ for the same --seed`));
  }
  assert.match(await expr('[x, y]'), /contains a matrix \[\.\.\.\]; an objective is a real scalar/);
  assert.match(await expr('x + i'), /uses i, the imaginary unit in mathjs; an objective is real/);
  assert.match(await expr('x^2 + sqrt(-1)'), /is complex at the centre of the starting points \(f = .*i at x = 0\); an objective must be real there \(move the starts with --param x0=…\)/);
  assert.match(await expr('x^2 + log(x - 5)', { x0: '1' }), /is complex at the centre of the starting points \(f = .* at x = 1\); an objective must be real there$/);
  const many = Array.from({ length: MAX_EXPRESSION_VARIABLES + 1 }, (_, i) => `v${i}`).join(' + ');
  assert.match(await expr(many), /^expression has 21 variables; at most 20, because its gradient is one symbolic derivative per variable and mathjs takes seconds/);
  // A matrix computed from numbers is refused where the starts are centred, before any run.
  assert.match(await expr('x^2 + ones(2)*x'), /^expression 'x\^2 \+ ones\(2\)\*x' gives a matrix for its derivative in x, not a real number; an objective and its derivatives must be real scalars$/);
  // Leaving the real domain during a run (sqrt of a negative number) is still divergence.
  const sqrt = createFamily('expr', { expr: 'sqrt(x)', x0: '1', initStd: '0' });
  const [trajectory] = runProblems(new GradientDescent(10), { family: sqrt, split: 'test', problems: 1, steps: 3, seed: '1' });
  assert.equal(trajectory.divergedAt, 1);
  assert.equal(compileExpression('(1-x)^2 + 100*(y-x^2)^2').variables.length, 2);
});

test('family parameters have ranges: out of range is one line; a definition\'s own min/max is checked too', async () => {
  const cases: [string, Record<string, string>, string][] = [
    ['quadratic', { dim: '0' }, "env 'quadratic' parameter 'dim' must be at least 1 and at most 4096, got '0'"],
    ['logreg', { initStd: '-1' }, "env 'logreg' parameter 'initStd' must be at least 0, got '-1'"],
    ['robust-regression', { c: '0' }, "env 'robust-regression' parameter 'c' must be greater than 0, got '0'"],
    ['mlp-gaussians', { batchSize: '-5' }, "env 'mlp-gaussians' parameter 'batchSize' must be at least 0 and at most 1,000,000, got '-5'"],
    ['small-net', { trainSize: '-1' }, "env 'small-net' parameter 'trainSize' must be at least 0 and at most 10,000,000, got '-1'"],
    // Sizes past memory are refused here, not as an allocation error or a crash of V8.
    ['logreg', { pointsPerClass: '1000000000' }, "env 'logreg' parameter 'pointsPerClass' must be at least 1 and at most 1,000,000, got '1000000000'"],
    ['robust-regression', { clusters: '1000', pointsPerCluster: '1000000' }, "env 'robust-regression' needs clusters × pointsPerCluster at most 10,000,000, got 1000 × 1000000"],
    ['group-sparse-regression', { groups: '4096', groupSize: '4096' }, "env 'group-sparse-regression' needs m × groups × groupSize at most 50,000,000, got 25 × 4096 × 4096"],
    ['mlp-gaussians', { hidden: '100000000' }, "hidden takes at most 100 sizes of at most 100,000 each, got '100000000'"],
    ['expr', { initStd: '-0.5' }, "env 'expr' parameter 'initStd' must be at least 0, got '-0.5'"],
  ];
  for (const [name, params, message] of cases) assert.equal(await userError(() => createFamily(name, params)), message);
  const base: FamilyDefinition = { name: 'ranged', description: '', params: { rate: { kind: 'number', default: 0.5, min: 0, max: 1, description: '' } }, create: () => { throw new Error('unused'); } };
  assert.equal(await userError(() => resolveParams(defineFamily(base), { rate: '1.5' })), "env 'ranged' parameter 'rate' must be at least 0 and at most 1, got '1.5'");
  assert.equal(await userError(() => defineFamily({ ...base, params: { rate: { ...base.params.rate, default: 2 } } })), "family 'ranged' parameter 'rate' has default 2, which is not at least 0 and at most 1");
  assert.equal(await userError(() => defineFamily({ ...base, params: { s: { kind: 'string', default: 'a', min: 1, description: '' } } })), "family 'ranged' parameter 's' is a string and cannot have a min");
});

test("the wasm backend's rethrowing process listeners are removed, in this thread and in worker threads", async () => {
  const before = ['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
  assert.equal(await initBackend('wasm'), 'wasm');
  assert.deepEqual(['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e)), before);
  // Once started, the backend stays: asked again it answers the same, asked for another it refuses.
  assert.equal(await initBackend(), 'wasm');
  assert.equal(await userError(() => initBackend('cpu')), "the tfjs backend is already 'wasm'; initBackend('cpu') cannot switch it: call initBackend first, once");
  process.env.L2O_BACKEND = 'wasm';
  const pool = createPool(2, { callingThread: false });
  try {
    assert.deepEqual(await pool.run({ module: TASKS, name: 'processListeners' }, null), { uncaughtException: 0, unhandledRejection: 0 });
  } finally {
    await pool.close();
  }
  // An exception that escapes a worker between items fails the pool's next items (a UserError stays one) instead of leaving them unsettled.
  for (const user of [true, false]) {
    const single = createPool(2, { callingThread: false });
    try {
      await single.run({ module: TASKS, name: 'throwLater' }, { user });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await single.run({ module: TASKS, name: 'throwLater' }, { user }).then(
        () => assert.fail('the pool ran an item after a worker died'),
        (err: Error) => {
          assert.equal(err instanceof UserError, user);
          assert.match(err.message, user ? /a mistake found late/ : /a bug found late/);
        },
      );
    } finally {
      await single.close();
    }
  }
});

test('the CLI: an internal error after the wasm backend loaded is two short lines and exit 2, with the stack under L2O_DEBUG=1', () => {
  const args = ['run', '--env', FAMILY, '--optimizer', 'gd', '--lr', '0.1', '--steps', '8', '--problems', '2', '--workers', '1'];
  for (const mode of ['uncaught', 'rejection']) {
    const { code, stderr } = l2o([...args, '--param', `mode=${mode}`]);
    assert.equal(code, 2, stderr);
    assert.ok(stderr.length < 500, `short stderr: ${stderr.length} bytes`);
    assert.doesNotMatch(stderr, /function\(/);
    assert.match(stderr, /^error: internal error: (escaped from a timer|nobody awaited this)\nthis is a bug in l2o, not in what you gave it; rerun with L2O_DEBUG=1 to print its stack trace\n$/);
  }
  const debug = l2o([...args, '--param', 'mode=uncaught'], { L2O_DEBUG: '1' });
  assert.equal(debug.code, 2);
  assert.match(debug.stderr, /^error: internal error: escaped from a timer\nError: escaped from a timer\n\s+at .*misbehaving-family\.mjs/);
  assert.doesNotMatch(debug.stderr, /function\(/);
});

test('the CLI: a user error in a worker thread, a family that throws, and a valued switch are one line and exit 1', () => {
  const cases: [string[], RegExp][] = [
    [['eval', '--env', FAMILY, '--param', 'mode=throws', '--optimizers', 'gd', '--lr', '0.1', '--steps', '8', '--problems', '4', '--workers', '2'], /^(warning: --workers 2 is more than the 1 core here.*\n)?error: objective bad\/test\/[0-3] threw at step 5: lost the data\n$/],
    [['run', '--env', FAMILY, '--param', 'mode=create-throws', '--optimizer', 'gd', '--lr', '0.1'], /^error: family 'bad' failed to build: no data here\n$/],
    [['envs', '--json=banana'], /^error: --json is a switch and takes no value, got '--json=banana' \(write --json or --no-json\)\n$/],
    [['run', '--expr', 'x^2 + random()', '--optimizer', 'gd', '--lr', '0.1'], /^error: expression 'x\^2 \+ random\(\)' calls random\(\), which draws random numbers/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stdout, stderr } = l2o(args);
    assert.equal(code, 1, `${args.join(' ')}: ${stderr}`);
    assert.equal(stdout, '');
    assert.match(stderr, pattern);
    assert.equal(stderr.trimEnd().split('\n').length, 1);
  }
});
