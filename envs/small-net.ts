// Li & Malik 2016: a two-layer classifier (ReLU hidden layer, softmax output, cross-entropy plus
// (λ/2)(‖W‖² + ‖U‖²)) on 4 Gaussian clouds of 25 points, each cloud a random class (not all the
// same). Written out by hand because GPS evaluates it millions of times and it has 12 parameters.
// x = [W (hidden×2, row-major), b1 (hidden), U (2×hidden, row-major), b2 (2)].
import { Rng } from '../src/random.ts';
import { checkPointCount, labelledClouds } from './gaussian-clusters.ts';
import { splitParams, type FamilyDefinition } from './family-definition.ts';
import { instanceSeed, type Objective } from './objective.ts';
import { layerGroups } from './parameter-groups.ts';

const INPUTS = 2;
const CLASSES = 2;

export const smallNet: FamilyDefinition = {
  name: 'small-net',
  description: 'two-layer ReLU net classifier on 4 Gaussian clouds with random binary labels (Li & Malik 2016)',
  params: {
    hidden: { kind: 'integer', default: 2, min: 1, max: 10_000, description: 'hidden units' },
    clusters: { kind: 'integer', default: 4, min: 1, max: 1000, description: 'number of Gaussian clouds' },
    pointsPerCluster: { kind: 'integer', default: 25, min: 1, max: 1_000_000, description: 'points per cloud' },
    lambda: { kind: 'number', default: 0.0005, min: 0, description: 'weight decay (λ/2)(‖W‖² + ‖U‖²)' },
    meanStd: { kind: 'number', default: 1, min: 0, description: 'cloud means ~ N(0, meanStd²·I)' },
    initStd: { kind: 'number', default: 0.5, min: 0, description: 'x0 ~ N(0, initStd²·I)' },
    ...splitParams(80, 100),
  },
  create(p) {
    checkPointCount('small-net', p.clusters as number, p.pointsPerCluster as number);
    const hidden = p.hidden as number;
    const lambda = p.lambda as number;
    const clusters = p.clusters as number;
    const perCluster = p.pointsPerCluster as number;
    const dim = hidden * INPUTS + hidden + CLASSES * hidden + CLASSES;
    const offB1 = hidden * INPUTS;
    const offU = offB1 + hidden;
    const offB2 = offU + CLASSES * hidden;
    const groups = layerGroups([{ weights: hidden * INPUTS, biases: hidden }, { weights: CLASSES * hidden, biases: CLASSES }]);
    return {
      name: 'small-net',
      dim,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        const rng = new Rng(instanceSeed('small-net', p.instanceSeed as number, split, index));
        const { points, labels } = labelledClouds(rng, clusters, perCluster, p.meanStd as number);
        const n = labels.length;
        const pre = new Float64Array(hidden);
        const act = new Float64Array(hidden);
        const dAct = new Float64Array(hidden);
        const logits = new Float64Array(CLASSES);
        return {
          name: `small-net/${split}/${index}`,
          dim,
          groups,
          start: (r) => r.normalVector(dim, p.initStd as number),
          evaluate(x) {
            const g = new Float64Array(dim);
            let loss = 0;
            for (let i = 0; i < n; i++) {
              const in0 = points[2 * i];
              const in1 = points[2 * i + 1];
              for (let h = 0; h < hidden; h++) {
                pre[h] = x[h * INPUTS] * in0 + x[h * INPUTS + 1] * in1 + x[offB1 + h];
                act[h] = pre[h] > 0 ? pre[h] : 0;
              }
              let maxLogit = -Infinity;
              for (let c = 0; c < CLASSES; c++) {
                let z = x[offB2 + c];
                for (let h = 0; h < hidden; h++) z += x[offU + c * hidden + h] * act[h];
                logits[c] = z;
                if (z > maxLogit) maxLogit = z;
              }
              let sumExp = 0;
              for (let c = 0; c < CLASSES; c++) sumExp += Math.exp(logits[c] - maxLogit);
              const logSumExp = maxLogit + Math.log(sumExp);
              loss += logSumExp - logits[labels[i]];
              dAct.fill(0);
              for (let c = 0; c < CLASSES; c++) {
                // ∂loss/∂logit_c = softmax_c − [c = label]
                const dz = Math.exp(logits[c] - logSumExp) - (c === labels[i] ? 1 : 0);
                g[offB2 + c] += dz;
                for (let h = 0; h < hidden; h++) {
                  g[offU + c * hidden + h] += dz * act[h];
                  dAct[h] += dz * x[offU + c * hidden + h];
                }
              }
              for (let h = 0; h < hidden; h++) {
                if (pre[h] <= 0) continue;
                g[h * INPUTS] += dAct[h] * in0;
                g[h * INPUTS + 1] += dAct[h] * in1;
                g[offB1 + h] += dAct[h];
              }
            }
            let penalty = 0;
            for (let j = 0; j < dim; j++) {
              g[j] /= n;
              const isWeight = j < offB1 || (j >= offU && j < offB2);
              if (isWeight) {
                penalty += x[j] * x[j];
                g[j] += lambda * x[j];
              }
            }
            return { value: loss / n + 0.5 * lambda * penalty, gradient: g };
          },
        };
      },
    };
  },
};
