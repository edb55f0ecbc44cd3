// Andrychowicz et al. 2016: f(θ) = ‖Wθ − y‖² with W (d×d) and y drawn from N(0, 1) per instance,
// θ0 ~ N(0, 0.01²) as in the official learning-to-learn code.
import { Rng } from '../src/random.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';

export const quadratic: FamilyDefinition = {
  name: 'quadratic',
  description: '‖Wθ − y‖² with random Gaussian W and y, d = 10 (Andrychowicz et al. 2016)',
  params: {
    dim: { kind: 'integer', default: 10, min: 1, max: 4096, description: 'dimension d' },
    initStd: { kind: 'number', default: 0.01, min: 0, description: 'θ0 ~ N(0, initStd²·I)' },
    ...splitParams(128, 100),
  },
  create(p) {
    const d = p.dim as number;
    return {
      name: 'quadratic',
      dim: d,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('quadratic', p.instanceSeed as number, split, index));
        const W = rng.normalVector(d * d);
        const y = rng.normalVector(d);
        const residual = new Float64Array(d);
        return {
          name: `quadratic/${split}/${index}`,
          dim: d,
          // W is square and (almost surely) invertible, so Wθ = y has a solution.
          minimum: 0,
          start: (r) => r.normalVector(d, p.initStd as number),
          evaluate(x) {
            let value = 0;
            for (let i = 0; i < d; i++) {
              let r = -y[i];
              for (let j = 0; j < d; j++) r += W[i * d + j] * x[j];
              residual[i] = r;
              value += r * r;
            }
            const gradient = new Float64Array(d);
            for (let i = 0; i < d; i++) {
              const r2 = 2 * residual[i];
              for (let j = 0; j < d; j++) gradient[j] += r2 * W[i * d + j];
            }
            return { value, gradient };
          },
        };
      },
    };
  },
};
