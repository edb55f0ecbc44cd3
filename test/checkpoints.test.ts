// Run files are checked field by field: a malformed policy.json, optimizer.json or state.json is one
// UserError naming the file and the field (src/schema.ts, the schemas in src/gps/checkpoint.ts and
// src/supervised/checkpoint.ts). One tiny GPS run and one tiny BPTT run give valid files; each case
// breaks one field of a copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { createFamily } from '../envs/registry.ts';
import { UserError } from '../src/errors.ts';
import { sameIdentity } from '../src/run-directory.ts';
import { DEFAULT_GPS_CONFIG, type GpsConfig } from '../src/gps/badmm.ts';
import { trainGps } from '../src/gps/train.ts';
import { loadCheckpoint as loadGpsCheckpoint, loadGpsPolicy } from '../src/gps/checkpoint.ts';
import { DEFAULT_BPTT_CONFIG, type BpttConfig } from '../src/supervised/bptt.ts';
import { trainBptt } from '../src/supervised/train.ts';
import { loadBpttPolicy, loadCheckpoint as loadBpttCheckpoint, lstmWeightShapes } from '../src/supervised/checkpoint.ts';
import { CoordinatewiseLstm } from '../policies/coordinatewise-lstm.ts';
import { array, number, object, oneOf, optional, parse, SchemaError } from '../src/schema.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { BPTT_RESUMED_FLAGS, GPS_RESUMED_FLAGS, refuseContradictingBpttFlags, refuseContradictingGpsFlags } from '../src/cli/resume-flags.ts';
import { rollout } from '../policies/rollout.ts';
import { Rng } from '../src/random.ts';
import { scratchDir } from './helpers.ts';

await initBackend();
const base = scratchDir('l2o-checkpoints-');
// The history features (not the full state's default, history-adam): the messages below count Φ's entries.
const GPS: GpsConfig = { ...DEFAULT_GPS_CONFIG, features: 'history', conditions: 3, validation: 4, validationSteps: 5, horizon: 5, samples: 2, iterations: 1, historyLength: 2, innerIterations: 1, policyIterations: 5, hidden: 6, seed: 'schema' };
const BPTT: BpttConfig = { ...DEFAULT_BPTT_CONFIG, lstm: { ...DEFAULT_BPTT_CONFIG.lstm, hidden: 4 }, iterations: 2, horizon: 10, unroll: 5, batch: 2, validationProblems: 2, validateEvery: 2, seed: 'schema' };
const gpsRun = join(base, 'gps');
const coordinatewiseRun = join(base, 'gps-coordinatewise');
const bpttRun = join(base, 'bptt');
await trainGps({ config: GPS, family: createFamily('logreg'), out: gpsRun, resume: false });
await trainGps({ config: { ...GPS, coordinatewise: true, sampledCoordinates: 4, initialNoise: 0.2, validation: 0 }, family: createFamily('logreg'), out: coordinatewiseRun, resume: false });
await trainBptt({ config: BPTT, family: createFamily('quadratic'), out: bpttRun, resume: false });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let copies = 0;
/** A copy of `run` whose `file` has been through `edit`. */
function broken(run: string, file: string, edit: (json: Json) => void): string {
  const dir = join(base, `broken-${copies++}`);
  cpSync(run, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json;
  edit(json);
  writeFileSync(join(dir, file), JSON.stringify(json));
  return dir;
}

/** `load` fails with one UserError: `<dir>/<file>: <message>`. */
async function refuses(load: (dir: string) => unknown, dir: string, file: string, message: string): Promise<void> {
  await assert.rejects(
    async () => {
      const loaded = await load(dir);
      // Something that loaded owns tensors: give them back before the assertion fails.
      if (loaded && typeof loaded === 'object' && 'optimizer' in loaded) (loaded as { optimizer: tf.Optimizer }).optimizer.dispose();
    },
    (e: Error) => {
      assert.ok(e instanceof UserError, `a UserError, not ${e.name}: ${e.message}`);
      assert.equal(e.message, `${join(dir, file)}: ${message}`);
      return true;
    },
  );
}

test('the schema helpers name the field path and what was expected', () => {
  const schema = object({ config: object({ gradientScaling: oneOf('none', 'adagrad'), history: number({ integer: true, min: 1 }) }), list: optional(array(number({ above: 0 }))) });
  assert.throws(() => parse(schema, { config: { gradientScaling: 'bogus', history: 1 } }), (e: Error) => e instanceof SchemaError && e.message === "config.gradientScaling must be 'none' or 'adagrad', got 'bogus'");
  assert.throws(() => parse(schema, { config: { gradientScaling: 'none', history: 1.5 } }), /config\.history must be a positive integer, got 1\.5$/);
  assert.throws(() => parse(schema, { config: { gradientScaling: 'none', history: 2 }, list: [1, 0] }), /list\[1\] must be a finite number > 0, got 0$/);
  assert.throws(() => parse(schema, { config: null }), /config must be an object, got null$/);
  assert.deepEqual(parse(schema, { config: { gradientScaling: 'none', history: 2 }, extra: 1 }), { config: { gradientScaling: 'none', history: 2 }, extra: 1 });
});

test('the valid files load, and the LSTM layout the BPTT schema expects is the LSTM', async () => {
  assert.equal(loadGpsPolicy(gpsRun).iteration, 1);
  assert.equal(loadGpsPolicy(coordinatewiseRun).iteration, 1);
  assert.equal(loadGpsCheckpoint(gpsRun).iteration, 1);
  assert.equal(loadGpsCheckpoint(coordinatewiseRun).config.coordinatewise, true);
  assert.equal(loadBpttPolicy(bpttRun).iteration, 2);
  const restored = await loadBpttCheckpoint(bpttRun);
  assert.equal(restored.config.learningRate, BPTT.learningRate);
  restored.optimizer.dispose();
  restored.lstm.dispose();
  const lstm = new CoordinatewiseLstm({ hidden: 3, layers: 2, preprocessP: 10, outputScale: 0.1 }, 'layout');
  const json = lstm.toJSON();
  assert.deepEqual(
    lstmWeightShapes(json.config).map(([name, shape]) => [name, shape.reduce((a, b) => a * b, 1)]),
    Object.entries(json.weights).map(([name, values]) => [name, values.length]),
  );
  lstm.dispose();
});

test('a malformed GPS policy.json is one UserError naming the file and the field', async () => {
  const policy = (dir: string) => loadGpsPolicy(dir);
  const cases: [string, (j: Json) => void, string][] = [
    ['W1 short', (j) => j.network.W1.pop(), 'network.W1 has 47 numbers, expected 48 (inputDim 8 × hidden 6)'],
    ['W1 not finite', (j) => (j.network.W1[5] = null), 'network.W1[5] must be a finite number, got null'],
    ['W1 a string', (j) => (j.network.W1 = 'weights'), "network.W1 must be an array of numbers, got 'weights'"],
    ['hidden 0', (j) => (j.network.hidden = 0), 'network.hidden must be a positive integer, got 0'],
    ['historyLength 0', (j) => (j.historyLength = 0), 'historyLength must be a positive integer, got 0'],
    ['historyLength contradicts the network', (j) => (j.historyLength = 3), 'network.inputDim is 8, expected 12 (full state, historyLength 3 × (1 + dimension 3))'],
    ['gradientScaling', (j) => (j.gradientScaling = 'bogus'), "gradientScaling must be 'none' or 'adagrad', got 'bogus'"],
    ['coordinatewise', (j) => (j.coordinatewise = 'yes'), "coordinatewise must be true or false, got 'yes'"],
    ['coordinatewise on a full-state network', (j) => (j.coordinatewise = true), 'network.outputDim is 3, expected 1 (a per-coordinate policy steps one coordinate)'],
    ['iteration', (j) => (j.iteration = -1), 'iteration must be a non-negative integer, got -1'],
    ['variance', (j) => (j.network.variance[0] = 0), 'network.variance[0] must be a finite number > 0, got 0'],
    ['env', (j) => delete j.env, 'env must be a string, got nothing'],
    ['envParams', (j) => (j.envParams = { trainSize: 30 }), 'envParams.trainSize must be a string, got 30'],
  ];
  for (const [, edit, message] of cases) await refuses(policy, broken(gpsRun, 'policy.json', edit), 'policy.json', message);
  await refuses(policy, broken(coordinatewiseRun, 'policy.json', (j) => (j.historyLength = 4)), 'policy.json', 'network.inputDim is 6, expected 12 (per coordinate, 3 features × historyLength 4)');
});

test('a malformed GPS state.json is one UserError naming the file and the field', async () => {
  const state = (dir: string) => loadGpsCheckpoint(dir);
  const cases: [string, (j: Json) => void, string][] = [
    ['gradientScaling', (j) => (j.config.gradientScaling = 'bogus'), "config.gradientScaling must be 'none' or 'adagrad', got 'bogus'"],
    ['nuStep', (j) => (j.config.nuStep = 'sideways'), "config.nuStep must be 'gradient' or 'relative', got 'sideways'"],
    ['samples 1', (j) => (j.config.samples = 1), 'config.samples must be an integer ≥ 2, got 1'],
    ['klStep 0', (j) => (j.config.klStep = 0), 'config.klStep must be a finite number > 0, got 0'],
    ['seed', (j) => (j.config.seed = 3), 'config.seed must be a string, got 3'],
    ['config missing', (j) => delete j.config, 'config must be an object, got nothing'],
    ['iteration', (j) => (j.iteration = 1.5), 'iteration must be a non-negative integer, got 1.5'],
    ['hidden contradicts the network', (j) => (j.config.hidden = 7), 'network.hidden is 6, expected 7 (config.hidden)'],
    ['historyLength contradicts the network', (j) => (j.config.historyLength = 1), 'network.inputDim is 8, expected 4 (full state, historyLength 1 × (1 + dimension 3))'],
    ['W2 long', (j) => j.network.W2.push(0), 'network.W2 has 19 numbers, expected 18 (hidden 6 × outputDim 3)'],
    ['a condition too few', (j) => j.conditions.pop(), 'conditions has 2 entries, expected 3'],
    ['teacher K', (j) => j.conditions[1].teacher.K[2][0].pop(), 'conditions[1].teacher.K[2][0] has 10 numbers, expected 11 (dX 11: dU 3 + inputDim 8)'],
    ['nu per step', (j) => j.conditions[0].nu.pop(), 'conditions[0].nu has 4 numbers, expected 5 (horizon 5)'],
    ['lambdaK', (j) => (j.conditions[2].lambdaK[4] = [1, 2]), 'conditions[2].lambdaK[4] has 2 numbers, expected 33 (dU 3 × dX 11)'],
    ['eta', (j) => (j.conditions[0].eta = 'big'), "conditions[0].eta must be a finite number ≥ 0, got 'big'"],
    ['dynamics mixture', (j) => j.runtime.dynamicsPrior.mixture.components[0].mean.pop(), 'runtime.dynamicsPrior.mixture.components[0].mean has 24 numbers, expected 25 (2 dX + dU = 25)'],
    ['runtime conditions', (j) => j.runtime.conditions.pop(), 'runtime.conditions has 2 entries, expected 3'],
    ['best', (j) => (j.best = { iteration: 0, validation: 1 }), 'best.iteration must be a positive integer, got 0'],
  ];
  for (const [, edit, message] of cases) await refuses(state, broken(gpsRun, 'state.json', edit), 'state.json', message);
  await refuses(state, broken(coordinatewiseRun, 'state.json', (j) => (j.config.gradientScaling = 'none')), 'state.json', 'runtime.dynamicsPrior.X[0][0] has 7 numbers, expected 6 (dX 6: 3 × historyLength 2, gradientScaling none)');
});

test('a malformed BPTT optimizer.json or state.json is one UserError naming the file and the field', async () => {
  const optimizer = (dir: string) => loadBpttPolicy(dir);
  const state = (dir: string) => loadBpttCheckpoint(dir);
  const optimizerCases: [(j: Json) => void, string][] = [
    [(j) => (j.lstm.config.hidden = 0), 'lstm.config.hidden must be a positive integer, got 0'],
    [(j) => (j.lstm.config.preprocessP = -1), 'lstm.config.preprocessP must be a finite number > 0, got -1'],
    [(j) => (j.lstm.config.outputScale = 'big'), "lstm.config.outputScale must be a finite number > 0, got 'big'"],
    [(j) => (j.lstm.config.hidden = 5), "lstm.weights['l0/input/wx'] has 8 numbers, expected 10 (2 × 5, hidden 5)"],
    [(j) => delete j.lstm.weights['out/b'], "lstm.weights['out/b'] is missing (an LSTM of hidden 4 and 2 layers has it)"],
    [(j) => (j.lstm.weights['l1/cell/wh'][3] = null), "lstm.weights['l1/cell/wh'][3] must be a finite number, got null"],
    [(j) => (j.validation = null), 'validation must be a finite number, got null'],
  ];
  for (const [edit, message] of optimizerCases) await refuses(optimizer, broken(bpttRun, 'optimizer.json', edit), 'optimizer.json', message);
  const stateCases: [(j: Json) => void, string][] = [
    [(j) => (j.config.learningRate = 0), 'config.learningRate must be a finite number > 0, got 0'],
    [(j) => (j.config.unroll = 3), 'config.horizon is 10, not a multiple of unroll 3'],
    [(j) => (j.config.lstm.hidden = 5), 'lstm.config.hidden is 4, expected 5 (config.lstm.hidden)'],
    [(j) => j.adam.pop(), 'adam has 52 entries, expected 53 (the step count and 2 moments of 26 weights)'],
    [(j) => (j.adam[1] = { shape: [4, 2], values: j.adam[1].values }), 'adam[1].shape is [4, 2], expected [2, 4]'],
    [(j) => j.adam[3].values.pop(), 'adam[3].values has 7 numbers, expected 8 (shape 2 × 4)'],
    [(j) => (j.best.iteration = 3), 'best.iteration is 3, after the checkpoint\'s iteration 2'],
    [(j) => (j.iteration = 'two'), "iteration must be a non-negative integer, got 'two'"],
  ];
  for (const [edit, message] of stateCases) await refuses(state, broken(bpttRun, 'state.json', edit), 'state.json', message);
});

test('a full-state GPS optimizer on an env of another dimension is one UserError naming both dimensions', () => {
  const { policy } = loadGpsPolicy(gpsRun);
  const objective = createFamily('quadratic').sample('test', 0);
  assert.throws(
    () => rollout(new OptimizationEnv({ historyLength: 2 }), policy, objective, 3, new Rng('dimension')),
    (e: Error) => e instanceof UserError && /trained on 3-dimensional objectives; quadratic\/test\/0 has 10/.test(e.message),
  );
});

test('--resume refuses every saved setting a typed flag contradicts, and lets --iterations extend the run', () => {
  // Settings that no flag sets (or, for iterations, that a resume may change).
  const gpsWithoutFlag = ['iterations', 'hidden', 'lgStep', 'policyDualRate', 'policyDualRateCovar', 'policyBatch', 'policyLearningRate', 'dynamicsRidge', 'dynamicsClusters', 'policyClusters'];
  assert.deepEqual(Object.keys(DEFAULT_GPS_CONFIG).filter((key) => !GPS_RESUMED_FLAGS.some((f) => f.key === key) && !gpsWithoutFlag.includes(key)), [], 'GPS settings neither refused nor flagless');
  const bpttKeys = Object.entries(DEFAULT_BPTT_CONFIG).flatMap(([key, value]) => (typeof value === 'object' ? Object.keys(value).map((k) => `${key}.${k}`) : [key]));
  assert.deepEqual(bpttKeys.filter((key) => !BPTT_RESUMED_FLAGS.some((f) => f.path === key) && !['iterations', 'lstm.layers'].includes(key)), [], 'BPTT settings neither refused nor flagless');

  const saved = loadGpsCheckpoint(gpsRun).config;
  assert.throws(() => refuseContradictingGpsFlags(gpsRun, ['--no-warm-start-mixtures'], { ...saved, warmStartMixtures: false }), (e: Error) => e instanceof UserError && /--warm-start-mixtures false contradicts the run in .*, which was started with true/.test(e.message));
  assert.throws(() => refuseContradictingGpsFlags(gpsRun, ['--history', '4'], { ...saved, historyLength: 4 }), /--history 4 contradicts the run in .*, which was started with 2/);
  assert.throws(() => refuseContradictingGpsFlags(gpsRun, ['--gradient-scaling=none'], { ...saved, gradientScaling: 'none' }), /--gradient-scaling none contradicts .* started with adagrad/);
  refuseContradictingGpsFlags(gpsRun, ['--iterations', '9', '--history', '2'], { ...saved, iterations: 9 }); // agrees, or may change
  refuseContradictingGpsFlags(gpsRun, [], { ...saved, historyLength: 5 }); // a default is no contradiction
  assert.throws(() => refuseContradictingBpttFlags(bpttRun, ['--hidden', '7'], { ...BPTT, lstm: { ...BPTT.lstm, hidden: 7 } }), (e: Error) => e instanceof UserError && /--hidden 7 contradicts the run in .*, which was started with 4/.test(e.message));
  assert.throws(() => refuseContradictingBpttFlags(bpttRun, ['--lr', '0.1'], { ...BPTT, learningRate: 0.1 }), /--lr 0.1 contradicts .* started with 0.003/);
  refuseContradictingBpttFlags(bpttRun, ['--iterations', '9', '--hidden', '4'], { ...BPTT, iterations: 9 });
  // BPTT's default meta-objective is the sum; full-state GPS's is the final f.
  assert.throws(() => refuseContradictingBpttFlags(bpttRun, ['--meta-objective', 'rate'], { ...BPTT, metaObjective: 'rate' }), /--meta-objective rate contradicts .* started with sum/);
  assert.throws(() => refuseContradictingGpsFlags(gpsRun, ['--meta-objective=sum'], { ...saved, metaObjective: 'sum' }), /--meta-objective sum contradicts .* started with final/);
  // A run saved before --meta-objective existed was trained on the sum.
  const older = broken(gpsRun, 'state.json', (j) => delete (j.config as Json).metaObjective);
  assert.throws(() => refuseContradictingGpsFlags(older, ['--meta-objective=final'], { ...saved, metaObjective: 'final' }), /--meta-objective final contradicts .* started with sum/);
  assert.equal(loadGpsCheckpoint(older).config.metaObjective, 'sum');
});

test('--resume refuses a checkpoint whose recorded env parameters differ, not only its env', async () => {
  const other = { env: 'logreg', envParams: { trainSize: '30' } };
  await assert.rejects(() => trainGps({ config: { ...GPS, iterations: 2 }, family: createFamily('logreg', { trainSize: '30' }), identity: other, out: gpsRun, resume: true }), (e: Error) => e instanceof UserError && /holds a run on env 'logreg' \{\}, not 'logreg' \{"trainSize":"30"\}/.test(e.message));
  await assert.rejects(
    () => trainBptt({ config: { ...BPTT, iterations: 3 }, family: createFamily('quadratic', { dim: '5' }), identity: { env: 'quadratic', envParams: { dim: '5' } }, out: bpttRun, resume: true }),
    (e: Error) => e instanceof UserError && /holds a run on env 'quadratic' \{\}, not 'quadratic' \{"dim":"5"\}/.test(e.message),
  );
  assert.equal(loadGpsCheckpoint(gpsRun).iteration, 1, 'the refused resume left the run as it was');
});

test('a run file that is missing says what its directory holds instead: nothing there, another kind of run, or no run', () => {
  const dir = scratchDir('l2o-kinds-');
  const error = (load: () => unknown) => {
    try {
      load();
    } catch (err) {
      assert.ok(err instanceof UserError);
      return err.message;
    }
    assert.fail('no error');
  };
  assert.equal(error(() => loadGpsPolicy(join(dir, 'none'))), `no GPS policy at ${join(dir, 'none', 'policy.json')}: ${join(dir, 'none')} does not exist`);
  assert.equal(error(() => loadGpsPolicy(dir)), `no GPS policy at ${join(dir, 'policy.json')}: ${dir} holds no l2o run`);
  mkdirSync(join(dir, 'restart-1'));
  assert.equal(error(() => loadGpsPolicy(dir)), `no GPS policy at ${join(dir, 'policy.json')}: ${dir} holds a GPS run of restarts that has not written its policy yet (--resume it)`);
  writeFileSync(join(dir, 'optimizer.json'), '{}');
  assert.equal(error(() => loadGpsPolicy(dir)), `no GPS policy at ${join(dir, 'policy.json')}: ${dir} holds a BPTT run (bptt:DIR)`);
});

test('the trainers refuse a config their run files could not be read back with, before writing anything', async () => {
  const out = join(scratchDir('l2o-config-'), 'run');
  const quadratic = createFamily('quadratic');
  const refused = async (train: () => Promise<unknown>, message: string) => {
    await assert.rejects(train, (e: Error) => e instanceof UserError && e.message === message);
    assert.ok(!existsSync(out), 'nothing written');
  };
  await refused(() => trainGps({ family: quadratic, out, resume: false, config: { ...DEFAULT_GPS_CONFIG, samples: 2.5 } }), 'config.samples must be an integer ≥ 2, got 2.5');
  await refused(() => trainGps({ family: quadratic, out, resume: false, config: { ...DEFAULT_GPS_CONFIG, seed: 1 as unknown as string } }), 'config.seed must be a string, got 1');
  await refused(() => trainBptt({ family: quadratic, out, resume: false, identity: { env: 'quadratic', envParams: {} }, config: { ...DEFAULT_BPTT_CONFIG, batch: Number.NaN } }), 'config.batch must be a positive integer, got NaN');
});

test('a run identity is the same whatever order its parameters were given in', () => {
  assert.ok(sameIdentity({ env: 'logreg', envParams: { lambda: '0.001', initStd: '0.5' } }, { env: 'logreg', envParams: { initStd: '0.5', lambda: '0.001' } }));
  assert.ok(!sameIdentity({ env: 'logreg', envParams: { lambda: '0.001' } }, { env: 'logreg', envParams: { lambda: '0.002' } }));
});

test('a trainer refuses a directory that holds another kind of run instead of training over it', async () => {
  const dir = scratchDir('l2o-other-run-');
  writeFileSync(join(dir, 'lista.json'), '{}');
  await assert.rejects(() => trainGps({ family: createFamily('quadratic'), out: dir, resume: false, config: DEFAULT_GPS_CONFIG }), (e: Error) => e instanceof UserError && e.message === `${dir} holds a LISTA run (lista:DIR); train into another directory`);
  await assert.rejects(() => trainBptt({ family: createFamily('quadratic'), out: dir, resume: false, identity: { env: 'quadratic', envParams: {} }, config: DEFAULT_BPTT_CONFIG }), /holds a LISTA run/);
});
