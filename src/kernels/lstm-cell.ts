// The BPTT LSTM's cell as two tfjs kernels on the wasm backend, forward and backward, each one pass of
// lstm-cell.wat over tfjs's own memory: the pass the composed ops made in about fifteen kernels forward
// (σ three times, tanh as four ops twice, the products and sums) and about thirty backward, each
// reading and writing whole [hidden, n] tensors (docs/design.md §4). Other backends compose the ops
// (lstmCell).
import type * as Tf from '@tensorflow/tfjs';
import { tfjs } from '../lazy-tfjs.ts';
import { LSTM_CELL_WASM } from './lstm-cell-wasm.ts';

interface Exports {
  forward(m: number, z: number, c: number, h: number, cOut: number, acts: number): void;
  backward(m: number, c: number, acts: number, dh: number, dc: number, dz: number, dcPrev: number): void;
}

interface WasmBackend {
  wasm: { asm: { memory: WebAssembly.Memory }; _malloc(bytes: number): number; HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: Tf.DataType): Tf.TensorInfo;
}

const FORWARD = 'L2OLstmCell';
const BACKWARD = 'L2OLstmCellGrad';
let kernel: Exports | null = null;

function offset(backend: WasmBackend, info: Tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/** Instantiates the module on the wasm backend's memory and registers both kernels and the gradient (once per thread). */
function register(backend: WasmBackend): Exports {
  const tf = tfjs();
  const module = new WebAssembly.Module(Buffer.from(LSTM_CELL_WASM, 'base64'));
  const exports = new WebAssembly.Instance(module, { env: { memory: backend.wasm.asm.memory } }).exports as unknown as Exports;
  tf.registerKernel({
    kernelName: FORWARD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: b }) => {
      const be = b as unknown as WasmBackend;
      const { z, c, acts } = inputs as Record<string, Tf.TensorInfo>;
      const h = be.makeOutput(c.shape, 'float32');
      const cOut = be.makeOutput(c.shape, 'float32');
      exports.forward(tf.util.sizeFromShape(c.shape), offset(be, z), offset(be, c), offset(be, h), offset(be, cOut), offset(be, acts));
      return [h, cOut];
    },
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: b }) => {
      const be = b as unknown as WasmBackend;
      const { c, acts, dh, dc } = inputs as Record<string, Tf.TensorInfo>;
      const dz = be.makeOutput([4 * c.shape[0], c.shape[1]], 'float32');
      const dcPrev = be.makeOutput(c.shape, 'float32');
      exports.backward(tf.util.sizeFromShape(c.shape), offset(be, c), offset(be, acts), offset(be, dh), offset(be, dc), offset(be, dz), offset(be, dcPrev));
      return [dz, dcPrev];
    },
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['c', 'acts'],
    gradFunc: (dy, saved) => {
      const [dh, dc] = dy as Tf.Tensor[];
      const [c, acts] = saved;
      const [dz, dcPrev] = tf.engine().runKernel(BACKWARD, { c, acts, dh, dc } as unknown as Tf.NamedTensorMap) as Tf.Tensor[];
      return { z: () => dz, c: () => dcPrev };
    },
  });
  return exports;
}

/**
 * The cell on wasm: from the gates' pre-activations z [4·hidden, n] (input, forget, cell, output) and
 * the cell state c [hidden, n], the next h and c, as one taped op. Elementwise, so any layout serves
 * in which z is four blocks each shaped as c (the GPS LSTM policy passes [4·rows, hidden] and
 * [rows, hidden]). Null where it does not apply (another backend, or c's size not a multiple of 4):
 * the caller composes the ops then.
 */
export function lstmCellOnWasm(z: Tf.Tensor2D, c: Tf.Tensor2D): { h: Tf.Tensor2D; c: Tf.Tensor2D } | null {
  const tf = tfjs();
  if (tf.getBackend() !== 'wasm' || c.size % 4 !== 0 || z.size !== 4 * c.size) return null;
  const backend = tf.backend() as unknown as WasmBackend;
  kernel ??= register(backend);
  // The activations' buffer, filled by the forward kernel and read by the backward one: an input that
  // nothing else sees, not an output, so that the tape makes no zero gradient for it.
  const acts = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([5 * c.shape[0], c.shape[1]], 'float32'));
  const [h, cNext] = tf.engine().runKernel(FORWARD, { z, c, acts } as unknown as Tf.NamedTensorMap) as Tf.Tensor2D[];
  return { h, c: cNext };
}

/** tanh(x) = 2σ(2x) − 1 on wasm, whose Tanh kernel is scalar and 2× slower than the three ops. */
export function lstmTanh(x: Tf.Tensor2D): Tf.Tensor2D {
  const tf = tfjs();
  return tf.getBackend() === 'wasm' ? tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) : tf.tanh(x);
}

/**
 * The cell: from z, four blocks of the gates' pre-activations each shaped as c (input, forget, cell,
 * output), the next h and c. One fused op on wasm (lstmCellOnWasm), tfjs's ops composed elsewhere.
 */
export function lstmCell(z: Tf.Tensor2D, c: Tf.Tensor2D): { h: Tf.Tensor2D; c: Tf.Tensor2D } {
  const tf = tfjs();
  const fused = lstmCellOnWasm(z, c);
  if (fused) return fused;
  const [zi, zf, zg, zo] = tf.split(z, 4, 0) as Tf.Tensor2D[];
  const cNext = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), lstmTanh(zg))) as Tf.Tensor2D;
  return { h: tf.mul(tf.sigmoid(zo), lstmTanh(cNext)) as Tf.Tensor2D, c: cNext };
}
