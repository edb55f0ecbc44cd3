// A pool task for the memory bench: one thread's memory after a full collection there. Each worker
// thread has its own V8 heap and tfjs wasm heap, all inside the process's RSS.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { threadId } from 'node:worker_threads';
import { tf } from '../src/tf.ts';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export interface ThreadMemory {
  threadId: number;
  /** V8 heap in use after a full collection. */
  heap: number;
  /** The tfjs wasm heap's size, null on other backends. */
  wasm: number | null;
  tensors: number;
}

export function threadMemory(): ThreadMemory {
  collectGarbage();
  const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length ?? null : null;
  return { threadId, heap: process.memoryUsage().heapUsed, wasm, tensors: tf.memory().numTensors };
}
