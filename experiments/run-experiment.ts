// Runs one experiment and writes results.json, curves.csv, plots/*.svg and report.md into
// runs/<name>/<timestamp>/ (or the resumed directory).
import { initBackend } from '../src/backend.ts';
import { UserError } from '../src/errors.ts';
import { describeMachine, ExperimentRun } from './experiment-run.ts';
import { EXPERIMENTS } from './registry.ts';
import { RESULTS_SCHEMA_VERSION, writeExperimentFiles } from './results.ts';

export async function runExperiment(name: string, options: { quick: boolean; seed: string; root: string; resume?: string; quiet?: boolean }): Promise<string> {
  const experiment = EXPERIMENTS.find((e) => e.name === name);
  if (!experiment) throw new UserError(`unknown experiment '${name}'; available: ${EXPERIMENTS.map((e) => e.name).join(', ')}`);
  const backend = await initBackend();
  const run = ExperimentRun.open({ experiment: name, quick: options.quick, seed: options.seed }, options);
  run.say(`${name}${options.quick ? ' (quick)' : ''} → ${run.dir} (tfjs backend ${backend})`);
  const outcome = await experiment.run(run, backend);
  writeExperimentFiles(run.dir, {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    experiment: name,
    quick: options.quick,
    seed: options.seed,
    date: new Date().toISOString(),
    wallSeconds: run.elapsedSeconds(),
    machine: describeMachine(backend),
    ...outcome,
  });
  run.say(`wrote ${run.dir}/report.md`);
  return run.dir;
}
