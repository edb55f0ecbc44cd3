// Picks the fastest tfjs backend that loads here: tfjs-node (native TensorFlow, an optional
// dependency whose install needs a download) > wasm (SIMD) > cpu. L2O_BACKEND forces one.
import { createRequire } from 'node:module';
import { tf } from './tf.ts';
import { UserError } from './errors.ts';
import { installWasmKernels } from './tfjs-wasm-kernels.ts';

/** The tfjs backends in the order they are tried: native (tfjs-node, when it loads), wasm, plain JS. */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/** The name of a tfjs backend this package can run on. */
export type BackendName = (typeof BACKENDS)[number];

const PROCESS_EVENTS: readonly string[] = ['uncaughtException', 'unhandledRejection'];

/**
 * Runs `init` and then removes the 'uncaughtException' and 'unhandledRejection' listeners it added.
 * The wasm backend's emscripten module installs both when it is instantiated (in tf.setBackend), and
 * they rethrow: any later bug would then kill the process with exit code 7 after Node printed the
 * ~39 KB minified line of tfjs-backend-wasm.js, bypassing the CLI's error boundary (src/cli/main.ts).
 * The same happens in each worker thread, which initializes its own backend.
 */
export async function withoutAddedProcessListeners<T>(init: () => Promise<T>): Promise<T> {
  const listeners = (event: string) => process.listeners(event as 'uncaughtException');
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(listeners(event))]));
  try {
    return await init();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
  }
}

const requireHere = createRequire(import.meta.url);

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    return await withoutAddedProcessListeners(async () => {
      // require, not import: both packages are CommonJS (src/tf.ts says why that matters).
      if (name === 'tensorflow') requireHere('@tensorflow/tfjs-node');
      if (name === 'wasm') requireHere('@tensorflow/tfjs-backend-wasm');
      const ok = await tf.setBackend(name);
      if (ok && name === 'wasm') installWasmKernels();
      return ok;
    });
  } catch {
    return false;
  }
}

let chosen: Promise<BackendName> | null = null;

/**
 * Initializes tfjs once per process and returns the backend in use: `preferred` (or L2O_BACKEND),
 * else the first of tensorflow, wasm, cpu that loads. Later calls return the same backend; one that
 * names a different backend is refused, as tfjs cannot move the tensors already made.
 */
export async function initBackend(preferred?: string): Promise<BackendName> {
  if (chosen && preferred !== undefined) {
    const current = await chosen;
    if (preferred !== current) throw new UserError(`the tfjs backend is already '${current}'; initBackend('${preferred}') cannot switch it: call initBackend first, once`);
  }
  return startBackend(preferred ?? process.env.L2O_BACKEND);
}

function startBackend(preferred: string | undefined): Promise<BackendName> {
  chosen ??= (async () => {
    if (preferred) {
      if (!(BACKENDS as readonly string[]).includes(preferred)) {
        throw new UserError(`unknown tfjs backend '${preferred}'; choose one of ${BACKENDS.join(', ')}`);
      }
      if (!(await tryBackend(preferred as BackendName))) throw new UserError(`tfjs backend '${preferred}' failed to load`);
      return preferred as BackendName;
    }
    for (const name of BACKENDS) if (await tryBackend(name)) return name;
    throw new Error('no tfjs backend could be initialized');
  })();
  return chosen;
}
