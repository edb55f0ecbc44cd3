// LISTA training settings and their defaults, apart from the trainer (lista.ts) so that the command
// line reads them without loading tfjs.

/** Settings of LISTA training (`l2o train --algo lista`). */
export interface ListaConfig {
  /** K, the unrolled layers. */
  layers: number;
  /** Adam steps, one batch each. */
  iterations: number;
  /** Training instances per Adam step, drawn with replacement. */
  batch: number;
  learningRate: number;
  /** Instances held out from the end of the training split to pick the best weights (never the test split). */
  validationProblems: number;
  validateEvery: number;
  seed: string;
}

/**
 * The defaults: K = 16 layers, 6,000 Adam steps of 5e-4 on batches of 64, 100 held-out training
 * instances scored every 200 steps (docs/sparse.md: 70 s here on sparse-coding with trainSize=10000).
 */
export const DEFAULT_LISTA_CONFIG: ListaConfig = {
  layers: 16,
  iterations: 6000,
  batch: 64,
  learningRate: 5e-4,
  validationProblems: 100,
  validateEvery: 200,
  seed: '1',
};
