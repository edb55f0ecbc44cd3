// The experiments by name (`l2o experiment <name>`, `npm run experiment -- <name>`). Each one's
// module is imported when it runs, so that listing them (`--help`) loads no tfjs.
import { UserError } from '../src/errors.ts';
import type { Experiment } from './experiment.ts';

export interface ExperimentEntry {
  name: string;
  describe: string;
  load(): Promise<Experiment['run']>;
}

export const EXPERIMENTS: readonly ExperimentEntry[] = [
  { name: 'li-malik-2016', describe: 'GPS vs tuned GD, momentum, CG, L-BFGS on logistic / robust regression and a small net', load: async () => (await import('./li-malik-2016.ts')).liMalik2016 },
  { name: 'divergence', describe: 'GPS and BPTT trained at horizon T, run to 10T and 100T: fraction diverged and loss ratios', load: async () => (await import('./divergence.ts')).divergence },
  { name: 'generalization', describe: 'optimizers trained on an MNIST MLP, tested on FER2013, CIFAR-10, CIFAR-100 and harder variants', load: async () => (await import('./generalization.ts')).generalization },
  { name: 'sparse-coding', describe: 'LISTA vs ISTA/FISTA in NMSE per layer or iteration; GPS and BPTT trained for the sum vs the rate of convergence, run to 10× their horizon', load: async () => (await import('./sparse-coding.ts')).sparseCodingExperiment },
];

/** The entry of that name; an unknown name is a user error that lists the others. */
export function findExperiment(name: string): ExperimentEntry {
  const entry = EXPERIMENTS.find((e) => e.name === name);
  if (!entry) throw new UserError(`unknown experiment '${name}'; available: ${EXPERIMENTS.map((e) => e.name).join(', ')}`);
  return entry;
}
