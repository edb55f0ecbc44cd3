// Matrix products whose gradients transpose explicitly. tfjs differentiates a·b into products with
// transposed operands, and the wasm backend has a fast kernel only for untransposed ones: the
// explicit transpose halves an MLP step there (docs/design.md §4). On other backends it is slower,
// so the plain ops are used. tfjs is taken lazily (the MLP families use this before tfjs would
// otherwise load).
import type * as tf from '@tensorflow/tfjs';
import { tfjs } from './lazy-tfjs.ts';

type Save = (tensors: tf.Tensor[]) => void;
type MatMul = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

let explicitProduct: MatMul | null = null;

function matMulExplicit(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const t = tfjs();
  explicitProduct ??= t.customGrad(((x: tf.Tensor2D, y: tf.Tensor2D, save: Save) => {
    save([x, y]);
    return {
      value: t.matMul(x, y),
      gradFunc: (dy: tf.Tensor2D, [xs, ys]: tf.Tensor2D[]) => [t.matMul(dy, ys.transpose()), t.matMul(xs.transpose(), dy)],
    };
  }) as unknown as Parameters<typeof t.customGrad>[0]) as unknown as MatMul;
  return explicitProduct(a, b);
}

let explicitTranspose: 'auto' | boolean = 'auto';

/** Forces the gradient variant (benchmarks compare both); 'auto' uses it on wasm only. */
export function setExplicitTranspose(mode: 'auto' | boolean): void {
  explicitTranspose = mode;
}

/** Whether products (and src/tfjs-fused-ops.ts) take the wasm paths: on wasm, unless a benchmark forced it. */
export function useExplicit(): boolean {
  return explicitTranspose === 'auto' ? tfjs().getBackend() === 'wasm' : explicitTranspose;
}

/** a [n, k] · b [k, m]. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return useExplicit() ? matMulExplicit(a, b) : tfjs().matMul(a, b);
}

/** x [n, in] · w [in, out] + b [out]. */
export function affine(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tfjs().add(matMul(x, w), b);
}
