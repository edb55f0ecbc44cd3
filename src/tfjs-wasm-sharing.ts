// wasm's Identity kernel, and its Cast to the same dtype, copy their input into a new buffer. tfjs
// runs them for every tensor a taped op saves for its gradient (the engine clones each) and for the
// float32 → float32 casts of many gradients: one 20-step LSTM unroll over 10,000 coordinates made
// about 3,200 copies of 200,000 floats. wasm's own Reshape already shares its input's buffer by
// reference count, and no kernel writes into an input, so these two share it the same way
// (docs/design.md §4). Same values; less memory.
import type * as Tf from '@tensorflow/tfjs';
import { tf } from './tf.ts';

type KernelArgs = Parameters<Tf.KernelFunc>[0];
interface RefCounting {
  incRef(dataId: object): void;
}

let installed = false;

function shared(args: KernelArgs): Tf.TensorInfo {
  const x = args.inputs.x as Tf.TensorInfo;
  (args.backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Replaces wasm's Identity and same-dtype Cast kernels by buffer-sharing ones (once per thread). */
export function shareBuffersOnWasm(): void {
  if (installed) return;
  installed = true;
  const replace = (name: string, kernelFunc: (original: Tf.KernelFunc, args: KernelArgs) => Tf.TensorInfo | Tf.TensorInfo[]) => {
    const original = tf.getKernel(name, 'wasm');
    if (!original) return;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: (args) => kernelFunc(original.kernelFunc, args) });
  };
  replace('Identity', (original, args) => ((args.inputs.x as Tf.TensorInfo).dtype === 'string' ? original(args) : shared(args)));
  replace('Cast', (original, args) => ((args.inputs.x as Tf.TensorInfo).dtype === (args.attrs as { dtype: string }).dtype ? shared(args) : original(args)));
}
