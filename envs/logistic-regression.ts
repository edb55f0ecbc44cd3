// Li & Malik 2016: ℓ2-regularized logistic regression on 100 points drawn from two 2-D Gaussians
// with random means and covariances (50 each, label = which Gaussian). x = [w0, w1, b].
import { Rng } from '../src/random.ts';
import { sigmoidFromTail, softplusFromTail } from '../src/vector.ts';
import { randomCovarianceFactor, samplePoints } from './gaussian-clusters.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';

export const logisticRegression: FamilyDefinition = {
  name: 'logreg',
  description: 'logistic regression, 2-D inputs + bias (d = 3), two random Gaussian classes (Li & Malik 2016)',
  params: {
    pointsPerClass: { kind: 'integer', default: 50, min: 1, max: 1_000_000, description: 'points drawn from each Gaussian' },
    lambda: { kind: 'number', default: 0.0005, min: 0, description: 'ℓ2 penalty (λ/2)‖w‖² on the weights' },
    meanStd: { kind: 'number', default: 1, min: 0, description: 'class means ~ N(0, meanStd²·I)' },
    initStd: { kind: 'number', default: 1, min: 0, description: 'x0 ~ N(0, initStd²·I)' },
    ...splitParams(90, 100),
  },
  create(p) {
    const pointsPerClass = p.pointsPerClass as number;
    const lambda = p.lambda as number;
    const meanStd = p.meanStd as number;
    const initStd = p.initStd as number;
    return {
      name: 'logreg',
      dim: 3,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('logreg', p.instanceSeed as number, split, index));
        const points: number[] = [];
        const labels: number[] = [];
        for (let c = 0; c < 2; c++) {
          const mean: [number, number] = [rng.normal() * meanStd, rng.normal() * meanStd];
          samplePoints(rng, pointsPerClass, mean, randomCovarianceFactor(rng, 0.7), points);
          for (let i = 0; i < pointsPerClass; i++) labels.push(c);
        }
        const n = labels.length;
        return {
          name: `logreg/${split}/${index}`,
          dim: 3,
          start: (r) => r.normalVector(3, initStd),
          evaluate(x) {
            const [w0, w1, b] = x;
            let value = 0;
            let g0 = 0;
            let g1 = 0;
            let gb = 0;
            for (let i = 0; i < n; i++) {
              const px = points[2 * i];
              const py = points[2 * i + 1];
              const z = w0 * px + w1 * py + b;
              // −[y log σ(z) + (1−y) log(1−σ(z))] = softplus(z) − y·z; softplus and σ share one exp(−|z|).
              const e = Math.exp(z > 0 ? -z : z);
              value += softplusFromTail(z, e) - labels[i] * z;
              const r = sigmoidFromTail(z, e) - labels[i];
              g0 += r * px;
              g1 += r * py;
              gb += r;
            }
            value = value / n + 0.5 * lambda * (w0 * w0 + w1 * w1);
            return {
              value,
              gradient: Float64Array.of(g0 / n + lambda * w0, g1 / n + lambda * w1, gb / n),
            };
          },
        };
      },
    };
  },
};
