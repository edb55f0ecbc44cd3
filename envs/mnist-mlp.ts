// Andrychowicz et al.'s MNIST optimizee: the image-mlp family with its defaults (784-20-10,
// sigmoid, minibatch 128, raw pixels). Training instances draw minibatches from the 60,000 MNIST
// training images, test instances from the 10,000 t10k images.
import { imageMlpFamily } from './image-mlp.ts';

export const mnistMlp = imageMlpFamily({
  name: 'mnist-mlp',
  description: 'tfjs MLP classifier on MNIST minibatches, 784-20-10 sigmoid, batch 128 (Andrychowicz et al. 2016)',
  dataset: 'mnist',
  project: 0,
  hidden: '20',
  activation: 'sigmoid',
  batchSize: 128,
});
