// Train a learned optimizer through the API, compare it with tuned hand-designed ones on held-out
// problems, then train a tfjs model with it as a drop-in tf.Optimizer.
//   npx tsx examples/train-and-use.ts            (in a project with learn-to-optimize installed)
// Under a minute on two cores (42 s here). The optimizer is per-coordinate GPS (Li & Malik 2017), which steps
// any model: it reads each weight's own gradient and step history, not the model's shape.
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { compareOptimizers, defaultGpsConfig, createPool, initBackend, loadFamilyModule, loadGpsPolicy, loadOptimizer, trainGps } from 'learn-to-optimize';

const backend = await initBackend();
console.log(`tfjs backend: ${backend}`);
const family = await loadFamilyModule(fileURLToPath(new URL('./least-squares-family.ts', import.meta.url)), { dim: 10 });
const out = 'runs/example-least-squares';
const pool = createPool(); // one worker thread per core; the result is the same for any count

try {
  // 1. Train: 20 conditions from the training split, the rest held out to pick the best iteration.
  await trainGps({
    family,
    out,
    resume: true, // a second run of this script continues (or reuses) the first
    pool,
    config: { ...defaultGpsConfig(true), conditions: 20, validation: 20, iterations: 5 }, // per coordinate, as `l2o train --coordinatewise`
    onIteration: (log) => console.log(`iteration ${log.iteration + 1}: held-out final f ${log.validation?.toPrecision(4) ?? '-'}`),
  });

  // 2. Compare on the test split: every contender starts each problem from the same point.
  const learned = loadGpsPolicy(out).policy;
  const report = await compareOptimizers([{ name: 'gps', policy: learned, lr: null }, { name: 'adam' }, { name: 'lbfgs' }], { family, split: 'test', steps: 100, problems: 50, seed: '1', backend, pool });
  for (const row of report.results) console.log(`${row.optimizer.padEnd(6)} mean final f ${row.meanFinal.toPrecision(4)}`);
} finally {
  await pool.close();
}

// 3. Use it on a model: a small regression net trained with model.fit.
const xs = tf.randomNormal([256, 4], 0, 1, 'float32', 1);
const ys = tf.tidy(() => xs.sum(1, true).sin());
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 16, activation: 'tanh' }), tf.layers.dense({ units: 1 })] });
const optimizer = loadOptimizer(out);
model.compile({ optimizer, loss: 'meanSquaredError' });
const initial = model.evaluate(xs, ys) as tf.Scalar;
const before = initial.dataSync()[0];
initial.dispose();
const history = await model.fit(xs, ys, { epochs: 20, batchSize: 32, verbose: 0 });
const losses = history.history.loss as number[];
console.log(`model.fit with the learned optimizer, 20 epochs: loss ${before.toFixed(4)} → ${losses[losses.length - 1].toFixed(4)}`);
model.dispose();
optimizer.dispose();
tf.dispose([xs, ys]);
