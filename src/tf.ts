// tfjs as every module here imports it: `import { tf } from './tf.ts'` instead of
// `import * as tf from '@tensorflow/tfjs'`. The package is CommonJS; an ES `import` of it makes
// Node scan the whole bundle (and each package it re-exports) for named exports, about 0.25 s of CPU
// in every process and worker thread, where `require` takes under 0.1 s (docs/performance.md).
// The require and any remaining `import` share one module instance, backend and all.
import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs';

export const tf: typeof Tf = createRequire(import.meta.url)('@tensorflow/tfjs');

/** The tfjs types used here, so that `tf.Tensor2D` reads as a type as it did with the namespace import. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace tf {
  type Tensor<R extends Tf.Rank = Tf.Rank> = Tf.Tensor<R>;
  type Scalar = Tf.Scalar;
  type Tensor1D = Tf.Tensor1D;
  type Tensor2D = Tf.Tensor2D;
  type Variable<R extends Tf.Rank = Tf.Rank> = Tf.Variable<R>;
  type Optimizer = Tf.Optimizer;
  type Sequential = Tf.Sequential;
  type NamedTensorMap = Tf.NamedTensorMap;
  namespace serialization {
    type ConfigDict = Tf.serialization.ConfigDict;
    type Serializable = Tf.serialization.Serializable;
    type SerializableConstructor<T extends Tf.serialization.Serializable> = Tf.serialization.SerializableConstructor<T>;
  }
}
