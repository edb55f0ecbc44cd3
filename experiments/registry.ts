// The experiments by name (`npm run experiment -- <name>`).
import type { Experiment } from './experiment.ts';
import { liMalik2016 } from './li-malik-2016.ts';
import { divergence } from './divergence.ts';
import { generalization } from './generalization.ts';

export const EXPERIMENTS: readonly Experiment[] = [
  { name: 'li-malik-2016', describe: 'GPS vs tuned GD, momentum, CG, L-BFGS on logistic / robust regression and a small net', run: liMalik2016 },
  { name: 'divergence', describe: 'GPS and BPTT trained at horizon T, run to 10T and 100T: fraction diverged and loss ratios', run: divergence },
  { name: 'generalization', describe: 'optimizers trained on an MNIST MLP, tested on FER2013, CIFAR-10, CIFAR-100 and harder variants', run: generalization },
];
