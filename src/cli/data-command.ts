// `l2o data list` shows where each dataset is looked for and whether it is there; `l2o data
// download NAME…` fetches the canonical archives into the data directory (SHA-256 checked, resumable).
import type { Argv } from 'yargs';
import { resolveDataDir } from '../data/data-dir.ts';
import type { DataSplit } from '../data/cifar.ts';
import { UserError } from '../errors.ts';

type Datasets = typeof import('../data/datasets.ts');

/** Each split's state: its record count, missing, or present but unreadable (truncated, foreign), with the loader's reason. */
function availability({ findDataset }: Datasets, name: string, dataDir: string): string {
  const dataset = findDataset(name);
  const states = (['train', 'test'] as DataSplit[]).map((split) => {
    try {
      return { split, count: dataset.load(split, dataDir).labels.length };
    } catch (err) {
      const message = (err as Error).message;
      // The loaders say "has no <file>" (or the OS says ENOENT) when a file is not there at all.
      return { split, problem: /has no |has neither |: no \/|ENOENT|no such file|not distributed/i.test(message) ? 'missing' : `unreadable: ${message}` };
    }
  });
  if (states.every((s) => 'count' in s)) return `present: ${states.map((s) => `${s.count} ${s.split}`).join(', ')}`;
  if (states.every((s) => s.problem === 'missing')) return 'missing';
  return states.map((s) => ('count' in s ? `${s.split} present (${s.count})` : `${s.split} ${s.problem}`)).join('; ');
}

function progressLine(file: string) {
  let last = -1;
  return (received: number, total: number) => {
    const percent = Math.floor((100 * received) / total);
    if (percent === last || !process.stderr.isTTY) return;
    last = percent;
    process.stderr.write(`\r${file}: ${percent}% of ${(total / 1e6).toFixed(1)} MB`);
    if (received >= total) process.stderr.write('\n');
  };
}

export const dataCommand = {
  command: 'data <action> [names..]',
  describe: 'list the image datasets, or download them into the data directory',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['list', 'download'] as const, describe: 'list or download' })
      .positional('names', { type: 'string', array: true, describe: 'datasets to download (none named: every one that has a download: mnist, cifar10, cifar100)' })
      .example('$0 data list   # where each dataset is looked for, and whether it is there', '')
      .example('# fetch, verify and unpack the official archives:', '')
      .example('$0 data download cifar10 cifar100 --data-dir ~/data', ''),
  async handler(args: { action?: 'list' | 'download'; names?: string[]; dataDir?: string }) {
    const dataDir = resolveDataDir(args.dataDir);
    const library = await import('../data/datasets.ts');
    const { DATASETS, findDataset, installDataset } = library;
    if (args.action === 'list') {
      console.log(`data directory: ${dataDir}`);
      for (const d of DATASETS) {
        const source = d.downloads.length > 0 ? 'l2o data download ' + d.name : d.manual;
        console.log(`${d.name}\n  ${d.description}\n  at ${d.locations(dataDir).join(' or ') || '(not distributed)'}: ${d.name === 'tfd' ? 'not distributed' : availability(library, d.name, dataDir)}\n  source: ${source}`);
      }
      return;
    }
    const names = args.names?.length ? args.names : DATASETS.filter((d) => d.downloads.length > 0).map((d) => d.name);
    const datasets = names.map(findDataset); // every name checked before any download starts
    const manual = datasets.find((d) => d.downloads.length === 0);
    if (manual) throw new UserError(`${manual.name}: nothing to download: ${manual.manual}`);
    for (const dataset of datasets) {
      process.stderr.write(`${dataset.name} → ${dataDir}\n`);
      await installDataset(dataset, dataDir, (line) => process.stderr.write(`  ${line}\n`), progressLine);
    }
  },
};
