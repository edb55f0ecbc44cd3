// npm run bench -- <name>: gps (one GPS iteration, split by phase), linalg (kernels vs ml-matrix) or
// lstm (the BPTT optimizer's unroll and an MLP step against PyTorch's times).
import { benchGps } from './gps.ts';
import { benchLinalg } from './linalg.ts';
import { benchLstm } from './lstm.ts';

const [name, ...rest] = process.argv.slice(2);
const benches: Record<string, () => void | Promise<void>> = {
  gps: () => benchGps(rest),
  linalg: benchLinalg,
  lstm: () => benchLstm(rest),
};
const run = name ? benches[name] : undefined;
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(1);
}
await run();
