// Li & Malik (2017) train on MNIST "randomly projected to 48 dimensions", each dimension scaled to
// unit variance, so one small network shape fits every dataset. The projection matrix is Gaussian
// from a seed; the mean and variance come from the training split and are applied to both splits.
import { tfjs } from '../lazy-tfjs.ts';
import { Rng } from '../random.ts';
import type { ClassificationData } from './classification-data.ts';

export interface Projection {
  matrix: Float32Array; // [inputDim, dims]
  mean: Float64Array;
  std: Float64Array;
  inputDim: number;
  dims: number;
}

function project(data: ClassificationData, matrix: Float32Array, dims: number): Float32Array {
  const count = data.labels.length;
  const tf = tfjs();
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(data.inputs, [count, data.inputDim]), tf.tensor2d(matrix, [data.inputDim, dims])));
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

export function fitProjection(train: ClassificationData, dims: number, seed: string): Projection {
  const rng = new Rng(seed);
  const matrix = new Float32Array(train.inputDim * dims);
  for (let i = 0; i < matrix.length; i++) matrix[i] = rng.normal();
  const projected = project(train, matrix, dims);
  const count = train.labels.length;
  const mean = new Float64Array(dims);
  const std = new Float64Array(dims);
  for (let r = 0; r < count; r++) for (let j = 0; j < dims; j++) mean[j] += projected[r * dims + j] / count;
  for (let r = 0; r < count; r++) for (let j = 0; j < dims; j++) std[j] += (projected[r * dims + j] - mean[j]) ** 2 / count;
  for (let j = 0; j < dims; j++) std[j] = Math.sqrt(std[j]) || 1;
  return { matrix, mean, std, inputDim: train.inputDim, dims };
}

export function applyProjection(data: ClassificationData, projection: Projection): ClassificationData {
  const { dims, mean, std } = projection;
  const projected = project(data, projection.matrix, dims);
  for (let r = 0; r < data.labels.length; r++) for (let j = 0; j < dims; j++) projected[r * dims + j] = (projected[r * dims + j] - mean[j]) / std[j];
  return { inputs: projected, labels: data.labels, inputDim: dims, classes: data.classes };
}
