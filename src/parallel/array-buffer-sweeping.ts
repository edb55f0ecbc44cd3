// V8 frees the backing stores of dead typed arrays on a helper thread by default ("concurrent
// array-buffer sweeping"). The GPS math allocates about 800,000 of them per logreg iteration
// (matrices of a few hundred doubles), and with that helper a 529-entry Float64Array costs about
// 2 µs to allocate against 0.65 µs when the thread that collects frees them itself; with every core
// running pool threads, the helper also competes with them for a core (docs/design.md §4). The flag
// is process-wide, so worker threads get it too, and it changes when memory is freed, never a value.
import { setFlagsFromString } from 'node:v8';

let applied = false;

/** Makes each thread free its dead array buffers itself (idempotent). */
export function sweepArrayBuffersInline(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
}
