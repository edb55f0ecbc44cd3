// Least squares f(x) = ‖Ax − b‖² / (2m) with a Gaussian m×d matrix A and b = A·x* + noise, drawn per
// instance: a family whose dimension is a parameter, so a per-coordinate optimizer trained on it
// can be tried on larger instances. `npx l2o eval --env examples/least-squares-family.ts --param dim=50`
import { defineFamily, instanceSeed, Rng, type Objective } from 'learn-to-optimize';

export default defineFamily({
  name: 'least-squares',
  description: 'least squares ‖Ax − b‖²/(2m), A Gaussian m×d, m = 2d',
  params: {
    dim: { kind: 'integer', default: 10, description: 'd, the number of unknowns' },
    noise: { kind: 'number', default: 0.1, description: 'standard deviation of the noise in b' },
    trainSize: { kind: 'integer', default: 40, description: 'training instances' },
    testSize: { kind: 'integer', default: 50, description: 'test instances' },
  },
  create(params) {
    const d = params.dim as number;
    const m = 2 * d;
    return {
      name: 'least-squares',
      dim: d,
      splitSizes: { train: params.trainSize as number, test: params.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('least-squares', 0, split, index));
        const A = Array.from({ length: m }, () => rng.normalVector(d));
        const truth = rng.normalVector(d);
        const b = A.map((row) => row.reduce((sum, a, j) => sum + a * truth[j], 0) + (params.noise as number) * rng.normal());
        return {
          name: `least-squares/${split}/${index}`,
          dim: d,
          start: (runRng) => runRng.normalVector(d),
          evaluate(x) {
            let value = 0;
            const gradient = new Float64Array(d);
            for (let i = 0; i < m; i++) {
              let residual = -b[i];
              for (let j = 0; j < d; j++) residual += A[i][j] * x[j];
              value += residual * residual;
              for (let j = 0; j < d; j++) gradient[j] += (A[i][j] * residual) / m;
            }
            return { value: value / (2 * m), gradient };
          },
        };
      },
    };
  },
});
