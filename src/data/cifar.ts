// CIFAR-10 and CIFAR-100 in the official "binary version" layout, as the canonical archives unpack:
// `cifar-10-batches-bin/data_batch_{1..5}.bin` + `test_batch.bin` (record: label, 3×1024 planar RGB)
// and `cifar-100-binary/{train,test}.bin` (record: coarse label, fine label, 3×1024 RGB).
// Inputs are the 3072 bytes in file order (R plane, G plane, B plane) scaled to [0, 1].
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { concatenateExamples, type ClassificationData } from './classification-data.ts';
import { labelledPixels, readFixedRecords } from './fixed-records.ts';

export type DataSplit = 'train' | 'test';
const PIXELS = 3 * 32 * 32;

export const CIFAR10_DIR = 'cifar-10-batches-bin';
export const CIFAR100_DIR = 'cifar-100-binary';

/** CIFAR-10: the training split is every `data_batch_N.bin` present (N = 1…5, in order). */
export function loadCifar10(split: DataSplit, dataDir: string): ClassificationData {
  const dir = join(dataDir, CIFAR10_DIR);
  const names = split === 'test' ? ['test_batch.bin'] : [1, 2, 3, 4, 5].map((n) => `data_batch_${n}.bin`).filter((n) => existsSync(join(dir, n)));
  if (names.length === 0 || !existsSync(join(dir, names[0]))) {
    throw new UserError(`CIFAR-10: ${dir} has no ${split === 'test' ? 'test_batch.bin' : 'data_batch_1.bin'}; run \`l2o data download cifar10 --data-dir ${dataDir}\``);
  }
  const parts = names.map((name) => {
    const path = join(dir, name);
    const { count, bytes } = readFixedRecords(path, 1 + PIXELS, 'CIFAR-10');
    return labelledPixels(bytes, count, 1, 0, PIXELS, 10, path);
  });
  return { ...concatenateExamples(parts), inputDim: PIXELS, classes: 10 };
}

/** CIFAR-100 with its 100 fine labels (or the 20 coarse ones). */
export function loadCifar100(split: DataSplit, dataDir: string, labels: 'fine' | 'coarse' = 'fine'): ClassificationData {
  const path = join(dataDir, CIFAR100_DIR, `${split}.bin`);
  if (!existsSync(path)) throw new UserError(`CIFAR-100: no ${path}; run \`l2o data download cifar100 --data-dir ${dataDir}\``);
  const { count, bytes } = readFixedRecords(path, 2 + PIXELS, 'CIFAR-100');
  const classes = labels === 'fine' ? 100 : 20;
  return { ...labelledPixels(bytes, count, 2, labels === 'fine' ? 1 : 0, PIXELS, classes, path), inputDim: PIXELS, classes };
}
