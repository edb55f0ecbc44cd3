// Li & Malik 2016: robust linear regression with the Geman–McClure loss (1/n)Σ r²/(c²+r²), which is
// non-convex. 25 points from each of 4 identity-covariance Gaussians; labels are a shared random
// linear function plus Gaussian noise. x = [w0, w1, b].
import { Rng } from '../src/random.ts';
import { checkPointCount, IDENTITY_FACTOR, samplePoints } from './gaussian-clusters.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';

export const robustRegression: FamilyDefinition = {
  name: 'robust-regression',
  description: 'Geman–McClure robust linear regression, 2-D inputs + bias (d = 3), non-convex (Li & Malik 2016)',
  params: {
    clusters: { kind: 'integer', default: 4, min: 1, max: 1000, description: 'number of identity-covariance Gaussians' },
    pointsPerCluster: { kind: 'integer', default: 25, min: 1, max: 1_000_000, description: 'points drawn from each Gaussian' },
    c: { kind: 'number', default: 1, min: 0, exclusiveMin: true, description: 'Geman–McClure scale c' },
    meanStd: { kind: 'number', default: 2, min: 0, description: 'cluster means ~ N(0, meanStd²·I)' },
    noiseStd: { kind: 'number', default: 0.5, min: 0, description: 'label noise standard deviation' },
    initStd: { kind: 'number', default: 1, min: 0, description: 'x0 ~ N(0, initStd²·I)' },
    ...splitParams(120, 100),
  },
  create(p) {
    checkPointCount('robust-regression', p.clusters as number, p.pointsPerCluster as number);
    const c2 = (p.c as number) ** 2;
    return {
      name: 'robust-regression',
      dim: 3,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('robust-regression', p.instanceSeed as number, split, index));
        const points: number[] = [];
        for (let k = 0; k < (p.clusters as number); k++) {
          const mean: [number, number] = [rng.normal() * (p.meanStd as number), rng.normal() * (p.meanStd as number)];
          samplePoints(rng, p.pointsPerCluster as number, mean, IDENTITY_FACTOR, points);
        }
        const n = points.length / 2;
        const wTrue = [rng.normal(), rng.normal()];
        const bTrue = rng.normal();
        const labels = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          labels[i] = wTrue[0] * points[2 * i] + wTrue[1] * points[2 * i + 1] + bTrue + (p.noiseStd as number) * rng.normal();
        }
        return {
          name: `robust-regression/${split}/${index}`,
          dim: 3,
          start: (r) => r.normalVector(3, p.initStd as number),
          evaluate(x) {
            let value = 0;
            let g0 = 0;
            let g1 = 0;
            let gb = 0;
            for (let i = 0; i < n; i++) {
              const px = points[2 * i];
              const py = points[2 * i + 1];
              const r = labels[i] - (x[0] * px + x[1] * py + x[2]);
              const denom = c2 + r * r;
              value += (r * r) / denom;
              // d/dr r²/(c²+r²) = 2rc²/(c²+r²)², and dr/dx = −[px, py, 1]
              const dr = (2 * r * c2) / (denom * denom);
              g0 -= dr * px;
              g1 -= dr * py;
              gb -= dr;
            }
            return { value: value / n, gradient: Float64Array.of(g0 / n, g1 / n, gb / n) };
          },
        };
      },
    };
  },
};
