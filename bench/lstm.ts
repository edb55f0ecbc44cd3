// The BPTT optimizer's hot paths on the running tfjs backend, against the PyTorch CPU times the
// issue measured on this machine and against tfjs's own ops and gradients in the same process
// (setExplicitTranspose(false)): one 20-step unroll (forward + backward) of the 2-layer, 20-unit
// coordinatewise LSTM over 10,000 coordinates, and one training step of an MLP 784-48-10 at
// minibatch 64, on resident tensors and as the mlp objective takes it.
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { setExplicitTranspose } from '../src/tfjs-matmul.ts';
import { CoordinatewiseLstm, DEFAULT_LSTM_CONFIG, disposeStates } from '../policies/coordinatewise-lstm.ts';
import { chunksOf, unroll, type UnrollTarget } from '../src/supervised/unroll.ts';
import { Rng } from '../src/random.ts';
import { mlpObjective } from '../envs/mlp-classifier.ts';
import { dense, softmaxCrossEntropy } from '../src/tfjs-fused-ops.ts';
import { formatSeconds, medianSeconds } from './timing.ts';

const PYTORCH_SECONDS = { unroll: 0.261, mlp: 0.00027 };

/** A separable quadratic Σ a_i θ_i² / 2: cheap, so the LSTM dominates the unroll. */
export function quadraticTarget(size: number): UnrollTarget {
  const rng = new Rng('bench-lstm-target');
  const a = Float64Array.from({ length: size }, () => rng.uniformIn(0.1, 2));
  const theta = Float64Array.from({ length: size }, () => rng.normal());
  return {
    size,
    advance(update) {
      const gradient = new Float32Array(size);
      let loss = 0;
      for (let i = 0; i < size; i++) {
        theta[i] += update[i];
        loss += 0.5 * a[i] * theta[i] * theta[i];
        gradient[i] = a[i] * theta[i];
      }
      return { loss, gradient };
    },
  };
}

/** One 20-step unroll's closure (forward + backward, meta-gradients disposed); also run by bench/peers.ts. */
export function benchUnroll(coordinates: number, steps: number): () => void {
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'bench');
  const target = quadraticTarget(coordinates);
  const gradient = target.advance(new Float32Array(coordinates)).gradient;
  return () => {
    const states = [lstm.initialState(coordinates)];
    const out = unroll(lstm, target, states, chunksOf(coordinates, coordinates), gradient, steps);
    tf.dispose(out.grads);
    disposeStates([...states, ...out.states]);
  };
}

/**
 * One SGD step of an MLP 784-48-10 (sigmoid, softmax cross-entropy) at minibatch 64 on resident
 * tensors, as PyTorch's peer takes it: the objective's fused layers and loss (src/tfjs-fused-ops.ts)
 * under tfjs's SGD. Also run by bench/peers.ts.
 */
export function benchMlpStep(batch: number): () => void {
  const rng = new Rng('bench-mlp');
  const sizes = [784, 48, 10];
  const weights = sizes.slice(1).map((out, l) => ({
    w: tf.variable(tf.tensor2d(Float32Array.from(rng.normalVector(sizes[l] * out, 1 / Math.sqrt(sizes[l]))), [sizes[l], out])),
    b: tf.variable(tf.zeros([out]) as tf.Tensor1D),
  }));
  const x = tf.tensor2d(Float32Array.from(rng.normalVector(batch * 784)), [batch, 784]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(10)), 'int32'), 10).toFloat() as tf.Tensor2D);
  const optimizer = tf.train.sgd(0.1);
  return () => {
    const cost = optimizer.minimize(() => {
      const hidden = dense(x, weights[0].w as tf.Tensor2D, weights[0].b as tf.Tensor1D, 'sigmoid', { dataInput: true });
      return softmaxCrossEntropy(y, dense(hidden, weights[1].w as tf.Tensor2D, weights[1].b as tf.Tensor1D, 'linear'));
    }, true);
    cost?.dataSync();
    cost?.dispose();
  };
}

/**
 * The same step as the framework takes it on an objective: the mlp family (envs/mlp-classifier.ts)
 * draws the minibatch, uploads it and the float64 weights, runs forward and backward and reads the
 * gradient back, then x ← x − 0.1·g in JS. On 1,000 synthetic examples; also run by bench/peers.ts.
 */
export function benchMlpObjectiveStep(batch: number): () => void {
  const rng = new Rng('bench-mlp');
  const count = 1000;
  const data = {
    inputs: Float32Array.from(rng.normalVector(count * 784)),
    labels: Int32Array.from({ length: count }, () => rng.int(10)),
    inputDim: 784,
    classes: 10,
  };
  const objective = mlpObjective('bench-mlp', data, { hidden: [48], activation: 'sigmoid', batchSize: batch, lambda: 0, initScale: 1 });
  const x = objective.start(rng.fork('start'));
  return () => {
    const { gradient } = objective.evaluate(x);
    for (let i = 0; i < x.length; i++) x[i] -= 0.1 * gradient[i];
  };
}

export async function benchLstm(args: string[]): Promise<void> {
  const backend = await initBackend();
  const coordinates = Number(args[0] ?? 10000);
  console.log(`tfjs backend: ${backend}; medians; "plain" = tfjs's own ops and gradients (transposed operands, unfused layers and loss)`);
  console.log('case                                      explicit-T        plain   plain/explicit   vs PyTorch');
  const rows: [string, () => () => void, number, number][] = [
    [`LSTM unroll 20 steps × ${coordinates} coords`, () => benchUnroll(coordinates, 20), 7, PYTORCH_SECONDS.unroll * (coordinates / 10000)],
    ['MLP 784-48-10 step, batch 64', () => benchMlpStep(64), 200, PYTORCH_SECONDS.mlp],
    ['same, as an objective step', () => benchMlpObjectiveStep(64), 200, PYTORCH_SECONDS.mlp],
  ];
  for (const [name, make, repeats, pytorch] of rows) {
    const times: number[] = [];
    for (const mode of [true, false]) {
      setExplicitTranspose(mode);
      const run = make();
      run(); // warm-up: kernel compilation and heap growth
      times.push(medianSeconds(repeats, run));
    }
    setExplicitTranspose('auto');
    const [explicit, plain] = times;
    console.log(
      `${name.padEnd(40)} ${formatSeconds(explicit).padStart(11)} ${formatSeconds(plain).padStart(12)} ${(plain / explicit).toFixed(2).padStart(15)}× ${(explicit / pytorch).toFixed(2).padStart(10)}× slower`,
    );
  }
  console.log(`PyTorch CPU reference (issue 4, this machine): unroll ${formatSeconds(PYTORCH_SECONDS.unroll)} per 10k coords, MLP step ${formatSeconds(PYTORCH_SECONDS.mlp)}`);
}
