// tfjs, loaded on first use rather than when a module is imported: the family registry imports the
// image families, and the command line checks --env and --param before tfjs loads (about a quarter
// second of every run that stops at a user error). The eager twin is src/tf.ts; both `require` the
// package, so they share one instance, backend and all.
import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs';

let loaded: typeof Tf | null = null;

/** The tfjs module, required the first time it is asked for. */
export function tfjs(): typeof Tf {
  return (loaded ??= createRequire(import.meta.url)('@tensorflow/tfjs') as typeof Tf);
}
