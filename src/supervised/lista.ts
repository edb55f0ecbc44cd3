// Training LISTA (Gregor & LeCun 2010; policies/lista-policy.ts) by supervised learning: the K
// unrolled layers z_{k+1} = soft(W y + S z_k, θ_k), initialized as ISTA with step 1/L, are trained
// with tfjs Adam on the mean over a batch of training instances of ‖z_K − z*‖². Batches draw from the
// training split minus its last `validationProblems` instances, which score the network (NMSE in dB,
// float64 forward pass) every `validateEvery` iterations; the best-scoring weights are kept, the ISTA
// initialization (iteration 0) among them. Every draw derives from `seed`; on one backend the run is
// bit-identical. A trained network is saved as one JSON file (format 'l2o-lista', version 1).
import { tf } from '../tf.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectiveFamily, SparseCodeInstance, Split } from '../../envs/objective.ts';
import { istaNetwork, listaForward, ListaPolicy, type ListaNetwork } from '../../policies/lista-policy.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../random.ts';
import { OPTIMIZER_FILES, decodeRunFile, readRunFile, refuseOtherRun, runIdentitySchema, type RunIdentity } from '../run-directory.ts';
import { withRunDirectory } from '../run-lock.ts';
import type { ListaConfig } from './lista-config.ts';

export { DEFAULT_LISTA_CONFIG, type ListaConfig } from './lista-config.ts';
import { checkArgument, checkLength, fail, field, number, numbers, object, string } from '../schema.ts';

/** One validation of a LISTA run: after `iteration` Adam steps, the held-out NMSE and the mean training loss since the last one. */
export interface ListaIterationLog {
  iteration: number;
  /** Mean of the batches' ‖z_K − z*‖² (per instance) since the previous log line; NaN at iteration 0. */
  trainLoss: number;
  /** Held-out NMSE of z_K in dB. */
  validationNmseDb: number;
  seconds: number;
}

/** What trainLista returns: the best network by held-out NMSE and the scores behind the choice. */
export interface ListaTrainResult {
  network: ListaNetwork;
  /** The Adam steps after which `network` scored best (0: the ISTA initialization). */
  bestIteration: number;
  validationNmseDb: number;
  /** The ISTA initialization's held-out NMSE. */
  initialNmseDb: number;
  log: ListaIterationLog[];
}

/** The sparse code of instance (split, index), or a UserError naming a family that has none. */
export function sparseCodeOf(family: ObjectiveFamily, split: Split, index: number): { code: SparseCodeInstance; lipschitz: number } {
  const objective = family.sample(split, index);
  try {
    const code = objective.sparseCode;
    if (!code) throw new UserError(`LISTA trains on sparse-coding families (objectives with a dictionary, signals and true codes); ${family.name} has none`);
    const lipschitz = objective.composite?.lipschitz ?? NaN;
    if (!(lipschitz > 0)) throw new UserError(`LISTA needs the Lipschitz constant ‖D‖₂² of ${objective.name}'s smooth part; it gives none`);
    return { code, lipschitz };
  } finally {
    objective.dispose?.();
  }
}

/**
 * NMSE in dB of estimates against true codes: 10·log10(Σ‖ẑ − z*‖² / Σ‖z*‖²) over the signals, the
 * ratio of the means as in the LISTA literature (not the mean of per-signal ratios).
 */
export function nmseDb(estimates: ArrayLike<number>[], truths: ArrayLike<number>[]): number {
  let error = 0;
  let energy = 0;
  estimates.forEach((z, s) => {
    const truth = truths[s];
    for (let i = 0; i < truth.length; i++) {
      error += (z[i] - truth[i]) ** 2;
      energy += truth[i] ** 2;
    }
  });
  return 10 * Math.log10(error / energy);
}

/** Held-out NMSE (dB) of the network's z_K (or its first `layers`) on these instances. */
export function listaNmseDb(network: ListaNetwork, codes: SparseCodeInstance[], layers = network.layers): number {
  return nmseDb(
    codes.map((c) => listaForward(network, c.y, layers)),
    codes.map((c) => c.zStar),
  );
}

export function validateListaConfig(config: ListaConfig, family: ObjectiveFamily): void {
  for (const key of ['layers', 'iterations', 'batch', 'validationProblems', 'validateEvery'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < (key === 'iterations' ? 0 : 1)) throw new UserError(`LISTA ${key} must be a positive integer, got ${config[key]}`);
  }
  if (!(config.learningRate > 0) || !Number.isFinite(config.learningRate)) throw new UserError(`LISTA learning rate must be positive, got ${config.learningRate}`);
  if (family.splitSizes.train - config.validationProblems < 1) {
    throw new UserError(`${family.name} has ${family.splitSizes.train} training instances: too few to hold out ${config.validationProblems} for validation and train on the rest`);
  }
}

/** The network's weights as tfjs variables (float32), and back. */
interface ListaVariables {
  W: tf.Variable;
  S: tf.Variable;
  thetas: tf.Variable[];
}

function toVariables(network: ListaNetwork): ListaVariables {
  const { n, m } = network;
  // tf.variable copies its initial value: tidy frees the copies' sources, and never frees variables.
  return tf.tidy(() => ({
    W: tf.variable(tf.tensor2d(Float32Array.from(network.W), [n, m], 'float32'), true, 'lista/W'),
    S: tf.variable(tf.tensor2d(Float32Array.from(network.S), [n, n], 'float32'), true, 'lista/S'),
    thetas: Array.from({ length: network.layers }, (_, k) => tf.variable(tf.tensor1d(Float32Array.from(network.theta.subarray(k * n, (k + 1) * n)), 'float32'), true, `lista/theta-${k}`)),
  }));
}

function fromVariables(variables: ListaVariables, template: ListaNetwork): ListaNetwork {
  const theta = new Float64Array(template.layers * template.n);
  variables.thetas.forEach((t, k) => theta.set(t.dataSync(), k * template.n));
  return { ...template, W: Float64Array.from(variables.W.dataSync()), S: Float64Array.from(variables.S.dataSync()), theta, D: template.D };
}

/** soft(u, θ) = relu(u − θ) − relu(−u − θ), differentiable in u and θ. */
function softThresholdTensor(u: tf.Tensor2D, theta: tf.Tensor1D): tf.Tensor2D {
  return tf.sub(tf.relu(tf.sub(u, theta)), tf.relu(tf.sub(tf.neg(u), theta)));
}

/** z_K for a batch of signals Y (batch × m). */
function forwardTensor(variables: ListaVariables, Y: tf.Tensor2D): tf.Tensor2D {
  const input = tf.matMul(Y, variables.W, false, true) as tf.Tensor2D;
  let z = softThresholdTensor(input, variables.thetas[0] as tf.Tensor1D);
  for (let k = 1; k < variables.thetas.length; k++) {
    z = softThresholdTensor(tf.add(input, tf.matMul(z, variables.S, false, true)), variables.thetas[k] as tf.Tensor1D);
  }
  return z;
}

/**
 * Trains a K-layer LISTA on the training split of a sparse-coding family, starting from ISTA. Needs
 * an initialized tfjs backend; leaves no tensor behind.
 */
export function trainLista(family: ObjectiveFamily, config: ListaConfig, options: { onValidation?: (log: ListaIterationLog) => void } = {}): ListaTrainResult {
  validateListaConfig(config, family);
  const started = Date.now();
  const trainable = family.splitSizes.train - config.validationProblems;
  const first = sparseCodeOf(family, 'train', 0);
  const codes = Array.from({ length: family.splitSizes.train }, (_, i) => (i === 0 ? first.code : sparseCodeOf(family, 'train', i).code));
  const { m, n } = first.code;
  const heldOut = codes.slice(trainable);
  const initial = istaNetwork(first.code, first.lipschitz, config.layers);
  const initialNmseDb = listaNmseDb(initial, heldOut);
  const log: ListaIterationLog[] = [{ iteration: 0, trainLoss: NaN, validationNmseDb: initialNmseDb, seconds: (Date.now() - started) / 1000 }];
  options.onValidation?.(log[0]);
  let best = { network: initial, iteration: 0, nmse: initialNmseDb };
  const variables = toVariables(initial);
  const list = [variables.W, variables.S, ...variables.thetas];
  const optimizer = tf.train.adam(config.learningRate);
  let lossSum = 0;
  let lossCount = 0;
  try {
    for (let iteration = 1; iteration <= config.iterations; iteration++) {
      const rng = new Rng(`lista-${config.seed}/iteration-${iteration}`);
      const Ybatch = new Float32Array(config.batch * m);
      const Zbatch = new Float32Array(config.batch * n);
      for (let b = 0; b < config.batch; b++) {
        const code = codes[rng.int(trainable)];
        Ybatch.set(code.y, b * m);
        Zbatch.set(code.zStar, b * n);
      }
      const loss = tf.tidy(() => {
        const Y = tf.tensor2d(Ybatch, [config.batch, m]);
        const Z = tf.tensor2d(Zbatch, [config.batch, n]);
        return optimizer.minimize(() => tf.mean(tf.sum(tf.square(tf.sub(forwardTensor(variables, Y), Z)), 1)) as tf.Scalar, true, list)!;
      });
      lossSum += loss.dataSync()[0];
      lossCount += 1;
      loss.dispose();
      if (iteration % config.validateEvery === 0 || iteration === config.iterations) {
        const network = fromVariables(variables, initial);
        const nmse = listaNmseDb(network, heldOut);
        const entry = { iteration, trainLoss: lossSum / lossCount, validationNmseDb: nmse, seconds: (Date.now() - started) / 1000 };
        log.push(entry);
        options.onValidation?.(entry);
        lossSum = 0;
        lossCount = 0;
        if (Number.isFinite(nmse) && nmse < best.nmse) best = { network, iteration, nmse };
      }
    }
  } finally {
    optimizer.dispose();
    tf.dispose(list);
  }
  return { network: best.network, bestIteration: best.iteration, validationNmseDb: best.nmse, initialNmseDb, log };
}

// ---- The saved network: one JSON file, written atomically.

const FORMAT = 'l2o-lista';
const VERSION = 1;

/** How a saved network was trained: the settings and its held-out scores. */
export interface ListaTrainingRecord {
  config: ListaConfig;
  bestIteration: number;
  validationNmseDb: number;
  initialNmseDb: number;
}

interface ListaFile extends RunIdentity {
  format: string;
  version: number;
  layers: number;
  m: number;
  n: number;
  lambda: number;
  lipschitz: number;
  /** Row-major, as in ListaNetwork. */
  D: number[];
  W: number[];
  S: number[];
  theta: number[];
  training: ListaTrainingRecord;
}

/** Writes a network with the env it was trained on and how, atomically (a reader sees the old file or the new one). */
export function saveListaNetwork(path: string, network: ListaNetwork, identity: RunIdentity, training: ListaTrainingRecord): void {
  const file: ListaFile = {
    format: FORMAT,
    version: VERSION,
    ...identity,
    layers: network.layers,
    m: network.m,
    n: network.n,
    lambda: network.lambda,
    lipschitz: network.lipschitz,
    D: Array.from(network.D),
    W: Array.from(network.W),
    S: Array.from(network.S),
    theta: Array.from(network.theta),
    training,
  };
  writeFileAtomic(path, JSON.stringify(file));
}

const count = (min: number) => number({ integer: true, min });

export const listaConfigSchema = object({
  layers: count(1),
  iterations: count(0),
  batch: count(1),
  learningRate: number({ above: 0 }),
  validationProblems: count(1),
  validateEvery: count(1),
  seed: string(),
});

const fileSchema = object(
  {
    layers: count(1),
    m: count(1),
    n: count(1),
    lambda: number({ min: 0 }),
    lipschitz: number({ above: 0 }),
    D: numbers(),
    W: numbers(),
    S: numbers(),
    theta: numbers(),
    training: object({ config: listaConfigSchema, bestIteration: count(0), validationNmseDb: number(), initialNmseDb: number() }),
  },
  (file, path) => {
    const { layers, m, n } = file;
    checkLength(file.D, m * n, field(path, 'D'), `m ${m} × n ${n}`);
    checkLength(file.W, n * m, field(path, 'W'), `n ${n} × m ${m}`);
    checkLength(file.S, n * n, field(path, 'S'), `n ${n} × n ${n}`);
    checkLength(file.theta, layers * n, field(path, 'theta'), `layers ${layers} × n ${n}`);
    if (file.training.config.layers !== layers) fail(field(path, 'training.config.layers'), `is ${file.training.config.layers}, expected ${layers} (layers)`);
  },
);

/** Reads a saved network; a missing, malformed or foreign file is one UserError naming it. */
export function loadListaNetwork(path: string): { network: ListaNetwork; identity: RunIdentity; training: ListaTrainingRecord } {
  const file = readRunFile(path, 'LISTA network', FORMAT, VERSION, fileSchema);
  return decodeRunFile(path, () => ({
    network: {
      layers: file.layers,
      m: file.m,
      n: file.n,
      lambda: file.lambda,
      lipschitz: file.lipschitz,
      D: Float64Array.from(file.D),
      W: Float64Array.from(file.W),
      S: Float64Array.from(file.S),
      theta: Float64Array.from(file.theta),
    },
    identity: { env: file.env, envParams: file.envParams },
    training: file.training as ListaTrainingRecord,
  }));
}

// ---- A LISTA run directory (`l2o train --algo lista --out DIR`): DIR/lista.json, nothing else.

/** The network file of a LISTA run directory, what `lista:DIR` loads. */
export const listaPath = (dir: string) => join(dir, OPTIMIZER_FILES.lista);

/** The policy of a LISTA run directory: its K layers, then ISTA steps (`lista:DIR`). */
export function loadListaPolicy(dir: string): { policy: ListaPolicy; identity: RunIdentity; training: ListaTrainingRecord } {
  const path = listaPath(dir);
  if (!existsSync(path)) throw new UserError(`${dir} holds no LISTA network (${path} is missing); train one with l2o train --algo lista --out ${dir}`);
  const { network, identity, training } = loadListaNetwork(path);
  return { policy: new ListaPolicy(network), identity, training };
}

/**
 * Trains LISTA and saves the best network to `out`/lista.json, holding the directory's lock. There is
 * no checkpoint and no resume: a run that fails (or is killed) before the file is written leaves no
 * directory it created behind.
 */
export async function trainListaRun(options: { family: ObjectiveFamily; config: ListaConfig; identity: RunIdentity; out: string; onValidation?: (log: ListaIterationLog) => void }): Promise<ListaTrainResult> {
  const { family, config, identity, out } = options;
  // By the schema lista.json is read back with: no file is written that cannot be loaded.
  checkArgument(listaConfigSchema, config, 'config');
  checkArgument(runIdentitySchema, identity, 'identity');
  const path = listaPath(out);
  if (existsSync(path)) throw new UserError(`--out ${out} already holds a LISTA network (${path}); choose another --out`);
  sparseCodeOf(family, 'train', 0); // a family without sparse codes fails first, before the directory is made
  validateListaConfig(config, family);
  refuseOtherRun(out, OPTIMIZER_FILES.lista);
  return withRunDirectory(out, () => existsSync(path), async () => {
    const result = trainLista(family, config, { onValidation: options.onValidation });
    saveListaNetwork(path, result.network, identity, { config, bestIteration: result.bestIteration, validationNmseDb: result.validationNmseDb, initialNmseDb: result.initialNmseDb });
    return result;
  });
}
