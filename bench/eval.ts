// npm run bench -- eval [--workers=1,2] [--warm-runs=3] [--cli-runs=3]: l2o eval's comparison of the 8 hand-designed
// optimizers, each tuned on the 90 training problems of logreg and run on the 100 test problems (100
// steps), with 1 worker and with 2; the time with the pool's start and without it, and whether the
// reports are identical; then in steady state (pools kept and warm, --warm-runs each). Then the same
// comparison as a user runs it, the compiled `l2o eval` end to end (process start, tuning, runs), the
// median of --cli-runs runs per worker count taken in turns.
import { createFamily } from '../envs/registry.ts';
import { HAND_DESIGNED } from '../policies/hand-designed.ts';
import { compareOptimizers } from '../src/evaluate/compare.ts';
import { createPool } from '../src/parallel/worker-pool.ts';
import { BIN, DIST, formatSeconds, median } from './timing.ts';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export async function benchEval(args: string[]): Promise<void> {
  // As l2o eval on logreg: hand-designed optimizers on a plain-JavaScript family load no tfjs, here or in the workers.
  const backend = 'none';
  const counts = (args.find((a) => a.startsWith('--workers='))?.split('=')[1] ?? '1,2').split(',').map(Number);
  const family = createFamily('logreg');
  const contenders = HAND_DESIGNED.map((o) => ({ name: o.name }));
  console.log(`l2o eval on logreg: ${contenders.length} optimizers tuned on 90 training problems, run on 100 test problems, 100 steps; tfjs not loaded`);
  console.log('workers  with pool start  without   speed-up (without)');
  const reports: string[] = [];
  const times: number[] = [];
  for (const workers of counts) {
    const started = process.hrtime.bigint();
    const pool = createPool(workers, { tfjs: false });
    // Let the worker threads start (module loading) so the second figure is the comparison's alone.
    await pool.started?.();
    const warm = process.hrtime.bigint();
    const report = await compareOptimizers(contenders, { family, split: 'test', steps: 100, problems: 100, seed: '2', backend, pool });
    const done = process.hrtime.bigint();
    await pool.close();
    reports.push(JSON.stringify(report));
    const withStart = Number(done - started) / 1e9;
    const without = Number(done - warm) / 1e9;
    times.push(without);
    console.log(`${String(workers).padStart(7)} ${formatSeconds(withStart).padStart(16)} ${formatSeconds(without).padStart(8)} ${`${(times[0] / without).toFixed(2)}×`.padStart(20)}`);
  }
  console.log(`reports ${reports.every((r) => r === reports[0]) ? 'bit-identical' : 'DIFFER'} across worker counts`);
  const warmRuns = Number(args.find((a) => a.startsWith('--warm-runs='))?.split('=')[1] ?? 3);
  await benchEvalWarm(counts, warmRuns, (pool) => compareOptimizers(contenders, { family, split: 'test', steps: 100, problems: 100, seed: '2', backend, pool }));
  benchEvalCli(counts, Number(args.find((a) => a.startsWith('--cli-runs='))?.split('=')[1] ?? 3));
}

/**
 * The same comparison in steady state: each worker count's pool kept from run to run, so every thread
 * has compiled the optimizers' code once already; the counts take turns (the VM's speed drifts), and
 * the first run of each is a warm-up, not timed. The figures above include each worker's first pass
 * through that code, which a one-off `l2o eval` pays and a library caller comparing again does not.
 */
async function benchEvalWarm(counts: number[], runs: number, compare: (pool: ReturnType<typeof createPool>) => Promise<unknown>): Promise<void> {
  if (runs < 1) return;
  const pools = counts.map((n) => createPool(n, { tfjs: false }));
  try {
    await Promise.all(pools.map((pool) => pool.started?.()));
    for (const pool of pools) await compare(pool);
    const times = counts.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      for (const [k, pool] of pools.entries()) {
        const started = process.hrtime.bigint();
        await compare(pool);
        times[k].push(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    console.log(`\nsteady state (pools kept, one warm-up run each, then ${runs} in turns), median:`);
    const first = median(times[0]);
    counts.forEach((workers, k) => {
      const m = median(times[k]);
      console.log(`  --workers ${workers}  ${formatSeconds(m).padStart(8)}  ${(first / m).toFixed(2)}×  (runs: ${times[k].map((t) => t.toFixed(2)).join(', ')} s)`);
    });
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

function benchEvalCli(counts: number[], runs: number): void {
  if (!existsSync(DIST)) return void console.log('the compiled CLI is not built (npm run build): its timing is skipped');
  const args = [BIN, 'eval', '--env', 'logreg', '--optimizers', HAND_DESIGNED.map((o) => o.name).join(','), '--seed', '2'];
  const times = new Map(counts.map((n) => [n, [] as number[]]));
  const outputs = new Set<string>();
  for (let r = 0; r < runs; r++) {
    for (const workers of counts) {
      const started = process.hrtime.bigint();
      const result = spawnSync(process.execPath, [...args, '--workers', String(workers)], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`l2o eval failed: ${result.stderr}`);
      times.get(workers)!.push(Number(process.hrtime.bigint() - started) / 1e9);
      outputs.add(result.stdout);
    }
  }
  console.log(`\nl2o eval --env logreg --optimizers <the ${HAND_DESIGNED.length}> --seed 2 (compiled CLI, start to end), median of ${runs}:`);
  const first = median(times.get(counts[0])!);
  for (const workers of counts) {
    const m = median(times.get(workers)!);
    console.log(`  --workers ${workers}  ${formatSeconds(m).padStart(8)}  ${(first / m).toFixed(2)}×  (runs: ${times.get(workers)!.map((t) => t.toFixed(2)).join(', ')} s)`);
  }
  console.log(`  printed reports ${outputs.size === 1 ? 'identical' : 'DIFFER'} across worker counts and runs`);
}
