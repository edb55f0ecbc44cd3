// Andrychowicz et al.'s gradient preprocessing: each coordinate's gradient g becomes two inputs,
// log-magnitude and sign, each in [-1, 1], so that gradients spanning many orders of magnitude
// reach the LSTM on one scale: [max(log|g|/p, −1), clip(g·e^p, −1, 1)].
import { tf } from '../src/tf.ts';

/** g [n] → [2, n]: magnitudes in row 0, signs in row 1 (the LSTM's layout, coordinates as columns). */
export function logAndSign(g: tf.Tensor1D, p: number): tf.Tensor2D {
  return tf.tidy(() => {
    const row = g.reshape([1, -1]);
    // log(0) = −Inf, clipped to −1 by the max, as in the paper.
    const magnitude = tf.maximum(tf.log(tf.abs(row)).div(p), -1);
    const sign = tf.clipByValue(row.mul(Math.exp(p)), -1, 1);
    return tf.concat([magnitude, sign], 0) as tf.Tensor2D;
  });
}
