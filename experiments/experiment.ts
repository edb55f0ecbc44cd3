// What an experiment hands back to the runner, which adds the date, machine and wall time.
import type { ExperimentRun } from './experiment-run.ts';
import type { ProblemResult, SummaryTable } from './results.ts';

export interface ExperimentOutcome {
  settings: Record<string, unknown>;
  problems: ProblemResult[];
  tables: SummaryTable[];
  notes: string[];
}

export interface Experiment {
  name: string;
  describe: string;
  run(run: ExperimentRun, backend: string): Promise<ExperimentOutcome>;
}
