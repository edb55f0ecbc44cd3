// Runs one experiment and writes results.json, curves.csv, plots/*.svg and report.md into
// runs/<name>/<timestamp>/ (or the resumed directory).
import { initBackend } from '../src/backend.ts';
import { createPool, defaultWorkers } from '../src/parallel/worker-pool.ts';
import { describeMachine, ExperimentRun } from './experiment-run.ts';
import type { ExperimentOutcome } from './experiment.ts';
import { findExperiment, type ExperimentEntry } from './registry.ts';
import { publishResults, RESULTS_SCHEMA_VERSION, writeExperimentFiles } from './results.ts';
import { makeUserDirectory, removeEmptyDirectories } from '../src/atomic-file.ts';

/** `publish`: also write the results page into this documentation folder (results.ts publishResults). */
export async function runExperiment(name: string, options: { quick: boolean; seed: string; root: string; resume?: string; quiet?: boolean; workers?: number; publish?: string }): Promise<string> {
  const experiment = findExperiment(name);
  // Made (and checked writable) now, not after a run that can take the better part of an hour; a
  // run that fails leaves none of the (empty) folders made for it.
  const made = options.publish ? makeUserDirectory(options.publish, '--publish') : [];
  try {
    return await runAndPublish(name, options, await experiment.load());
  } catch (err) {
    removeEmptyDirectories(made);
    throw err;
  }
}

/** Opens (or resumes) the run, computes its stages, writes its files and publishes the page. */
async function runAndPublish(name: string, options: Parameters<typeof runExperiment>[1], runStages: Awaited<ReturnType<ExperimentEntry['load']>>): Promise<string> {
  const backend = await initBackend();
  const pool = createPool(options.workers ?? defaultWorkers());
  let run: ExperimentRun;
  let outcome: ExperimentOutcome;
  try {
    run = ExperimentRun.open({ experiment: name, quick: options.quick, seed: options.seed }, { ...options, pool });
    // With --queue the stages are the queue's workers' (their own backend and threads), not this process's.
    const where = ExperimentRun.queue ? "stages run by the queue's workers" : `tfjs backend ${backend}, ${pool.size} worker${pool.size === 1 ? '' : 's'}`;
    run.say(`${name}${options.quick ? ' (quick)' : ''} → ${run.dir} (${where})`);
    outcome = await runStages(run, backend);
  } finally {
    await pool.close();
  }
  const results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    experiment: name,
    quick: options.quick,
    seed: options.seed,
    date: new Date().toISOString(),
    wallSeconds: run.elapsedSeconds(),
    machine: describeMachine(backend),
    ...outcome,
  };
  writeExperimentFiles(run.dir, results);
  run.say(`wrote ${run.dir}/report.md`);
  if (options.publish) run.say(`published ${publishResults(run.dir, results, options.publish)}`);
  return run.dir;
}
