// A complete user-defined objective family: Rosenbrock valleys (a − x)² + b(y − x²)² with a and b
// drawn per instance. Run it with `npx l2o eval --env examples/rosenbrock-family.ts`; the file may
// sit in any folder of a project that has learn-to-optimize installed.
import { defineFamily, instanceSeed, Rng, type Objective } from 'learn-to-optimize';

export default defineFamily({
  name: 'rosenbrock',
  description: 'Rosenbrock valleys with random a ∈ [0.5, 1.5] and b ∈ [5, 20]',
  params: {
    trainSize: { kind: 'integer', default: 50, description: 'training instances' },
    testSize: { kind: 'integer', default: 100, description: 'test instances' },
  },
  create(params) {
    return {
      name: 'rosenbrock',
      dim: 2,
      splitSizes: { train: params.trainSize as number, test: params.testSize as number },
      sample(split, index): Objective {
        // Each instance has its own seed, so the splits are fixed and disjoint.
        const rng = new Rng(instanceSeed('rosenbrock', 0, split, index));
        const a = rng.uniformIn(0.5, 1.5);
        const b = rng.uniformIn(5, 20);
        return {
          name: `rosenbrock/${split}/${index}`,
          dim: 2,
          start: (runRng) => runRng.normalVector(2, 1),
          evaluate([x, y]) {
            const valley = y - x * x;
            return {
              value: (a - x) ** 2 + b * valley ** 2,
              gradient: Float64Array.of(-2 * (a - x) - 4 * b * x * valley, 2 * b * valley),
            };
          },
        };
      },
    };
  },
});
