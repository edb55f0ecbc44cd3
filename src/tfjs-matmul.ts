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

let columnsProductExplicit: MatMul | null = null;

/**
 * w [m, k] · x [k, n] where every one of the n ≫ m, k columns is a coordinate (the LSTM optimizer's
 * layout). wasm's product packs its second operand for each new tensor, a cost that grows with that
 * operand: w·x packed the whole of x at every step, and its gradient w ᵀ·dz the whole of dz. So on
 * wasm the product is formed as (xᵀ·wᵀ)ᵀ and x's gradient as (dzᵀ·w)ᵀ: the packed operand is then
 * the small weight matrix, and w itself, the same tensor at every step of an unroll, is packed once.
 * Only w's gradient dz·xᵀ packs a large operand (docs/design.md §4).
 */
export function columnsProduct(w: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  const t = tfjs();
  if (!useExplicit()) return t.matMul(w, x);
  columnsProductExplicit ??= t.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: Save) => {
    const bt = t.transpose(b);
    save([a, bt]);
    return {
      value: t.transpose(t.matMul(bt, t.transpose(a))),
      gradFunc: (dy: tf.Tensor2D, [as, bts]: tf.Tensor2D[]) => [t.matMul(dy, bts), t.transpose(t.matMul(t.transpose(dy), as))],
    };
  }) as unknown as Parameters<typeof t.customGrad>[0]) as unknown as MatMul;
  return columnsProductExplicit(w, x);
}
