// Meta-training of the coordinatewise LSTM optimizer by truncated backpropagation through time
// (Andrychowicz et al. 2016; docs/design.md §3). A meta-iteration draws a batch of training
// objectives, runs the LSTM on them for `horizon` steps in unrolls of `unroll` steps, and takes an
// Adam step on the LSTM weights after each unroll. Every `validateEvery` meta-iterations the LSTM
// is scored on held-out training instances (never the test split), and the best-scoring weights are
// kept: the training meta-loss is a biased, noisy criterion for that choice.
import { tf } from '../tf.ts';
import type { ObjectiveFamily } from '../../envs/objective.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../random.ts';
import { CoordinatewiseLstm, disposeStates } from '../../policies/coordinatewise-lstm.ts';
import { ProblemBatch } from './problem-batch.ts';
import { chunksOf, unroll } from './unroll.ts';
import type { BpttConfig } from './config.ts';

export { DEFAULT_BPTT_CONFIG, type BpttConfig } from './config.ts';

/** What one BPTT meta-iteration reports: its meta-loss, skipped unrolls, the held-out score when it validated, and its time. */
export interface BpttIterationLog {
  iteration: number;
  /** The meta-loss per problem per step over the iteration's unrolls: mean f for 'sum', mean log-gap for 'rate', mean f at the unrolls' ends for 'final'. */
  metaLoss: number;
  /** Unrolls whose optimizee broke down (NaN/Inf); their gradients were not applied. */
  skipped: number;
  /** Mean final objective on the held-out instances, when this iteration validated. */
  validation?: number;
  seconds: number;
}

export function validateBpttConfig(config: BpttConfig, family: ObjectiveFamily): void {
  if (config.horizon % config.unroll !== 0) throw new UserError(`horizon (${config.horizon}) must be a multiple of unroll (${config.unroll})`);
  if (!(config.validationProblems >= 1)) throw new UserError(`validation (held-out instances) must be at least 1, got ${config.validationProblems}: the held-out instances choose which meta-iteration's optimizer is kept`);
  const trainable = family.splitSizes.train - config.validationProblems;
  if (trainable < 1) {
    throw new UserError(`${family.name} has ${family.splitSizes.train} training instances: too few to hold out ${config.validationProblems} for validation and train on the rest`);
  }
}

/** Runs the LSTM without a tape on held-out instances; the mean final objective, on the full data where the family has it (Inf on breakdown). */
export function validationScore(lstm: CoordinatewiseLstm, family: ObjectiveFamily, config: BpttConfig): number {
  const first = family.splitSizes.train - config.validationProblems;
  const objectives = Array.from({ length: config.validationProblems }, (_, i) => family.sample('train', first + i));
  const batch = new ProblemBatch(objectives, new Rng(`bptt-validation-${config.seed}`));
  try {
    let state = lstm.initialState(batch.size);
    let gradient = batch.initialGradient;
    for (let t = 0; t < config.horizon && batch.finite; t++) {
      const out = lstm.stepUntaped(gradient, state);
      disposeStates([state]);
      state = out.state;
      gradient = batch.advance(out.update).gradient;
    }
    disposeStates([state]);
    if (!batch.finite) return Infinity;
    const finals = batch.selectionValues();
    return finals.reduce((a, b) => a + b, 0) / finals.length;
  } finally {
    batch.dispose();
  }
}

/** One meta-iteration: a fresh batch of training problems, `horizon / unroll` Adam steps. */
export function metaIteration(lstm: CoordinatewiseLstm, optimizer: tf.Optimizer, family: ObjectiveFamily, config: BpttConfig, iteration: number): BpttIterationLog {
  const started = Date.now();
  const rng = new Rng(`bptt-${config.seed}/iteration-${iteration}`);
  const trainable = family.splitSizes.train - config.validationProblems;
  const objectives = Array.from({ length: config.batch }, () => family.sample('train', rng.int(trainable)));
  const batch = new ProblemBatch(objectives, rng.fork('starts'), config.metaObjective);
  const chunks = chunksOf(batch.size, config.chunkSize);
  let states = chunks.map((c) => lstm.initialState(c.end - c.start));
  let gradient = batch.initialGradient;
  let lossSum = 0;
  let lossSteps = 0;
  let skipped = 0;
  try {
    for (let u = 0; u < config.horizon / config.unroll; u++) {
      const lastStepOnly = config.metaObjective === 'final';
      const out = unroll(lstm, batch, states, chunks, gradient, config.unroll, { lastStepOnly });
      disposeStates(states);
      states = out.states;
      gradient = out.gradient;
      const gradsFinite = out.grads.every((g) => tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0] === 1));
      if (!batch.finite || !Number.isFinite(out.loss) || !gradsFinite) {
        // The optimizee broke down: drop this unroll's gradients and the rest of the problem run.
        tf.dispose(out.grads);
        skipped++;
        break;
      }
      lossSum += out.loss / objectives.length;
      lossSteps += lastStepOnly ? 1 : config.unroll;
      optimizer.applyGradients(Object.fromEntries(lstm.variables.map((v, i) => [v.name, out.grads[i]])));
      tf.dispose(out.grads);
    }
  } finally {
    disposeStates(states);
    batch.dispose();
  }
  return { iteration, metaLoss: lossSteps > 0 ? lossSum / lossSteps : NaN, skipped, seconds: (Date.now() - started) / 1000 };
}

export function createLstm(config: BpttConfig): CoordinatewiseLstm {
  return new CoordinatewiseLstm(config.lstm, config.seed);
}
