// The LSTM optimizer's shape and its defaults, apart from the network (coordinatewise-lstm.ts), so
// that what only needs the defaults (the command line's help) loads no tfjs.

export interface LstmOptimizerConfig {
  hidden: number;
  layers: number;
  /** p of the LogAndSign preprocessing. */
  preprocessP: number;
  outputScale: number;
}

export const DEFAULT_LSTM_CONFIG: LstmOptimizerConfig = { hidden: 20, layers: 2, preprocessP: 10, outputScale: 0.1 };
