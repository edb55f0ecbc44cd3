// The MLP classifier objective (tfjs) on the small-net family's Gaussian clouds: the same problem
// as `small-net` at any width and depth, and the bridge to the dataset-backed MLP objectives.
import { Rng } from '../src/random.ts';
import { checkPointCount, labelledClouds } from './gaussian-clusters.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';
import { mlpLayerSizes, mlpObjective, mlpParameterCount } from './mlp-classifier.ts';
import { mlpParams, mlpSpecFromParams } from './mlp-params.ts';

export const mlpGaussians: FamilyDefinition = {
  name: 'mlp-gaussians',
  tfjs: true,
  description: 'tfjs MLP classifier on Gaussian clouds with random binary labels (configurable net and minibatch)',
  params: {
    ...mlpParams({ hidden: '8', activation: 'relu', batchSize: 0, batchNote: '0 = full batch', lambda: 0.0005 }),
    clusters: { kind: 'integer', default: 4, min: 1, max: 1000, description: 'number of Gaussian clouds' },
    pointsPerCluster: { kind: 'integer', default: 25, min: 1, max: 1_000_000, description: 'points per cloud' },
    meanStd: { kind: 'number', default: 1, min: 0, description: 'cloud means ~ N(0, meanStd²·I)' },
    ...splitParams(80, 100),
  },
  create(p) {
    checkPointCount('mlp-gaussians', p.clusters as number, p.pointsPerCluster as number);
    const spec = mlpSpecFromParams(p);
    const dim = mlpParameterCount(mlpLayerSizes(2, spec, 2));
    return {
      name: 'mlp-gaussians',
      dim,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('mlp-gaussians', p.instanceSeed as number, split, index));
        const { points, labels } = labelledClouds(rng, p.clusters as number, p.pointsPerCluster as number, p.meanStd as number);
        const data = { inputs: Float32Array.from(points), labels: Int32Array.from(labels), inputDim: 2, classes: 2 };
        return mlpObjective(`mlp-gaussians/${split}/${index}`, data, spec);
      },
    };
  },
};
