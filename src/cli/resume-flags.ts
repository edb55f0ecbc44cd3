// `l2o train --resume` continues a run with the settings it was started with; a flag given on the
// command line that says otherwise would be silently ignored, so it is refused instead. Only flags
// the user typed count (a default is no contradiction), and only settings a run keeps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../atomic-file.ts';
import { UserError } from '../errors.ts';

/** A flag and where its value sits in the saved config (a dotted path), with the value now asked for. */
export interface ResumedSetting {
  flag: string;
  path: string;
  value: unknown;
  /** What a checkpoint written before the setting existed ran with. */
  fallback: unknown;
}

/** Whether `--flag` (or `--flag=…`, or `--no-flag`) is among the command-line arguments. */
export function typed(argv: readonly string[], flag: string): boolean {
  return argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`) || a === `--no-${flag}`);
}

export function refuseContradictingFlags(out: string, argv: readonly string[], settings: ResumedSetting[]): void {
  const path = join(out, 'state.json');
  if (!existsSync(path)) return;
  let saved: { config?: Record<string, unknown> };
  try {
    saved = readJsonFile(path, 'checkpoint') as { config?: Record<string, unknown> };
  } catch {
    return; // the trainer reports a broken checkpoint in its own words
  }
  for (const { flag, path: key, value, fallback } of settings) {
    if (!typed(argv, flag)) continue;
    let found: unknown = saved.config;
    for (const part of key.split('.')) found = (found as Record<string, unknown> | undefined)?.[part];
    const was = found ?? fallback;
    if (was !== value) {
      throw new UserError(`--${flag} ${String(value)} contradicts the run in ${out}, which was started with ${String(was)}; --resume keeps a run's settings (drop the flag, or train into another --out)`);
    }
  }
}

/** The iteration a run's state.json was saved after (GPS and BPTT alike), or 0 without one: where a resumed run starts. */
export function savedIteration(out: string): number {
  const path = join(out, 'state.json');
  if (!existsSync(path)) return 0;
  try {
    const { iteration } = readJsonFile(path, 'checkpoint') as { iteration?: unknown };
    return typeof iteration === 'number' && Number.isFinite(iteration) ? iteration : 0;
  } catch {
    return 0; // the trainer reports a broken checkpoint in its own words
  }
}
