// Timing helpers for benchmarks: medians of repeated runs, never a single sample.
import { fileURLToPath } from 'node:url';

/** The compiled CLI, as users run it (`npm run build` makes dist/), for the benches that time it end to end. */
export const BIN = fileURLToPath(new URL('../bin/l2o.js', import.meta.url));
export const DIST = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

export function medianSeconds(repeats: number, run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(times);
}

export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

export function formatSeconds(s: number): string {
  return s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(2)} s`;
}
