// An MLP's layers and loss as few tfjs ops, each with a hand-written gradient. A tfjs op costs
// 5–10 µs of engine work whatever its size, and a 784-48-10 step at minibatch 64 is about 40 taped
// ops, so on wasm the engine cost more than the products (docs/design.md §4):
// - dense(): act(x·W + b) as one taped op (tf.fused.matMul: XNNPACK's product with the bias, and a
//   sigmoid or ReLU too outside a gradient; inside one tfjs runs the activation as its own kernel),
//   its backward pass in products of explicitly transposed operands (wasm's fast kernel takes
//   untransposed ones only), and no gradient for x when x is the minibatch;
// - softmaxCrossEntropy(): the mean over rows, with the labels as data (tfjs's loss also
//   differentiates the labels and reduces through a weighting step).
// Off wasm both are the plain ops, whose own gradients are as fast there. Results agree with the
// plain ops to float32 rounding (the bias is added inside the product's sum).
import type * as tf from '@tensorflow/tfjs';
import { tfjs } from './lazy-tfjs.ts';
import { useExplicit } from './tfjs-matmul.ts';

export type DenseActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softplus';

type CustomOp = Parameters<ReturnType<typeof tfjs>['customGrad']>[0];

function activate(z: tf.Tensor2D, activation: DenseActivation): tf.Tensor2D {
  const t = tfjs();
  switch (activation) {
    case 'linear':
      return z;
    case 'relu':
      return t.relu(z);
    case 'sigmoid':
      return t.sigmoid(z);
    case 'tanh':
      return t.tanh(z);
    case 'softplus':
      return t.softplus(z);
  }
}

/** dL/dz from dL/dy at y = act(z), for the activations XNNPACK fuses. */
function activationGradient(dy: tf.Tensor2D, y: tf.Tensor2D, activation: 'linear' | 'relu' | 'sigmoid'): tf.Tensor2D {
  const t = tfjs();
  if (activation === 'sigmoid') return t.mul(dy, t.mul(y, t.sub(1, y)));
  if (activation === 'relu') return t.mul(dy, t.step(y));
  return dy;
}

/**
 * act(x [n, in] · w [in, out] + b [out]). With `dataInput`, x is a minibatch rather than the output
 * of earlier layers, and no gradient is taken for it (on an MLP's first layer that gradient is the
 * step's largest product).
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: DenseActivation, options: { dataInput?: boolean } = {}): tf.Tensor2D {
  const t = tfjs();
  if (!useExplicit()) return activate(t.add(t.matMul(x, w), b) as tf.Tensor2D, activation);
  // tanh and softplus are not among XNNPACK's fused activations: the product and bias fuse, the
  // activation is its own op.
  if (activation === 'tanh' || activation === 'softplus') return activate(dense(x, w, b, 'linear', options), activation);
  const fused = activation;
  const backward = (dy: tf.Tensor2D, inputs: tf.Tensor2D, weights: tf.Tensor2D, y: tf.Tensor2D) => {
    const dz = activationGradient(dy, y, fused);
    // wᵀ's gradient dzᵀ·x, transposed: on the MNIST net's first layer 0.20 ms where xᵀ·dz took
    // 0.25 (wasm transposes the 64×784 minibatch slowly, the 48×784 product quickly).
    const dw = t.transpose(t.matMul(dz.transpose(), inputs));
    const db = t.sum(dz, 0);
    return options.dataInput ? [dw, db] : [t.matMul(dz, weights.transpose()), dw, db];
  };
  if (options.dataInput) {
    const op = t.customGrad(((weights: tf.Tensor2D, bias: tf.Tensor1D, save: (s: tf.Tensor[]) => void) => {
      const y = t.fused.matMul({ a: x, b: weights, bias, activation: fused });
      save([weights, y]);
      return { value: y, gradFunc: (dy: tf.Tensor2D, [ws, ys]: tf.Tensor2D[]) => backward(dy, x, ws, ys) };
    }) as unknown as CustomOp) as unknown as (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
    return op(w, b);
  }
  const op = t.customGrad(((inputs: tf.Tensor2D, weights: tf.Tensor2D, bias: tf.Tensor1D, save: (s: tf.Tensor[]) => void) => {
    const y = t.fused.matMul({ a: inputs, b: weights, bias, activation: fused });
    save([inputs, weights, y]);
    return { value: y, gradFunc: (dy: tf.Tensor2D, [xs, ws, ys]: tf.Tensor2D[]) => backward(dy, xs, ws, ys) };
  }) as unknown as CustomOp) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(x, w, b);
}

/** The mean over rows of −Σ_c labels·log softmax(logits), differentiated with respect to the logits only. */
export function softmaxCrossEntropy(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  const t = tfjs();
  if (!useExplicit()) return t.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  const rows = logits.shape[0];
  const op = t.customGrad(((z: tf.Tensor2D, save: (s: tf.Tensor[]) => void) => {
    const logProbabilities = t.sub(z, t.logSumExp(z, 1, true));
    save([logProbabilities]);
    return {
      value: t.div(t.neg(t.sum(t.mul(labels, logProbabilities))), rows),
      // d/dz of the mean: (softmax(z) − labels) / rows, times the upstream scalar.
      gradFunc: (dy: tf.Scalar, [logP]: tf.Tensor2D[]) => [t.mul(t.sub(t.exp(logP), labels), t.div(dy, rows))],
    };
  }) as unknown as CustomOp) as unknown as (z: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}
