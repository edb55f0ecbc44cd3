// The per-coordinate MLP policy's batched mean step as one wasm SIMD call (softplus-mlp.wat): the
// first layer, the softplus and the output layer for every coordinate of a net, in float32. A JS pass
// over the ~1.1M hidden units of the 22k-weight larger net took 10 ms a step and tfjs's Softplus
// kernel more (docs/design.md §4); this kernel keeps a hidden vector in a register from its inputs
// to its share of the output. Each instance owns its memory: one per network, per thread.
import { SOFTPLUS_MLP_WASM } from './softplus-mlp-wasm.ts';

interface Exports {
  memory: WebAssembly.Memory;
  forward(rows: number, width: number, inputs: number, vectors: number, w1: number, b1: number, anchor: number, w2: number, scale: number, bound: number, states: number, out: number, zbuf: number, pre: number, block: number): void;
  softplus(at: number, count: number): void;
}

let compiled: WebAssembly.Module | null = null;

function instantiate(): Exports {
  compiled ??= new WebAssembly.Module(Buffer.from(SOFTPLUS_MLP_WASM, 'base64'));
  return new WebAssembly.Instance(compiled).exports as unknown as Exports;
}

const PAGE = 65536;
const LANES = 4;
/** Rows whose pre-activations the kernel holds at once (a multiple of 4; 64 × 13 vectors is 13 kB, within L1). */
const BLOCK = 64;

/** The weights of a network with one hidden layer of softplus units and one output (row-major W1: [inputs, hidden]). */
export interface SoftplusMlpWeights {
  inputs: number;
  hidden: number;
  W1: Float64Array;
  b1: Float64Array;
  W2: Float64Array;
  inputScale: Float64Array;
  inputBound: Float64Array;
}

export class SoftplusMlpKernel {
  private readonly wasm = instantiate();
  private readonly vectors: number;
  private readonly inputs: number;
  // Byte offsets: the weights first, then the inputs' scratch; the rows and outputs after them.
  private readonly w1: number;
  private readonly b1: number;
  private readonly anchor: number;
  private readonly w2: number;
  private readonly scale: number;
  private readonly bound: number;
  private readonly zbuf: number;
  private readonly pre: number;
  private readonly states: number;

  constructor(weights: SoftplusMlpWeights) {
    const { inputs, hidden } = weights;
    this.inputs = inputs;
    this.vectors = Math.ceil(hidden / LANES);
    const vectorBytes = this.vectors * LANES * 4;
    this.w1 = 0;
    this.b1 = this.w1 + inputs * vectorBytes;
    this.anchor = this.b1 + vectorBytes;
    this.w2 = this.anchor + vectorBytes;
    this.scale = this.w2 + vectorBytes;
    this.bound = this.scale + inputs * 8;
    this.zbuf = this.bound + inputs * 8;
    this.pre = this.zbuf + inputs * 64;
    this.states = this.pre + BLOCK * vectorBytes;
    this.reserve(this.states);
    this.load(weights);
  }

  /**
   * Writes a network's weights over the current ones (GPS redistills every inner iteration; reusing
   * the instance keeps its grown memory instead of allocating another).
   */
  load(weights: SoftplusMlpWeights): void {
    const { inputs, hidden } = weights;
    if (inputs !== this.inputs || Math.ceil(hidden / LANES) !== this.vectors) throw new RangeError(`a kernel for ${this.inputs} inputs and ${this.vectors * LANES} hidden units cannot hold ${inputs} and ${hidden}`);
    // Padded hidden units have zero weights in and out, so they add nothing to μ.
    const memory = this.wasm.memory.buffer;
    new Uint8Array(memory, this.w1, this.zbuf - this.w1).fill(0);
    const w1 = new Float32Array(memory, this.w1, inputs * this.vectors * LANES);
    for (let v = 0; v < this.vectors; v++) {
      for (let i = 0; i < inputs; i++) {
        for (let lane = 0; lane < LANES; lane++) {
          const j = v * LANES + lane;
          if (j < hidden) w1[(v * inputs + i) * LANES + lane] = weights.W1[i * hidden + j];
        }
      }
    }
    new Float32Array(memory, this.b1, hidden).set(weights.b1);
    // softplus(b1_j) by the kernel's own softplus: a zero input gives a = b1 exactly, so μ =
    // W2ᵀ[softplus(a) − anchor] is exactly zero there whatever the approximation's error.
    new Float32Array(memory, this.anchor, hidden).set(weights.b1);
    this.wasm.softplus(this.anchor, this.vectors * LANES);
    new Float32Array(memory, this.w2, hidden).set(weights.W2);
    // The kernel multiplies by the scale's reciprocal: a division per input and row cost 0.1 ms a step.
    new Float64Array(memory, this.scale, inputs).set(Float64Array.from(weights.inputScale, (scale) => 1 / scale));
    new Float64Array(memory, this.bound, inputs).set(weights.inputBound);
  }

  /**
   * Where forward reads its rows from, with room for them and the outputs: rows written here are not
   * copied again (on the 22k-weight net a copy of 2.8 MB per step). Valid until the next call to
   * this kernel that grows its memory; forward on these rows does not.
   */
  input(rows: number, width: number): Float64Array {
    this.reserve(this.states + rows * width * 8 + rows * 8);
    return new Float64Array(this.wasm.memory.buffer, this.states, rows * width);
  }

  /** μ of each row: row r is `states[r·width .. r·width + inputs)` (`states` may be input()'s rows). */
  forward(states: Float64Array, rows: number, width: number): Float64Array {
    if (width < this.inputs || states.length < rows * width) throw new RangeError(`${rows} rows of width ${width} need ${rows * width} entries of at least ${this.inputs}`);
    const out = this.states + rows * width * 8;
    this.reserve(out + rows * 8);
    const memory = this.wasm.memory.buffer;
    if (states.buffer !== memory || states.byteOffset !== this.states) new Float64Array(memory, this.states, rows * width).set(states.subarray(0, rows * width));
    this.wasm.forward(rows, width, this.inputs, this.vectors, this.w1, this.b1, this.anchor, this.w2, this.scale, this.bound, this.states, out, this.zbuf, this.pre, BLOCK);
    return new Float64Array(memory, out, rows).slice();
  }

  /** The kernel's softplus alone, lane by lane (its test's window onto the approximation). */
  softplus(values: Float32Array): Float32Array {
    const count = Math.ceil(values.length / LANES) * LANES;
    this.reserve(this.states + count * 4);
    new Float32Array(this.wasm.memory.buffer, this.states, count).fill(0).set(values);
    this.wasm.softplus(this.states, count);
    return new Float32Array(this.wasm.memory.buffer, this.states, values.length).slice();
  }

  /** Grows the memory to at least `bytes` (growing detaches earlier views, so none is kept). */
  private reserve(bytes: number): void {
    const memory = this.wasm.memory;
    if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }
}
