// A BPTT run directory: `optimizer.json` (the best weights by held-out score: what
// `l2o eval --optimizers bptt:DIR` loads), `state.json` (the current weights, Adam's moments and the
// best-so-far record: everything `--resume` needs) and `log.jsonl` (one line per meta-iteration).
// state.json is written last, so it names the last iteration whose files are complete.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { OPTIMIZER_FILES, decodeRunFile, readRunFile, type RunIdentity } from '../run-directory.ts';
import { LstmPolicy } from '../../policies/lstm-policy.ts';
import { CoordinatewiseLstm, type LstmOptimizerJson } from '../../policies/coordinatewise-lstm.ts';
import type { BpttConfig } from './bptt.ts';
import { savedBpttSettings } from './config.ts';
import type { LstmOptimizerConfig } from '../../policies/lstm-config.ts';
import { array, checkLength, fail, field, number, numbers, object, oneOf, optional, record, string, type Schema } from '../schema.ts';
import { META_OBJECTIVES } from '../meta-objective.ts';

const FORMAT = 'l2o-bptt';
const VERSION = 1;

interface OptimizerFile extends RunIdentity {
  format: string;
  version: number;
  /** The meta-iteration after which these weights scored best on the held-out instances. */
  iteration: number;
  validation: number;
  lstm: LstmOptimizerJson;
}

/** How far a BPTT run has got: iterations done and its best held-out score so far. */
export interface BpttProgress {
  iteration: number;
  best: { iteration: number; validation: number; lstm: LstmOptimizerJson } | null;
}

interface StateFile extends RunIdentity, BpttProgress {
  format: string;
  version: number;
  config: BpttConfig;
  lstm: LstmOptimizerJson;
  /** Adam's slots in its own order (iteration count, first moments, second moments). */
  adam: AdamSlot[];
  /**
   * Adam's running products β1^t and β2^t (float32). tfjs's setWeights recomputes them as pow(β, t),
   * which can differ in the last bit, and a resume would then part from the uninterrupted run
   * (at --horizon 60 from the first iteration after it). Absent in files of earlier versions.
   */
  adamPowers?: [number, number];
}

type AdamSlot = { shape: number[]; values: number[] };
/** tfjs's Adam (tf.train.adam), whose class the tf namespace does not name as a type. */
export type Adam = ReturnType<typeof tf.train.adam>;

/** What tfjs's Adam keeps of β1^t and β2^t, which getWeights does not hand out. */
type AdamPowers = { accBeta1: tf.Variable; accBeta2: tf.Variable };

/** Adam's state as a checkpoint keeps it: its slots (getWeights order) and its running powers of β1 and β2. */
export async function saveAdamState(optimizer: Adam): Promise<{ adam: AdamSlot[]; adamPowers: [number, number] }> {
  const weights = await optimizer.getWeights();
  const adam = weights.map(({ tensor }) => ({ shape: tensor.shape, values: Array.from(tensor.dataSync()) }));
  // getWeights hands out the moment variables themselves plus a new scalar for the step count:
  // that one is ours to free, or every checkpoint leaks a tensor (npm run bench -- memory).
  for (const { tensor } of weights) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  const { accBeta1, accBeta2 } = optimizer as unknown as AdamPowers;
  return { adam, adamPowers: [accBeta1.dataSync()[0], accBeta2.dataSync()[0]] };
}

/** An Adam optimizer at `learningRate` in the state saveAdamState took, bit for bit where the powers were kept. */
export async function restoreAdamState(learningRate: number, adam: AdamSlot[], adamPowers?: [number, number]): Promise<Adam> {
  const optimizer = tf.train.adam(learningRate);
  // setWeights makes variables of these tensors (sharing their data) and leaves the tensors to us.
  const weights = adam.map((slot, i) => ({ name: `slot-${i}`, tensor: tf.tensor(slot.values, slot.shape) }));
  try {
    await optimizer.setWeights(weights);
    if (adamPowers) {
      const { accBeta1, accBeta2 } = optimizer as unknown as AdamPowers;
      tf.tidy(() => {
        accBeta1.assign(tf.scalar(adamPowers[0]));
        accBeta2.assign(tf.scalar(adamPowers[1]));
      });
    }
  } catch (err) {
    optimizer.dispose();
    throw err;
  } finally {
    for (const { tensor } of weights) tensor.dispose();
  }
  return optimizer;
}

export const optimizerPath = (dir: string) => join(dir, OPTIMIZER_FILES.bptt);
export const statePath = (dir: string) => join(dir, 'state.json');
export const logPath = (dir: string) => join(dir, 'log.jsonl');

export function hasCheckpoint(dir: string): boolean {
  return existsSync(statePath(dir));
}

export async function saveCheckpoint(dir: string, identity: RunIdentity, config: BpttConfig, lstm: CoordinatewiseLstm, optimizer: Adam, progress: BpttProgress): Promise<void> {
  if (progress.best) {
    const file: OptimizerFile = { format: FORMAT, version: VERSION, ...identity, iteration: progress.best.iteration, validation: progress.best.validation, lstm: progress.best.lstm };
    writeFileAtomic(optimizerPath(dir), JSON.stringify(file));
  }
  const state: StateFile = { format: FORMAT, version: VERSION, ...identity, ...progress, config, lstm: lstm.toJSON(), ...(await saveAdamState(optimizer)) };
  writeFileAtomic(statePath(dir), JSON.stringify(state));
}

/**
 * Restores a run: its settings, the LSTM's current weights and an Adam optimizer with the run's
 * learning rate and moments (the caller disposes both), and how far it has got.
 */
export async function loadCheckpoint(dir: string): Promise<{ identity: RunIdentity; config: BpttConfig; lstm: CoordinatewiseLstm; optimizer: Adam; progress: BpttProgress }> {
  const path = statePath(dir);
  const file = readRunFile(path, 'BPTT checkpoint', FORMAT, VERSION, stateSchema);
  const lstm = decodeRunFile(path, () => CoordinatewiseLstm.fromJSON(file.lstm));
  // The saved learning rate, not the one this command asked for: a resume continues the run it was.
  let optimizer: Adam;
  try {
    optimizer = await decodeRunFile(path, () => restoreAdamState(file.config.learningRate, file.adam, file.adamPowers));
  } catch (err) {
    lstm.dispose();
    throw err;
  }
  return { identity: { env: file.env, envParams: file.envParams }, config: savedBpttSettings(file.config), lstm, optimizer, progress: { iteration: file.iteration, best: file.best } };
}

// ---- What a valid file holds (src/schema.ts).

const count = (min: number) => number({ integer: true, min });
const GATES = ['input', 'forget', 'cell', 'output'];

/** The LSTM's weights by name and shape, in CoordinatewiseLstm's order (which is also Adam's slot order). */
export function lstmWeightShapes(config: LstmOptimizerConfig): [string, number[]][] {
  const H = config.hidden;
  const shapes: [string, number[]][] = [];
  for (let l = 0; l < config.layers; l++) {
    const inputs = l === 0 ? 2 : H;
    for (const g of GATES) shapes.push([`l${l}/${g}/wx`, [inputs, H]]);
    for (const g of GATES) shapes.push([`l${l}/${g}/wh`, [H, H]]);
    for (const g of GATES) shapes.push([`l${l}/${g}/b`, [H]]);
  }
  shapes.push(['out/w', [H, 1]], ['out/b', [1]]);
  return shapes;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const describeShape = (shape: number[]) => (shape.length === 0 ? 'a scalar' : shape.join(' × '));

const lstmConfigSchema = object({ hidden: count(1), layers: count(1), preprocessP: number({ above: 0 }), outputScale: number({ above: 0 }) });

/** An LSTM's JSON: its shape, and every weight its shape implies, finite and of the right length. */
const lstmSchema = object({ config: lstmConfigSchema, weights: record(numbers()) }, (lstm, path) => {
  for (const [name, shape] of lstmWeightShapes(lstm.config)) {
    const where = field(field(path, 'weights'), name);
    const values = lstm.weights[name];
    if (values === undefined) fail(where, `is missing (an LSTM of hidden ${lstm.config.hidden} and ${lstm.config.layers} layers has it)`);
    checkLength(values, size(shape), where, `${describeShape(shape)}, hidden ${lstm.config.hidden}`);
  }
});

export const bpttConfigSchema = object(
  {
    lstm: lstmConfigSchema,
    iterations: count(1),
    horizon: count(1),
    unroll: count(1),
    batch: count(1),
    learningRate: number({ above: 0 }),
    validationProblems: count(1),
    validateEvery: count(1),
    metaObjective: optional(oneOf(...META_OBJECTIVES)),
    chunkSize: count(1),
    seed: string(),
  },
  (config, path) => {
    if (config.horizon % config.unroll !== 0) fail(field(path, 'horizon'), `is ${config.horizon}, not a multiple of unroll ${config.unroll}`);
  },
);

/** A held-out score: finite (a best score always is). */
const bestSchema = object({ iteration: count(1), validation: number(), lstm: lstmSchema });

const optimizerFileSchema = object({ iteration: count(1), validation: number(), lstm: lstmSchema });

const adamSlot = object({ shape: array(count(1)), values: numbers() }, (slot, path) => checkLength(slot.values, size(slot.shape), field(path, 'values'), `shape ${describeShape(slot.shape)}`));

/** The state file: settings, current LSTM (of the configured shape), Adam's slots matching its weights. */
const stateSchema: Schema<StateFile> = (value, path) => {
  const file = object({
    iteration: count(0),
    best: (v: unknown, p: string) => (v === null ? null : bestSchema(v, p)),
    config: bpttConfigSchema,
    lstm: lstmSchema,
    adam: array(adamSlot),
    adamPowers: optional(array(number({ min: 0, max: 1 }))),
  })(value, path);
  if (file.adamPowers) checkLength(file.adamPowers, 2, field(path, 'adamPowers'), 'β1^t and β2^t');
  const lstmPath = field(field(path, 'lstm'), 'config');
  for (const key of ['hidden', 'layers', 'preprocessP', 'outputScale'] as const) {
    if (file.lstm.config[key] !== file.config.lstm[key]) fail(field(lstmPath, key), `is ${file.lstm.config[key]}, expected ${file.config.lstm[key]} (config.lstm.${key})`);
  }
  // Adam's slots: its step count, then the first and the second moment of every weight, in the LSTM's order.
  const shapes = lstmWeightShapes(file.config.lstm);
  // (A run whose every unroll broke down has never stepped Adam: its count alone, or nothing.)
  if (file.adam.length > 1) {
    checkLength(file.adam, 1 + 2 * shapes.length, field(path, 'adam'), `the step count and 2 moments of ${shapes.length} weights`);
    const expected = [[], ...shapes.map(([, s]) => s), ...shapes.map(([, s]) => s)];
    file.adam.forEach((slot, i) => {
      if (slot.shape.join() !== expected[i].join() || slot.shape.length !== expected[i].length) fail(field(`${field(path, 'adam')}[${i}]`, 'shape'), `is [${slot.shape.join(', ')}], expected [${expected[i].join(', ')}]`);
    });
  }
  if (file.best && file.best.iteration > file.iteration) fail(field(field(path, 'best'), 'iteration'), `is ${file.best.iteration}, after the checkpoint's iteration ${file.iteration}`);
  return file as unknown as StateFile;
};

/** The learned optimizer of a run directory, for evaluation; its policy holds tfjs variables until `policy.dispose()`. */
export function loadBpttPolicy(dir: string): { policy: LstmPolicy; identity: RunIdentity; iteration: number } {
  const path = optimizerPath(dir);
  const file = readRunFile(path, 'BPTT optimizer', FORMAT, VERSION, optimizerFileSchema);
  return decodeRunFile(path, () => ({ policy: new LstmPolicy(CoordinatewiseLstm.fromJSON(file.lstm)), identity: { env: file.env, envParams: file.envParams }, iteration: file.iteration }));
}
