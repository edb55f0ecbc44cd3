// npm run bench -- distill [--runs=9]: one GPS distillation (PolicyNetwork(23, 50, 3).fit, 1000 Adam
// steps at minibatch 64 on 16,000 rows and the closing full-data loss, as peers' workload 3) in this
// thread alone and with a pool worker computing the second half of each step's gradient
// (src/kernels/split-gradient.ts), the two taking turns; medians after one warm-up fit each, and
// whether the two gave the same weights and loss. Each fit is a fresh network on rows the helper has
// not seen, as GPS's first fit of an iteration (its later fits reuse the helper's copy of the rows).
import { PolicyNetwork } from '../policies/policy-network.ts';
import { GRADIENT_HELPER_TASK } from '../src/kernels/split-gradient.ts';
import { createPool } from '../src/parallel/worker-pool.ts';
import { Rng } from '../src/random.ts';
import { distillationData } from './peers.ts';
import { formatSeconds, median } from './timing.ts';

export async function benchDistill(args: string[]): Promise<void> {
  const runs = Math.max(1, Number(args.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 9));
  const data = distillationData(16000);
  const pool = createPool(2);
  try {
    await pool.started?.();
    const fit = (helper: boolean) => {
      const network = new PolicyNetwork(23, 50, 3, new Rng('bench-distill-init'));
      const started = process.hrtime.bigint();
      const loss = network.fit(data, {
        iterations: 1000,
        batchSize: 64,
        learningRate: 1e-3,
        rng: new Rng('bench-distill-fit'),
        gradientHelper: helper ? (payload) => pool.runOnWorker!(GRADIENT_HELPER_TASK, payload) : undefined,
      });
      return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result: JSON.stringify([loss, network.toJSON()]) };
    };
    const times = { alone: [] as number[], helper: [] as number[] };
    const results = new Set<string>();
    for (let r = 0; r <= runs; r++) {
      for (const helper of [false, true]) {
        const { seconds, result } = fit(helper);
        results.add(result);
        if (r > 0) times[helper ? 'helper' : 'alone'].push(seconds);
        // Let the helper's item end before the next fit.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const alone = median(times.alone);
    const helped = median(times.helper);
    console.log(`distillation, 1000 steps on 16,000 rows (23-50-3, batch 64), medians of ${runs}:`);
    console.log(`  this thread alone      ${formatSeconds(alone).padStart(10)}  (runs: ${times.alone.map((t) => (t * 1e3).toFixed(0)).join(', ')} ms)`);
    console.log(`  with a helper thread   ${formatSeconds(helped).padStart(10)}  ${(alone / helped).toFixed(2)}× faster  (runs: ${times.helper.map((t) => (t * 1e3).toFixed(0)).join(', ')} ms)`);
    console.log(`  weights and loss ${results.size === 1 ? 'bit-identical' : 'DIFFER'} with and without the helper`);
  } finally {
    await pool.close();
  }
}
