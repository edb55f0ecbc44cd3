// One GPS iteration at the default logreg setting (DEFAULT_GPS_CONFIG; --conditions=N to vary it), split
// into sampling / dynamics / LQR / policy, for each worker count. The first iteration has no policy
// coupling (as in cbfinn/gps), so the second is the typical one; both are printed.
import { createFamily } from '../envs/registry.ts';
import { initBackend } from '../src/backend.ts';
import { DEFAULT_GPS_CONFIG, GuidedPolicySearch, type GpsConfig, type IterationLog } from '../src/gps/badmm.ts';
import { createPool } from '../src/parallel/worker-pool.ts';
import type { ObjectiveFamily } from '../envs/objective.ts';
import { divideTrainingSplit } from '../src/gps/train.ts';
import { ceilingReading } from './ceiling.ts';
import { busyShare, EVENT_LOOP_UTILIZATION } from './thread-busy.ts';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { benchLearnedStep } from './learned-step.ts';
import { median } from '../src/vector.ts';

/** The benchmark's family and config: DEFAULT_GPS_CONFIG on logreg (also run by bench/peers.ts). */
export function gpsBenchSetup(requestedConditions?: number): { family: ObjectiveFamily; config: GpsConfig } {
  const family = createFamily('logreg');
  // The split as l2o train divides it, so --conditions=80 holds out the 10 left rather than the default's 70.
  const { conditions, validation } = divideTrainingSplit(family, { conditions: requestedConditions });
  return { family, config: { ...DEFAULT_GPS_CONFIG, conditions, validation, seed: 'bench' } };
}

/** The iteration log without its clock readings: what must match across worker counts. */
function outcome(log: IterationLog): string {
  const { seconds: _seconds, timing: _timing, ...rest } = log;
  return JSON.stringify(rest);
}

/**
 * `npm run bench -- gps [--conditions=N] [--workers=1,2] [--iterations=4]` (or `--paired`, below): the iterations of a fresh
 * run per worker count, their phases, the median of the iterations after the first (this VM's speed
 * moves by 20% between runs, so one iteration is a noisy reading) and its speed-up over the first
 * count, and whether every count produced the same iterations. With --coordinatewise: the
 * per-coordinate learned step against an SGD step instead (learned-step.ts).
 */
export async function benchGps(args: string[]): Promise<void> {
  if (args.includes('--coordinatewise')) return benchLearnedStep(args);
  if (args.some((a) => a.startsWith('--paired'))) return benchPaired(args);
  const backend = await initBackend();
  const requested = args.find((a) => a.startsWith('--conditions='))?.split('=')[1];
  const workerCounts = (args.find((a) => a.startsWith('--workers='))?.split('=')[1] ?? '1,2').split(',').map(Number);
  const iterations = Math.max(2, Number(args.find((a) => a.startsWith('--iterations='))?.split('=')[1] ?? 4));
  const { family, config } = gpsBenchSetup(requested === undefined ? undefined : Number(requested));
  console.log(`GPS on logreg: ${config.conditions} conditions, T = ${config.horizon}, M = ${config.samples}, H = ${config.historyLength}, ${config.innerIterations} inner iterations, tfjs backend ${backend}`);
  // "cores": the process's CPU time (every thread's) over the iteration's wall time. With one
  // worker it is above 1: V8's garbage collection runs partly on helper threads, which then use the
  // second core, and with two workers compete with them for it (docs/performance.md).
  console.log('workers  iteration   total  sampling  dynamics     LQR  policy   (seconds)  cores');
  const seconds: number[] = [];
  const outcomes: string[] = [];
  for (const workers of workerCounts) {
    const pool = createPool(workers);
    try {
      const gps = await GuidedPolicySearch.create(config, family, pool);
      let record = '';
      const typical: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const cpu = process.cpuUsage();
        const log = await gps.runIteration();
        const used = process.cpuUsage(cpu);
        const cores = (used.user + used.system) / 1e6 / log.seconds;
        const t = log.timing;
        console.log(`${String(workers).padStart(7)} ${String(i + 1).padStart(10)} ${log.seconds.toFixed(2).padStart(7)} ${t.sampling.toFixed(2).padStart(9)} ${t.dynamics.toFixed(2).padStart(9)} ${t.lqr.toFixed(2).padStart(7)} ${t.policy.toFixed(2).padStart(7)} ${cores.toFixed(2).padStart(16)}`);
        record += outcome(log);
        if (i >= 1) typical.push(log.seconds);
      }
      seconds.push(median(typical));
      outcomes.push(record + JSON.stringify(gps.network.toJSON()));
    } finally {
      await pool.close();
    }
  }
  workerCounts.forEach((workers, k) => {
    const speed = k === 0 ? '' : `, ${(seconds[0] / seconds[k]).toFixed(2)}× the speed of ${workerCounts[0]}; iterations and policy ${outcomes[k] === outcomes[0] ? 'bit-identical' : 'DIFFER'}`;
    console.log(`iterations 2-${iterations} with ${workers} worker${workers === 1 ? '' : 's'}: median ${seconds[k].toFixed(2)} s${speed}`);
  });
}

/**
 * `npm run bench -- gps --paired[=iterations]`: a 1-worker and a 2-worker run of the same training,
 * taking turns iteration by iteration, so that the VM's slow and fast spells fall on both counts
 * alike; the median of the per-iteration ratios after the first, and whether the runs agree. After
 * each pair, a reading of the machine's own two-thread ceiling (ceiling.ts), so the ratio can be read
 * against what two threads of pure arithmetic reach in the same minute.
 */
async function benchPaired(args: string[]): Promise<void> {
  const backend = await initBackend();
  const iterations = Math.max(3, Number(args.find((a) => a.startsWith('--paired='))?.split('=')[1] ?? 8));
  const { family, config } = gpsBenchSetup();
  console.log(`GPS on logreg, 1 and 2 workers in turns: ${config.conditions} conditions, T = ${config.horizon}, ${iterations} iterations, tfjs backend ${backend}`);
  const pools = [createPool(1), createPool(2)];
  try {
    await pools[1].started?.();
    const runs = await Promise.all(pools.map((pool) => GuidedPolicySearch.create(config, family, pool)));
    const ratios: number[] = [];
    const seconds: [number[], number[]] = [[], []];
    let agree = true;
    // "ceiling": two threads against one on pure arithmetic, read after each pair (ceiling.ts).
    // "worker busy": the share of the 2-worker iteration its worker thread was not waiting (thread-busy.ts).
    const ceilings: number[] = [];
    const busy: number[] = [];
    const workerUtilization = async () => (await pools[1].everyThread!<EventLoopUtilization>(EVENT_LOOP_UTILIZATION, null)).at(-1)!;
    console.log('iteration  1 worker  2 workers  ratio  ceiling  worker busy');
    for (let i = 0; i < iterations; i++) {
      const one = await runs[0].runIteration();
      const before = await workerUtilization();
      const two = await runs[1].runIteration();
      const share = busyShare(before, await workerUtilization());
      agree &&= outcome(one) === outcome(two);
      const machine = await ceilingReading(pools[1]);
      console.log(`${String(i + 1).padStart(9)} ${one.seconds.toFixed(2).padStart(9)} ${two.seconds.toFixed(2).padStart(10)} ${(one.seconds / two.seconds).toFixed(2).padStart(6)} ${machine.toFixed(2).padStart(8)} ${`${(100 * share).toFixed(0)}%`.padStart(12)}`);
      if (i === 0) continue;
      ceilings.push(machine);
      busy.push(share);
      ratios.push(one.seconds / two.seconds);
      seconds[0].push(one.seconds);
      seconds[1].push(two.seconds);
    }
    agree &&= JSON.stringify(runs[0].network.toJSON()) === JSON.stringify(runs[1].network.toJSON());
    console.log(`iterations 2-${iterations}: medians ${median(seconds[0]).toFixed(2)} s and ${median(seconds[1]).toFixed(2)} s; median ratio ${median(ratios).toFixed(2)}× (the machine's ceiling ${median(ceilings).toFixed(2)}×), the worker busy ${(100 * median(busy)).toFixed(0)}% of an iteration; iterations and policy ${agree ? 'bit-identical' : 'DIFFER'}`);
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
