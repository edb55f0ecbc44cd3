// npm run bench -- <name>: gps (one GPS iteration, split by phase) or linalg (kernels vs ml-matrix).
import { benchGps } from './gps.ts';
import { benchLinalg } from './linalg.ts';

const [name, ...rest] = process.argv.slice(2);
const benches: Record<string, () => void | Promise<void>> = {
  gps: () => benchGps(rest),
  linalg: benchLinalg,
};
const run = name ? benches[name] : undefined;
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(1);
}
await run();
