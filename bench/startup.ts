// How long `l2o --help` (and `l2o eval --help`) takes from the compiled CLI, against Node starting
// with nothing to do, both timed here in turns: the median of 5 runs each (issue target ≤ 0.3 s).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BIN, DIST, median } from './timing.ts';

function seconds(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export function benchStartup(rest: string[]): void {
  if (!existsSync(DIST)) throw new Error('dist/ is not built: run npm run build first');
  const runs = Number(rest[0] ?? 5);
  const cases: [string, string[]][] = [
    ['node -e ""', ['-e', '']],
    ['l2o --help', [BIN, '--help']],
    ['l2o eval --help', [BIN, 'eval', '--help']],
    ['l2o train --help', [BIN, 'train', '--help']],
  ];
  const times = new Map(cases.map(([name]) => [name, [] as number[]]));
  seconds([BIN, '--help']); // warm the file cache
  for (let r = 0; r < runs; r++) for (const [name, args] of cases) times.get(name)!.push(seconds(args));
  const floor = median(times.get('node -e ""')!);
  console.log(`startup, median of ${runs} runs (${process.version}):`);
  for (const [name] of cases) {
    const m = median(times.get(name)!);
    console.log(`  ${name.padEnd(18)} ${m.toFixed(3)} s  (${(m / floor).toFixed(2)}× bare node)${name.startsWith('l2o') ? (m <= 0.3 ? '  ≤ 0.3 s' : '  > 0.3 s') : ''}`);
  }
}
