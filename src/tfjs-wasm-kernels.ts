// Three wasm kernels of tfjs replaced by cheaper ones with the same results (docs/design.md §4),
// installed once per thread by src/backend.ts when the wasm backend runs:
// - Identity, and Cast to the same dtype, copy their input into a new buffer. tfjs runs them for
//   every tensor a taped op saves for its gradient (the engine clones each) and for the float32 →
//   float32 casts of many gradients: one 20-step LSTM unroll over 10,000 coordinates made about
//   3,200 copies of 200,000 floats. wasm's own Reshape already shares its input's buffer by reference
//   count, and no kernel writes into an input, so these two share it the same way.
// - Slice and SplitV (whose pieces are slices) first copy the whole input out of the wasm heap
//   into a fresh JS array (readSync), however small the slice: splitting a [80, 10,000] tensor in
//   four copied 3.2 MB four times and took 6–12 ms. This one copies only the slice, heap to heap.
import type * as Tf from '@tensorflow/tfjs';
import { tf } from './tf.ts';

type KernelArgs = Parameters<Tf.KernelFunc>[0];
type HeapArray = Float32Array | Int32Array | Uint8Array;
interface WasmBackend {
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
  makeOutput(shape: number[], dtype: Tf.DataType): Tf.TensorInfo;
  typedArrayFromHeap(info: Tf.TensorInfo): HeapArray;
}

let installed = false;

function shared(args: KernelArgs): Tf.TensorInfo {
  const x = args.inputs.x as Tf.TensorInfo;
  (args.backend as unknown as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** A slice read straight from the heap: one copy when it is contiguous, one per row of a matrix. Null for what it leaves to tfjs (strings, rank ≥ 3 strided slices). */
function sliceOnHeap(args: KernelArgs): Tf.TensorInfo | null {
  const x = args.inputs.x as Tf.TensorInfo;
  if (x.dtype === 'string') return null;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [start, extent] = tf.slice_util.parseSliceParams(x as Tf.Tensor, begin, size);
  const contiguous = tf.slice_util.isSliceContinous(x.shape, start, extent);
  if (!contiguous && x.shape.length !== 2) return null;
  const backend = args.backend as unknown as WasmBackend;
  const out = backend.makeOutput(extent, x.dtype);
  // Views taken after makeOutput: an allocation can grow the heap and detach older views.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  if (contiguous) {
    const offset = tf.slice_util.computeFlatOffset(start, tf.util.computeStrides(x.shape));
    to.set(from.subarray(offset, offset + to.length));
  } else {
    const [rows, columns] = extent;
    const stride = x.shape[1];
    for (let r = 0; r < rows; r++) {
      const offset = (start[0] + r) * stride + start[1];
      to.set(from.subarray(offset, offset + columns), r * columns);
    }
  }
  return out;
}

/** Replaces wasm's Identity, same-dtype Cast, Slice and SplitV kernels (once per thread). */
export function installWasmKernels(): void {
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
  replace('Slice', (original, args) => sliceOnHeap(args) ?? original(args));
  // wasm's SplitV calls its own slice directly, not the registered kernel.
  replace('SplitV', (original, args) => {
    const x = args.inputs.x as Tf.TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const along = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as Tf.Tensor, numOrSizeSplits, along);
    const begin = x.shape.map(() => 0);
    const pieces: Tf.TensorInfo[] = [];
    for (const s of sizes) {
      const size = x.shape.slice();
      size[along] = s;
      const piece = sliceOnHeap({ ...args, attrs: { begin: begin.slice(), size } });
      if (!piece) {
        pieces.forEach((p) => (args.backend as unknown as WasmBackend).disposeData(p.dataId));
        return original(args);
      }
      pieces.push(piece);
      begin[along] += s;
    }
    return pieces;
  });
}
