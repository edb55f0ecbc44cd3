import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf.ts';
import { initBackend } from '../src/backend.ts';
import { setExplicitTranspose } from '../src/tfjs-matmul.ts';
import { dense, softmaxCrossEntropy, type DenseActivation } from '../src/tfjs-fused-ops.ts';
import { Rng } from '../src/random.ts';
import { assertClose } from './helpers.ts';

// A 7-5-4-3 net on 6 rows: its loss and the gradients of all weights, biases and the input, with the
// fused ops or with tfjs's own (forced by setExplicitTranspose(false)).
function lossAndGradients(activation: DenseActivation, fused: boolean, dataInput: boolean): { loss: number; grads: Float32Array[] } {
  setExplicitTranspose(fused ? 'auto' : false);
  try {
    const rng = new Rng(`fused-${activation}`);
    const sizes = [7, 5, 4, 3];
    const params: tf.Tensor[] = [];
    sizes.slice(1).forEach((out, l) => {
      params.push(tf.tensor2d(Float32Array.from(rng.normalVector(sizes[l] * out)), [sizes[l], out]));
      params.push(tf.tensor1d(Float32Array.from(rng.normalVector(out, 0.5))));
    });
    const x = tf.tensor2d(Float32Array.from(rng.normalVector(6 * 7)), [6, 7]);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 2, 1, 1, 0, 2], 'int32'), 3).toFloat() as tf.Tensor2D);
    const f = (input: tf.Tensor, ...p: tf.Tensor[]) => {
      let h = input as tf.Tensor2D;
      for (let l = 0; l < 3; l++) h = dense(h, p[2 * l] as tf.Tensor2D, p[2 * l + 1] as tf.Tensor1D, l < 2 ? activation : 'linear', { dataInput: dataInput && l === 0 });
      return softmaxCrossEntropy(labels, h);
    };
    // With a data input the input is held fixed (its gradient is not taken); otherwise it is the first argument.
    const { value, grads } = dataInput ? tf.valueAndGrads((...p: tf.Tensor[]) => f(x, ...p))(params) : tf.valueAndGrads(f)([x, ...params]);
    const result = { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
    tf.dispose([value, ...grads, ...params, x, labels]);
    return result;
  } finally {
    setExplicitTranspose('auto');
  }
}

test("fused dense layers and softmax cross-entropy give tfjs's own loss and gradients, and free their tensors", async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  for (const activation of ['linear', 'relu', 'sigmoid', 'tanh', 'softplus'] as const) {
    for (const dataInput of [false, true]) {
      const fused = lossAndGradients(activation, true, dataInput);
      const plain = lossAndGradients(activation, false, dataInput);
      const what = `${activation}${dataInput ? ', data input' : ''}`;
      assert.ok(Math.abs(fused.loss - plain.loss) <= 1e-5 * Math.abs(plain.loss), `${what}: loss ${fused.loss} vs ${plain.loss}`);
      assert.equal(fused.grads.length, plain.grads.length);
      fused.grads.forEach((g, i) => assertClose(g, plain.grads[i], 1e-5, `${what}: gradient ${i}`));
      // Not vacuous: every parameter's gradient is nonzero somewhere.
      plain.grads.forEach((g, i) => assert.ok(g.some((v) => Math.abs(v) > 1e-4), `${what}: gradient ${i} is zero`));
    }
  }
  assert.equal(tf.memory().numTensors, before);
});
