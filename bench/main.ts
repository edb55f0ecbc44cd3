// npm run bench -- <name>: ceiling (two threads against one on pure arithmetic: this machine's limit for any
// worker-count speed-up), eval (l2o eval with 1 and 2 workers), gps (one GPS iteration, split by
// phase, with 1 and 2 workers), distill (a GPS distillation alone and with a helper thread), gradient (one minibatch gradient of the MLP objectives), linalg (kernels vs ml-matrix),
// lstm (the BPTT optimizer's unroll and an MLP step against PyTorch's times) or peers (our workloads
// against PyTorch run in the same invocation, with peak memory) or memory (per-iteration memory of
// GPS and BPTT runs on the MNIST net) or startup (l2o --help from the compiled CLI).
import { benchCeiling } from './ceiling.ts';
import { benchDistill } from './distill.ts';
import { benchEval } from './eval.ts';
import { benchGps } from './gps.ts';
import { benchGradient } from './gradient.ts';
import { benchLinalg } from './linalg.ts';
import { benchLstm } from './lstm.ts';
import { benchMemory } from './memory.ts';
import { benchPeers } from './peers.ts';
import { benchStartup } from './startup.ts';

const [name, ...rest] = process.argv.slice(2);
const benches: Record<string, () => void | Promise<void>> = {
  ceiling: benchCeiling,
  distill: () => benchDistill(rest),
  eval: () => benchEval(rest),
  gps: () => benchGps(rest),
  gradient: () => benchGradient(rest),
  linalg: benchLinalg,
  lstm: () => benchLstm(rest),
  memory: () => benchMemory(rest),
  peers: () => benchPeers(rest),
  startup: () => benchStartup(rest),
};
const run = name ? benches[name] : undefined;
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(1);
}
await run();
