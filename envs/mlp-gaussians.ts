// The MLP classifier objective (tfjs) on the small-net family's Gaussian clouds: the same problem
// as `small-net` at any width and depth, and the bridge to the dataset-backed MLP objectives.
import { Rng } from '../src/random.ts';
import { UserError } from '../src/errors.ts';
import { labelledClouds } from './gaussian-clusters.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';
import { ACTIVATIONS, mlpLayerSizes, mlpObjective, mlpParameterCount, type Activation, type MlpSpec } from './mlp-classifier.ts';

export function parseHidden(text: string): number[] {
  const sizes = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new UserError(`hidden must be comma-separated positive integers, got '${text}'`);
  }
  return sizes;
}

export function parseActivation(text: string): Activation {
  if (!(ACTIVATIONS as readonly string[]).includes(text)) {
    throw new UserError(`activation must be one of ${ACTIVATIONS.join(', ')}, got '${text}'`);
  }
  return text as Activation;
}

export const mlpGaussians: FamilyDefinition = {
  name: 'mlp-gaussians',
  description: 'tfjs MLP classifier on Gaussian clouds with random binary labels (configurable net and minibatch)',
  params: {
    hidden: { kind: 'string', default: '8', description: 'hidden layer widths, comma-separated' },
    activation: { kind: 'string', default: 'relu', description: `hidden activation: ${ACTIVATIONS.join(', ')}` },
    batchSize: { kind: 'integer', default: 0, description: 'minibatch size (0 = full batch)' },
    lambda: { kind: 'number', default: 0.0005, description: 'weight decay (λ/2)Σ‖W‖²' },
    clusters: { kind: 'integer', default: 4, description: 'number of Gaussian clouds' },
    pointsPerCluster: { kind: 'integer', default: 25, description: 'points per cloud' },
    meanStd: { kind: 'number', default: 1, description: 'cloud means ~ N(0, meanStd²·I)' },
    initScale: { kind: 'number', default: 1, description: 'weights ~ N(0, initScale²/fan-in)' },
    ...splitParams(80, 100),
  },
  create(p) {
    const spec: MlpSpec = {
      hidden: parseHidden(p.hidden as string),
      activation: parseActivation(p.activation as string),
      batchSize: p.batchSize as number,
      lambda: p.lambda as number,
      initScale: p.initScale as number,
    };
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
