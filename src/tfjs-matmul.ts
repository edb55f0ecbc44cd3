// Matrix products whose gradients transpose explicitly. tfjs differentiates a·b into products with
// transposed operands, and the wasm backend has a fast kernel only for untransposed ones: the
// explicit transpose halves an MLP step there (docs/design.md §4). On other backends it is slower,
// so the plain ops are used.
import { tf } from './tf.ts';

type Save = (tensors: tf.Tensor[]) => void;

const matMulExplicit = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: Save) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [as, bs]: tf.Tensor2D[]) => [tf.matMul(dy, bs.transpose()), tf.matMul(as.transpose(), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

let explicitTranspose: 'auto' | boolean = 'auto';

/** Forces the gradient variant (benchmarks compare both); 'auto' uses it on wasm only. */
export function setExplicitTranspose(mode: 'auto' | boolean): void {
  explicitTranspose = mode;
}

function useExplicit(): boolean {
  return explicitTranspose === 'auto' ? tf.getBackend() === 'wasm' : explicitTranspose;
}

/** a [n, k] · b [k, m]. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return useExplicit() ? matMulExplicit(a, b) : tf.matMul(a, b);
}

/** x [n, in] · w [in, out] + b [out]. */
export function affine(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.add(matMul(x, w), b);
}
