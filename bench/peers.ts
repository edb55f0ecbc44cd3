// Our hot paths against PyTorch on the same shapes, in one table (npm run bench -- peers):
//   1. a 20-step unroll (forward + backward) of the 2-layer, 20-unit coordinatewise LSTM over 10,000 coordinates;
//   2. one SGD step of an MLP 784-48-10 (sigmoid, softmax cross-entropy) at minibatch 64;
//   3. a GPS distillation: PolicyNetwork(23, 50, 3).fit, 1000 Adam steps at minibatch 64 on 16,000 rows;
//   4. one per-coordinate GPS step (incl. the gradient) on the image-mlp "larger net", CIFAR-10
//      100-200-10 (22,210 weights), and one SGD step on the same objective;
//   5. one GPS iteration at the default logreg setting (ours only).
// PyTorch runs bench/peers.py under Debian's /usr/bin/python3 (python3-torch), one thread, before
// ours in each round; without it the PyTorch column is left out. Each of our workloads runs in its own process,
// so its peak RSS and peak wasm heap (wasm memory never shrinks: its size at the end is the peak)
// are its own. Options: --quick (one timed run each: a smoke test, not a measurement),
// --only=unroll,mlp,distill,learned-step,sgd-step,gps, --data-dir=DIR (CIFAR-10; default ../shared/data),
// --rounds=N (every workload N times in turns; each ratio is the median of the rounds', with their range).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tf } from '../src/tf.ts';
import { createFamily } from '../envs/registry.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import type { Objective } from '../envs/objective.ts';
import { GradientDescent } from '../policies/first-order.ts';
import { CoordinatewiseGpsPolicy } from '../policies/gps-policy.ts';
import type { Policy } from '../policies/policy.ts';
import { initBackend } from '../src/backend.ts';
import { resolveDataDir } from '../src/data/data-dir.ts';
import { DEFAULT_GPS_CONFIG, GuidedPolicySearch } from '../src/gps/badmm.ts';
import { PolicyNetwork, type DistillationData } from '../policies/policy-network.ts';
import { FEATURES_PER_LAG } from '../envs/coordinate-history.ts';
import { Rng } from '../src/random.ts';
import { gpsBenchSetup } from './gps.ts';
import { createPool, defaultWorkers } from '../src/parallel/worker-pool.ts';
import { benchMlpStep, benchUnroll } from './lstm.ts';
import { formatSeconds, medianSeconds } from './timing.ts';
import { median } from '../src/vector.ts';

const PYTHON = '/usr/bin/python3';
const PEERS_PY = fileURLToPath(new URL('./peers.py', import.meta.url));
const MAIN_TS = fileURLToPath(new URL('./main.ts', import.meta.url));
const SHARED_DATA = fileURLToPath(new URL('../../shared/data', import.meta.url));
const RESULT_MARKER = 'PEERS-RESULT ';

// The image-mlp "larger net" of experiments/generalization.ts (project 100, hidden 200) at its minibatch 64.
const LARGER_NET = { dataset: 'cifar10', project: 100, hidden: '200', batchSize: 64 };
const H = DEFAULT_GPS_CONFIG.historyLength;
const SCALING = DEFAULT_GPS_CONFIG.gradientScaling;

interface Timing {
  seconds: number;
  repeats: number;
  extra?: Record<string, number>;
}

interface WorkerResult extends Timing {
  peakRss: number;
  wasmHeap: number | null;
  /** RSS once tfjs is loaded, before the workload. */
  idleRss: number;
}

interface Options {
  quick: boolean;
  dataDir: string;
}

interface Workload {
  id: string;
  label: string;
  /** Whether bench/peers.py has a peer for it. */
  peer: boolean;
  run(options: Options): Timing | Promise<Timing>;
}

function repeats(options: Options, n: number): number {
  return options.quick ? 1 : n;
}

/** Warm-up (kernel compilation, heap growth), then the median of `n` runs. */
function timed(options: Options, n: number, run: () => void, warmUp: () => void = run): Timing {
  warmUp();
  const count = repeats(options, n);
  return { seconds: medianSeconds(count, run), repeats: count };
}

/** 16,000 synthetic distillation rows: o ∈ R²³, targets ∈ R³, Uᵀ upper triangular with a positive diagonal, w ~ 1. */
export function distillationData(rows: number): DistillationData {
  const rng = new Rng('bench-peers-distill-data');
  const dU = 3;
  const precisionFactors = Array.from({ length: rows }, () => {
    const u = new Float64Array(dU * dU);
    for (let a = 0; a < dU; a++) for (let b = a; b < dU; b++) u[a * dU + b] = a === b ? Math.abs(rng.normal()) + 0.5 : 0.3 * rng.normal();
    return u;
  });
  return {
    observations: Array.from({ length: rows }, () => rng.normalVector(23)),
    targets: Array.from({ length: rows }, () => rng.normalVector(dU)),
    precisionFactors,
    weights: Float64Array.from({ length: rows }, () => rng.uniformIn(0.5, 1.5)),
  };
}

function largerNetObjective(dataDir: string): Objective {
  return createFamily('image-mlp', { ...LARGER_NET, dataDir }).sample('test', 0);
}

/** One policy step as the evaluator takes it: act, then x + Δx and its gradient (env.step). */
function timeSteps(options: Options, n: number, policy: Policy, objective: Objective): Timing {
  const env = new OptimizationEnv({ historyLength: 1 });
  const rng = new Rng('bench-peers-steps');
  let restarts = 0;
  const start = () => {
    const observation = env.reset(objective, rng.fork(`start-${restarts}`));
    policy.reset(objective, rng.fork(`policy-${restarts}`));
    return observation;
  };
  let observation = start();
  const timing = timed(options, n, () => {
    const result = env.step(policy.act(observation));
    observation = result.observation;
    if (result.done) {
      restarts++; // diverged: start again (counted in the time, reported below)
      observation = start();
    }
  });
  objective.dispose?.();
  return { ...timing, extra: { dim: objective.dim, restarts } };
}

const WORKLOADS: Workload[] = [
  {
    id: 'unroll',
    label: '1 LSTM unroll, 20 steps × 10,000 coords (fwd+bwd)',
    peer: true,
    run: (o) => timed(o, 9, benchUnroll(10000, 20)),
  },
  {
    id: 'mlp',
    label: '2 MLP 784-48-10 SGD step, batch 64',
    peer: true,
    run(o) {
      // 100 warm-up steps on both sides: a JIT reaches its steady state (what a training run sees)
      // only after many steps; after one, this step measured 0.95 ms instead of 0.72.
      const step = benchMlpStep(64);
      return timed(o, 1000, step, () => {
        for (let i = 0; i < 100; i++) step();
      });
    },
  },
  {
    id: 'distill',
    label: '3 distillation: 1000 Adam steps, 23-50-3, batch 64',
    peer: true,
    run(o) {
      const data = distillationData(16000);
      const rng = new Rng('bench-peers-distill');
      let k = 0;
      const fit = (iterations: number) => {
        const network = new PolicyNetwork(23, 50, 3, rng.fork(`init-${k}`));
        network.fit(data, { iterations, batchSize: 64, learningRate: 1e-3, rng: rng.fork(`fit-${k++}`) });
      };
      return timed(
        o,
        3,
        () => fit(1000),
        () => fit(20),
      );
    },
  },
  {
    id: 'learned-step',
    label: `4a per-coord GPS step (${FEATURES_PER_LAG * H}-${DEFAULT_GPS_CONFIG.hidden}-1) incl. gradient`,
    peer: true,
    run(o) {
      const network = new PolicyNetwork(FEATURES_PER_LAG * H, DEFAULT_GPS_CONFIG.hidden, 1, new Rng('bench-peers-policy'));
      return timeSteps(o, 30, new CoordinatewiseGpsPolicy(network, H, SCALING), largerNetObjective(o.dataDir));
    },
  },
  {
    id: 'sgd-step',
    label: '4b SGD step incl. gradient, same objective',
    peer: true,
    run: (o) => timeSteps(o, 50, new GradientDescent(0.1), largerNetObjective(o.dataDir)),
  },
  {
    id: 'gps',
    label: '5 GPS iteration, logreg default, all cores',
    peer: false,
    async run(o) {
      // The first iteration has no policy coupling, so the later ones are the typical ones; their
      // median, as bench/gps.ts reports it (one iteration is a noisy reading on a shared VM).
      const { family, config } = gpsBenchSetup();
      const pool = createPool(defaultWorkers());
      try {
        const gps = await GuidedPolicySearch.create(config, family, pool);
        const first = await gps.runIteration();
        if (o.quick) return { seconds: first.seconds, repeats: 1, extra: { iteration: 1, first: first.seconds, workers: pool.size } };
        const later: number[] = [];
        for (let i = 0; i < 3; i++) later.push((await gps.runIteration()).seconds);
        return { seconds: median(later), repeats: later.length, extra: { iteration: 2, first: first.seconds, workers: pool.size } };
      } finally {
        await pool.close();
      }
    },
  },
];

function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.length : null;
}

async function runWorker(id: string, options: Options): Promise<void> {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (!workload) throw new Error(`peers: no workload '${id}'`);
  await initBackend();
  const idleRss = process.memoryUsage().rss;
  const timing = await workload.run(options);
  const result: WorkerResult = { ...timing, peakRss: process.resourceUsage().maxRSS * 1024, wasmHeap: wasmHeapBytes(), idleRss };
  console.log(RESULT_MARKER + JSON.stringify(result));
}

interface PytorchResults {
  torch: string;
  threads: number;
  blas: string[];
  workloads: Record<string, { seconds: number; repeats: number }>;
}

function hasTorch(): boolean {
  const check = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 });
  return check.status === 0;
}

function runPytorch(ids: string[], quick: boolean): PytorchResults | string {
  const args = [PEERS_PY, `--only=${ids.join(',')}`, `--history=${H}`, `--scaling=${SCALING}`, ...(quick ? ['--quick'] : [])];
  const out = spawnSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (out.status !== 0) return `bench/peers.py failed (${out.error?.message ?? `exit code ${out.status}`})`;
  try {
    return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as PytorchResults;
  } catch {
    return 'bench/peers.py printed no JSON';
  }
}

function spawnWorker(id: string, args: string[]): WorkerResult | string {
  const out = spawnSync(process.execPath, [...process.execArgv, MAIN_TS, 'peers', `--worker=${id}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  const line = out.stdout?.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (out.status !== 0 || !line) return `failed (${out.error?.message ?? `exit code ${out.status}`})`;
  return JSON.parse(line.slice(RESULT_MARKER.length)) as WorkerResult;
}

/** The median of a row's per-round ratios, and their range when there are several rounds. */
function ratioCell(ratios: number[] | undefined): string {
  if (!ratios || ratios.length === 0) return '-';
  const m = `${median(ratios).toFixed(2)}×`;
  return ratios.length === 1 ? m : `${m} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
}

const megabytes = (bytes: number | null | undefined) => (bytes == null ? '-' : `${Math.round(bytes / 2 ** 20)} MB`);

export async function benchPeers(args: string[]): Promise<void> {
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const quick = args.includes('--quick');
  const dataDir = flag('data-dir') ?? (existsSync(SHARED_DATA) ? SHARED_DATA : resolveDataDir());
  const worker = flag('worker');
  if (worker) return runWorker(worker, { quick, dataDir });

  const only = flag('only')?.split(',');
  const workloads = only ? WORKLOADS.filter((w) => only.includes(w.id)) : WORKLOADS;
  if (workloads.length === 0) throw new Error(`peers: --only takes ${WORKLOADS.map((w) => w.id).join(',')}`);
  const backend = await initBackend();
  const forwarded = [...(quick ? ['--quick'] : []), `--data-dir=${dataDir}`];

  // Each round runs PyTorch's workloads (one process, in the order listed: its learned step is 3x
  // faster after the unroll's large allocations have raised glibc's mmap and trim thresholds than in
  // a fresh process, 7 against 20 ms, and that faster figure is the one we compare against) and then
  // ours, so that a slow spell of the VM (its speed moves by 20-25%) tends to fall on both columns;
  // a row's ratio is the median of its rounds' ratios, with their range when there are several
  // (--rounds=N).
  const rounds = Math.max(1, Number(flag('rounds') ?? 1));
  const notes: string[] = [];
  const torch = hasTorch();
  if (!torch) console.log(`PyTorch column skipped: ${PYTHON} cannot import torch (on Debian/Ubuntu: apt-get install python3-torch)`);
  const peers = workloads.filter((w) => w.peer).map((w) => w.id);
  let pytorch: PytorchResults | null = null;
  let pytorchFailed = false;
  const theirRuns = new Map<string, { seconds: number; repeats: number }[]>();
  const ourRuns = new Map<string, WorkerResult[]>();
  const ratioRuns = new Map<string, number[]>();
  const failures = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    const theirs = new Map<string, number>();
    if (torch && peers.length > 0 && !pytorchFailed) {
      console.error(`round ${round + 1}/${rounds}: bench/peers.py (PyTorch) ...`);
      const result = runPytorch(peers, quick);
      if (typeof result === 'string') {
        notes.push(`PyTorch column empty: ${result}`);
        pytorchFailed = true;
      } else {
        pytorch ??= result;
        for (const [id, entry] of Object.entries(result.workloads)) {
          theirs.set(id, entry.seconds);
          theirRuns.set(id, [...(theirRuns.get(id) ?? []), entry]);
        }
      }
    }
    for (const w of workloads) {
      console.error(`round ${round + 1}/${rounds}: ours ${w.id} ...`);
      const ours = spawnWorker(w.id, forwarded);
      if (typeof ours === 'string') failures.set(w.id, ours);
      else {
        ourRuns.set(w.id, [...(ourRuns.get(w.id) ?? []), ours]);
        const peer = theirs.get(w.id);
        if (peer !== undefined) ratioRuns.set(w.id, [...(ratioRuns.get(w.id) ?? []), ours.seconds / peer]);
      }
    }
  }
  // A failed PyTorch run empties the column, and with it the ratios of the rounds before it.
  if (pytorchFailed) {
    pytorch = null;
    ratioRuns.clear();
  }
  // A row's own figures: the median round's run (by time), the peak memory over all rounds.
  const results = new Map<string, WorkerResult | string>();
  for (const w of workloads) {
    const runs = ourRuns.get(w.id);
    if (!runs) results.set(w.id, failures.get(w.id) ?? 'failed');
    else {
      const typical = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
      results.set(w.id, { ...typical, peakRss: Math.max(...runs.map((r) => r.peakRss)), wasmHeap: runs.some((r) => r.wasmHeap !== null) ? Math.max(...runs.map((r) => r.wasmHeap ?? 0)) : null });
    }
    const theirs = theirRuns.get(w.id);
    if (pytorch && theirs) pytorch.workloads[w.id] = { repeats: theirs[0].repeats, seconds: median(theirs.map((t) => t.seconds)) };
  }

  console.log(
    `ours: tfjs ${backend}${backend === 'wasm' ? ` (${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD'}, ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'multithreaded' : '1 thread'})` : ''}` +
      (pytorch ? `; PyTorch ${pytorch.torch}, ${pytorch.threads} thread(s), BLAS ${pytorch.blas.join(', ') || 'unknown'}` : '') +
      `; medians${quick ? ' of ONE run each (--quick: a smoke test, not a measurement)' : ''}`,
  );
  const ratioWidth = rounds > 1 ? 20 : 12;
  const header = ['workload'.padEnd(52), 'ours (median)'.padStart(13), 'PyTorch (median)'.padStart(16), 'ours/PyTorch'.padStart(ratioWidth), 'peak RSS'.padStart(9), 'peak wasm heap'.padStart(14)];
  console.log(header.join('  '));
  for (const w of workloads) {
    const ours = results.get(w.id)!;
    const theirs = w.peer ? pytorch?.workloads[w.id] : undefined;
    if (typeof ours === 'string') notes.push(`${w.id}: ${ours}`);
    const o = typeof ours === 'string' ? null : ours;
    const cells = [
      w.label.padEnd(52),
      (o ? formatSeconds(o.seconds) : '-').padStart(13),
      (theirs ? formatSeconds(theirs.seconds) : '-').padStart(16),
      ratioCell(ratioRuns.get(w.id)).padStart(ratioWidth),
      megabytes(o?.peakRss).padStart(9),
      megabytes(o?.wasmHeap).padStart(14),
    ];
    console.log(cells.join('  '));
  }

  if (pytorch?.blas.some((path) => path.includes('/blas/libblas.so'))) {
    notes.push("PyTorch's BLAS is Debian's reference (netlib) libblas3, so its matrix products are unoptimized (an OpenBLAS package, e.g. libopenblas0-pthread, takes over the libblas.so.3 alternative)");
  }
  const ok = (id: string) => {
    const r = results.get(id);
    return r && typeof r !== 'string' ? r : null;
  };
  const learned = ok('learned-step');
  const sgd = ok('sgd-step');
  if (learned || sgd) {
    const dim = learned?.extra?.dim ?? sgd?.extra?.dim;
    notes.push(
      `4: image-mlp ${LARGER_NET.dataset}, ${LARGER_NET.project}-${LARGER_NET.hidden}-10 ReLU (${dim} weights), batch ${LARGER_NET.batchSize}; ` +
        `GPS policy on ${FEATURES_PER_LAG * H} features per coordinate (H = ${H}, gradient scaling ${SCALING}), untrained weights; PyTorch: the same MLP's gradient on random inputs + the policy MLP batched over all coordinates`,
    );
  }
  if (learned && sgd) {
    const t = pytorch?.workloads;
    const theirs = t?.['learned-step'] && t['sgd-step'] ? `, PyTorch ${(t['learned-step'].seconds / t['sgd-step'].seconds).toFixed(2)}×` : '';
    notes.push(`learned step / SGD step: ours ${(learned.seconds / sgd.seconds).toFixed(2)}×${theirs}`);
  }
  for (const r of [learned, sgd]) if (r?.extra?.restarts) notes.push(`a step run diverged and restarted ${r.extra.restarts} time(s) inside the timing`);
  const gps = ok('gps');
  if (gps?.extra) notes.push(`5: ${gps.extra.iteration === 2 ? 'the median of iterations 2-4' : 'iteration 1'} of one run (${gpsBenchSetup().config.conditions} conditions, ${gps.extra.workers} threads)${gps.extra.iteration === 2 ? `; the first, without policy coupling, took ${formatSeconds(gps.extra.first)}` : ''}`);
  const idle = [...results.values()].flatMap((r) => (typeof r === 'string' ? [] : [r.idleRss]));
  if (idle.length > 0) notes.push(`peak RSS and wasm heap per workload, each in its own process (RSS with tfjs loaded, before any workload: ${megabytes(Math.min(...idle))})`);
  for (const note of notes) console.log(`  ${note}`);
}
