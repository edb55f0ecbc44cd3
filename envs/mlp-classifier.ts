// A multilayer-perceptron classifier as an objective over its flattened parameters, built on tfjs
// so it scales to image datasets. Each evaluate() runs one forward/backward pass on a minibatch
// (or the whole set) and hands back float64 copies; every tensor it makes is freed before returning.
// fullValue() is the loss on the whole set, whatever the minibatch size.
import type * as Tf from '@tensorflow/tfjs';
import { tfjs } from '../src/lazy-tfjs.ts';
import { dense, softmaxCrossEntropy } from '../src/tfjs-fused-ops.ts';
import type { Rng } from '../src/random.ts';
import type { Evaluation, Objective } from './objective.ts';
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

  function batchTensors(rng: Rng | null): { x: Tf.Tensor2D; y: Tf.Tensor2D; owned: boolean } {
    if (fullBatch) return { ...residentData(), owned: false };
    if (!rng) throw new Error(`${name}: start() must be called before evaluate()`);
    const xs = new Float32Array(batch * data.inputDim);
    // One-hot labels built here: one upload instead of three ops per step.
    const ys = new Float32Array(batch * data.classes);
    for (let i = 0; i < batch; i++) {
      const j = rng.int(count);
      xs.set(data.inputs.subarray(j * data.inputDim, (j + 1) * data.inputDim), i * data.inputDim);
      ys[i * data.classes + data.labels[j]] = 1;
    }
    return { x: tf.tensor2d(xs, [batch, data.inputDim]), y: tf.tensor2d(ys, [batch, data.classes]), owned: true };
  }

  /** The layers' weights [in, out] and biases [out], each its own tensor (no slicing, so no padded gradients). */
  function layerTensors(x: Float64Array): Tf.Tensor[] {
    const tensors: Tf.Tensor[] = [];
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const weights = sizes[l] * sizes[l + 1];
      tensors.push(tf.tensor2d(Float32Array.from(x.subarray(offset, offset + weights)), [sizes[l], sizes[l + 1]]));
      offset += weights;
      tensors.push(tf.tensor1d(Float32Array.from(x.subarray(offset, offset + sizes[l + 1]))));
      offset += sizes[l + 1];
    }
    return tensors;
  }

  function loss(layers: Tf.Tensor[], x: Tf.Tensor2D, y: Tf.Tensor2D): Tf.Scalar {
    let h = x;
    let penalty: Tf.Scalar | null = null;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const W = layers[2 * l] as Tf.Tensor2D;
      if (spec.lambda > 0) penalty = (penalty ? penalty.add(W.square().sum()) : W.square().sum()) as Tf.Scalar;
      // One fused op per layer; the first layer's input is the minibatch, which takes no gradient.
      const activation = l + 2 < sizes.length ? spec.activation : 'linear';
      h = dense(h, W, layers[2 * l + 1] as Tf.Tensor1D, activation, { dataInput: l === 0 });
    }
    const data = softmaxCrossEntropy(y, h);
    return penalty ? data.add(penalty.mul(0.5 * spec.lambda)) : data;
  }

  /** f and ∇f at x on a minibatch drawn from `rng` (the whole set when the batch is full). */
  function evaluateOn(x: Float64Array, rng: Rng | null): Evaluation {
    const { x: inputs, y, owned } = batchTensors(rng);
    const layers = layerTensors(x);
    const { value, grads } = tf.valueAndGrads((...p: Tf.Tensor[]) => loss(p, inputs, y))(layers);
    const valueData = value.dataSync()[0];
    // The layers' gradients in the parameter layout, read in one transfer.
    const flat = tf.tidy(() => tf.concat(grads.map((g) => g.reshape([-1]))));
    const gradient = Float64Array.from(flat.dataSync());
    tf.dispose([value, flat, ...grads, ...layers]);
    if (owned) tf.dispose([inputs, y]);
    return { value: valueData, gradient };
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
      return evaluateOn(x, batchRng);
    },
    // A full batch has no noise to measure, so only a minibatch objective offers a second look.
    ...(fullBatch ? {} : { resample: (x: Float64Array, rng: Rng) => evaluateOn(x, rng) }),
    fullValue(x) {
      // The loss alone on every example: no gradient, no minibatch drawn.
      const { x: inputs, y } = residentData();
      const layers = layerTensors(x);
      const value = tf.tidy(() => loss(layers, inputs, y).dataSync()[0]);
      tf.dispose(layers);
      return value;
    },
    dispose() {
      if (resident) tf.dispose([resident.x, resident.y]);
      resident = null;
    },
  };
}
