// Picks the fastest tfjs backend that loads here: tfjs-node (native TensorFlow, an optional
// dependency whose install needs a download) > wasm (SIMD) > cpu. L2O_BACKEND forces one.
import * as tf from '@tensorflow/tfjs';
import { UserError } from './errors.ts';

/** The tfjs backends in the order they are tried: native (tfjs-node, when it loads), wasm, plain JS. */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/** The name of a tfjs backend this package can run on. */
export type BackendName = (typeof BACKENDS)[number];

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

let chosen: Promise<BackendName> | null = null;

/** Initializes tfjs once per process and returns the backend in use. */
export function initBackend(preferred: string | undefined = process.env.L2O_BACKEND): Promise<BackendName> {
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
