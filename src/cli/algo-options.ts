// Which `l2o train` options each algorithm reads. An option typed for an algorithm that does not
// read it would be ignored without a word (`--hidden 100 --algo gps` leaves GPS's network as it
// is), so it is refused in one line instead.
import { UserError } from '../errors.ts';
import { typed } from './resume-flags.ts';

export const ALGOS = ['gps', 'bptt', 'lista'] as const;
export type Algo = (typeof ALGOS)[number];

const GPS_ONLY = [
  'restarts', 'combine', 'conditions', 'validation-steps', 'samples', 'history', 'kl-step', 'inner', 'initial-noise', 'teacher-score',
  'teacher-refine', 'policy-batch', 'policy-iterations', 'initial-nu', 'warm-start-mixtures', 'exploration-floor',
  'on-policy-samples', 'step-adjustment', 'nu-step', 'coordinatewise', 'gradient-scaling', 'policy', 'lstm-cells',
  'gradient-dynamics', 'cost-gradient', 'features', 'sampled-coordinates', 'parameter-groups',
] as const;

/** The options only some algorithms read; every other train option applies to all three. */
export const OPTION_ALGOS: Readonly<Record<string, readonly Algo[]>> = {
  ...Object.fromEntries(GPS_ONLY.map((flag) => [flag, ['gps']])),
  unroll: ['bptt'],
  hidden: ['bptt'],
  'output-scale': ['bptt'],
  'preprocess-p': ['bptt'],
  'chunk-size': ['bptt'],
  batch: ['bptt', 'lista'],
  lr: ['bptt', 'lista'],
  'validate-every': ['bptt', 'lista'],
  horizon: ['gps', 'bptt'],
  'meta-objective': ['gps', 'bptt'],
  layers: ['lista'],
};


/** `applies to --algo …, not to --algo <algo>` when `algo` does not read `flag` (as typed, without dashes); else null. */
export function notReadBy(algo: Algo, flag: string): string | null {
  const readers = OPTION_ALGOS[flag] ?? OPTION_ALGOS[flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)];
  if (readers === undefined || readers.includes(algo)) return null;
  return `applies to ${readers.map((a) => `--algo ${a}`).join(' and ')}, not to --algo ${algo}`;
}

/** Refuses the first typed option that `algo` does not read. */
export function refuseOtherAlgorithmsOptions(algo: Algo, argv: readonly string[]): void {
  for (const flag of Object.keys(OPTION_ALGOS)) {
    const why = notReadBy(algo, flag);
    if (why !== null && typed(argv, flag)) throw new UserError(`--${flag} ${why}; leave it out`);
  }
}
