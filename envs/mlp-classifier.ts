// A multilayer-perceptron classifier as an objective over its flattened parameters, built on tfjs
// so it scales to image datasets. Each evaluate() runs one forward/backward pass on a minibatch
// (or the whole set) and hands back float64 copies; every tensor it makes is freed before returning.
// fullValue() is the loss on the whole set, whatever the minibatch size.
import type * as Tf from '@tensorflow/tfjs';
import { tfjs } from '../src/lazy-tfjs.ts';
import type { Rng } from '../src/random.ts';
import type { Objective } from './objective.ts';
import { layerGroups, type ParameterGroup } from './parameter-groups.ts';
import type { ClassificationData } from '../src/data/classification-data.ts';

export type { ClassificationData } from '../src/data/classification-data.ts';

export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'softplus';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'sigmoid', 'tanh', 'softplus'];

export interface MlpSpec {
  hidden: number[];
  activation: Activation;
  /** 0 = the full dataset every step. */
  batchSize: number;
  /** Weight decay (λ/2)·Σ‖W‖² on the weight matrices, not the biases. */
  lambda: number;
  /** Weights ~ N(0, initScale²/fanIn); biases start at 0. */
  initScale: number;
}

/** Parameter layout: per layer W [in, out] row-major, then b [out]. */
export function mlpLayerSizes(inputDim: number, spec: MlpSpec, classes: number): number[] {
  return [inputDim, ...spec.hidden, classes];
}

/** One group per weight matrix and bias vector, in the layout above. */
export function mlpParameterGroups(sizes: number[]): ParameterGroup[] {
  return layerGroups(sizes.slice(1).map((out, l) => ({ weights: sizes[l] * out, biases: out })));
}

export function mlpParameterCount(sizes: number[]): number {
  let count = 0;
  for (let l = 0; l + 1 < sizes.length; l++) count += sizes[l] * sizes[l + 1] + sizes[l + 1];
  return count;
}

function activate(x: Tf.Tensor2D, activation: Activation): Tf.Tensor2D {
  const tf = tfjs();
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softplus':
      return tf.softplus(x);
  }
}

export function mlpObjective(name: string, data: ClassificationData, spec: MlpSpec): Objective {
  const tf = tfjs();
  const sizes = mlpLayerSizes(data.inputDim, spec, data.classes);
  const dim = mlpParameterCount(sizes);
  const count = data.labels.length;
  const fullBatch = spec.batchSize <= 0 || spec.batchSize >= count;
  const batch = fullBatch ? count : spec.batchSize;
  let batchRng: Rng | null = null;
  // The full dataset stays resident on the backend once needed (full batch, or fullValue); minibatches
  // are copied per step.
  let resident: { x: Tf.Tensor2D; y: Tf.Tensor2D } | null = null;

  function residentData(): { x: Tf.Tensor2D; y: Tf.Tensor2D } {
    resident ??= tf.tidy(() => ({
      x: tf.tensor2d(data.inputs, [count, data.inputDim]),
      y: tf.oneHot(tf.tensor1d(data.labels, 'int32'), data.classes).toFloat() as Tf.Tensor2D,
    }));
    return resident;
  }

  function batchTensors(): { x: Tf.Tensor2D; y: Tf.Tensor2D; owned: boolean } {
    if (fullBatch) return { ...residentData(), owned: false };
    if (!batchRng) throw new Error(`${name}: start() must be called before evaluate()`);
    const xs = new Float32Array(batch * data.inputDim);
    const ys = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const j = batchRng.int(count);
      xs.set(data.inputs.subarray(j * data.inputDim, (j + 1) * data.inputDim), i * data.inputDim);
      ys[i] = data.labels[j];
    }
    return tf.tidy(() => ({
      x: tf.tensor2d(xs, [batch, data.inputDim]),
      y: tf.oneHot(tf.tensor1d(ys, 'int32'), data.classes).toFloat() as Tf.Tensor2D,
      owned: true,
    }));
  }

  function loss(params: Tf.Tensor1D, x: Tf.Tensor2D, y: Tf.Tensor2D): Tf.Scalar {
    let h = x;
    let offset = 0;
    let penalty: Tf.Scalar = tf.scalar(0);
    for (let l = 0; l + 1 < sizes.length; l++) {
      const W = params.slice(offset, sizes[l] * sizes[l + 1]).reshape([sizes[l], sizes[l + 1]]) as Tf.Tensor2D;
      offset += sizes[l] * sizes[l + 1];
      const b = params.slice(offset, sizes[l + 1]);
      offset += sizes[l + 1];
      penalty = penalty.add(W.square().sum());
      const z = h.matMul(W).add(b) as Tf.Tensor2D;
      h = l + 2 < sizes.length ? activate(z, spec.activation) : z;
    }
    return tf.losses.softmaxCrossEntropy(y, h).add(penalty.mul(0.5 * spec.lambda)) as Tf.Scalar;
  }

  return {
    name,
    dim,
    groups: mlpParameterGroups(sizes),
    start(rng) {
      batchRng = rng.fork('minibatches');
      const x = new Float64Array(dim);
      let offset = 0;
      for (let l = 0; l + 1 < sizes.length; l++) {
        const std = spec.initScale / Math.sqrt(sizes[l]);
        for (let i = 0; i < sizes[l] * sizes[l + 1]; i++) x[offset + i] = std * rng.normal();
        offset += sizes[l] * sizes[l + 1] + sizes[l + 1];
      }
      return x;
    },
    evaluate(x) {
      const { x: inputs, y, owned } = batchTensors();
      const params = tf.tensor1d(Float32Array.from(x));
      const { value, grad } = tf.valueAndGrad((p: Tf.Tensor) => loss(p as Tf.Tensor1D, inputs, y))(params);
      const valueData = value.dataSync()[0];
      const gradData = grad.dataSync();
      tf.dispose([value, grad, params]);
      if (owned) tf.dispose([inputs, y]);
      return { value: valueData, gradient: Float64Array.from(gradData) };
    },
    fullValue(x) {
      // The loss alone on every example: no gradient, no minibatch drawn.
      const { x: inputs, y } = residentData();
      const params = tf.tensor1d(Float32Array.from(x));
      const value = tf.tidy(() => loss(params, inputs, y).dataSync()[0]);
      params.dispose();
      return value;
    },
    dispose() {
      if (resident) tf.dispose([resident.x, resident.y]);
      resident = null;
    },
  };
}
