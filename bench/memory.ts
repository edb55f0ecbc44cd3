// npm run bench -- memory [--gps-iterations=10] [--bptt-iterations=100] [--horizon=100]
//   [--unroll-coordinates=1000000] [--unroll-steps=20] [--chunk-size=N] [--only=gps|bptt|unroll]: memory
// of a per-coordinate GPS run and a BPTT run on the MNIST net (image-mlp, 48-48-10 on projected
// MNIST, minibatch 64: the generalization experiment's training objective, at a shorter horizon so
// the bench takes minutes). After every iteration it reads the process's RSS, the wasm heap and
// tf.memory().numTensors, and prints the growth from the second iteration to the last: memory that
// grows with iterations is a leak, and a live-tensor count that grows is a tfjs leak. Then one BPTT
// unroll (forward and backward) over a million coordinates in chunks of the default --chunk-size,
// with its peak wasm heap and RSS: a taped unroll of them all at once would need tens of GB.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/tf.ts';
import { createFamily } from '../envs/registry.ts';
import { initBackend } from '../src/backend.ts';
import { DEFAULT_GPS_CONFIG, defaultInitialNoise, defaultMetaObjective, type GpsConfig } from '../src/gps/badmm.ts';
import { divideTrainingSplit, trainGps } from '../src/gps/train.ts';
import { DEFAULT_BPTT_CONFIG } from '../src/supervised/bptt.ts';
import { trainBptt } from '../src/supervised/train.ts';
import { createPool, defaultWorkers, type TaskPool } from '../src/parallel/worker-pool.ts';
import { threadMemory, type ThreadMemory } from './thread-memory.ts';
import { threadId } from 'node:worker_threads';
import { CoordinatewiseLstm, DEFAULT_LSTM_CONFIG, disposeStates } from '../policies/coordinatewise-lstm.ts';
import { chunksOf, unroll } from '../src/supervised/unroll.ts';
import { quadraticTarget } from './lstm.ts';

// RSS grows with V8's heap until the collector runs, so growth in RSS alone is no leak; the JS heap
// in use right after a forced collection is (thread-memory.ts). The GPS run's worker threads are
// collected too before its RSS is read: each has a heap of its own.

interface Reading {
  iteration: number;
  rss: number;
  /** V8 heap in use after a full collection. */
  heap: number;
  wasm: number | null;
  tensors: number;
}

const THREAD_MEMORY = { module: new URL('./thread-memory.ts', import.meta.url).href, name: 'threadMemory' };

/** A reading summed over the pool's threads and this one (each collected first), with the process's RSS after. */
async function readPool(iteration: number, pool: TaskPool): Promise<Reading> {
  const threads = await pool.everyThread!<ThreadMemory>(THREAD_MEMORY, null);
  // A pool that keeps this thread free did not read it.
  if (!threads.some((t) => t.threadId === threadId)) threads.push(threadMemory());
  const sum = (f: (t: ThreadMemory) => number) => threads.reduce((total, t) => total + f(t), 0);
  return {
    iteration,
    rss: process.memoryUsage().rss,
    heap: sum((t) => t.heap),
    wasm: threads.every((t) => t.wasm === null) ? null : sum((t) => t.wasm ?? 0),
    tensors: sum((t) => t.tensors),
  };
}

function read(iteration: number): Reading {
  const { heap, wasm, tensors } = threadMemory();
  return { iteration, rss: process.memoryUsage().rss, heap, wasm, tensors };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

function report(name: string, readings: Reading[]): void {
  const second = readings[1];
  const last = readings[readings.length - 1];
  const growth = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
  console.log(`${name}: ${readings.length} iterations`);
  console.log(`  RSS        iteration 2 ${mb(second.rss)}, last ${mb(last.rss)} (${growth(second.rss, last.rss)}), peak ${mb(Math.max(...readings.map((r) => r.rss)))}`);
  console.log(`  JS heap    iteration 2 ${mb(second.heap)}, last ${mb(last.heap)} (${growth(second.heap, last.heap)}), in use after a full collection`);
  if (second.wasm !== null && last.wasm !== null) console.log(`  wasm heap  iteration 2 ${mb(second.wasm)}, last ${mb(last.wasm)} (${growth(second.wasm, last.wasm)}; it never shrinks, so the last is the peak)`);
  console.log(`  tensors    iteration 2 ${second.tensors}, last ${last.tensors}${last.tensors > second.tensors ? ' (GROWING)' : ''}`);
}

export async function benchMemory(args: string[]): Promise<void> {
  const option = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const horizon = option('horizon', 100);
  const only = args.find((a) => a.startsWith('--only='))?.split('=')[1];
  const backend = await initBackend();
  const unrollBench = () => chunkedUnroll(option('unroll-coordinates', 1_000_000), option('unroll-steps', 20), option('chunk-size', DEFAULT_BPTT_CONFIG.chunkSize), backend);
  if (only === 'unroll') return unrollBench();
  const params = { dataset: 'mnist', project: 48, hidden: '48', batchSize: 64, trainSize: 8, testSize: 4 };
  const family = createFamily('image-mlp', params);
  const identity = { env: 'image-mlp', envParams: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) };
  console.log(`MNIST net (image-mlp ${JSON.stringify(params)}), horizon ${horizon}, tfjs backend ${backend}`);
  const base = mkdtempSync(join(tmpdir(), 'l2o-bench-memory-'));

  const gpsReadings: Reading[] = [];
  const config: GpsConfig = {
    ...DEFAULT_GPS_CONFIG,
    ...divideTrainingSplit(family, { conditions: 4 }),
    coordinatewise: true,
    initialNoise: defaultInitialNoise(true),
    metaObjective: defaultMetaObjective(true),
    horizon,
    samples: 5,
    iterations: option('gps-iterations', 10),
    policyIterations: 300,
    validationSteps: horizon,
    seed: 'bench-memory',
  };
  if (only !== 'bptt') {
    const pool = createPool(defaultWorkers());
    try {
      await trainGps({
        config,
        family,
        identity,
        out: join(base, 'gps'),
        resume: false,
        pool,
        onIteration: async (log) => void gpsReadings.push(await readPool(log.iteration + 1, pool)),
      });
    } finally {
      await pool.close();
    }
    report(`per-coordinate GPS (${pool.size} threads; heaps and tensors summed over them, each collected before the RSS is read)`, gpsReadings);
  }
  if (only === 'gps') return;

  const bpttReadings: Reading[] = [];
  await trainBptt({
    config: { ...DEFAULT_BPTT_CONFIG, horizon, iterations: option('bptt-iterations', 100), batch: 4, validationProblems: 4, validateEvery: 10, seed: 'bench-memory' },
    family,
    identity,
    out: join(base, 'bptt'),
    resume: false,
    onIteration: (log) => bpttReadings.push(read(log.iteration + 1)),
  });
  report('BPTT', bpttReadings);
  if (only !== 'bptt') unrollBench();
}

/** One unroll of the default coordinatewise LSTM over `coordinates` of a separable quadratic, chunked as BPTT training chunks it. */
function chunkedUnroll(coordinates: number, steps: number, chunkSize: number, backend: string): void {
  const lstm = new CoordinatewiseLstm(DEFAULT_LSTM_CONFIG, 'bench-memory');
  const target = quadraticTarget(coordinates);
  const gradient = target.advance(new Float32Array(coordinates)).gradient;
  const chunks = chunksOf(coordinates, chunkSize);
  const tensorsBefore = tf.memory().numTensors;
  const states = chunks.map((c) => lstm.initialState(c.end - c.start));
  const started = Date.now();
  const out = unroll(lstm, target, states, chunks, gradient, steps);
  const seconds = (Date.now() - started) / 1000;
  const finite = out.grads.every((g) => Number.isFinite(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0])));
  tf.dispose(out.grads);
  disposeStates([...states, ...out.states]);
  const after = read(0);
  console.log(`BPTT unroll: ${coordinates.toLocaleString('en')} coordinates × ${steps} steps in ${chunks.length} chunks of ${chunkSize}, forward and backward, ${seconds.toFixed(1)} s (tfjs backend ${backend})`);
  console.log(`  meta-gradients ${finite ? 'finite' : 'NOT FINITE'}; live tensors ${tensorsBefore} before, ${after.tensors} after`);
  if (after.wasm !== null) console.log(`  peak wasm heap ${mb(after.wasm)} of 4096 MB (it never shrinks)`);
  console.log(`  peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
}
