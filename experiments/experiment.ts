// What an experiment hands back to the runner, which adds the date, machine and wall time.
import type { ExperimentRun } from './experiment-run.ts';
import type { Figure, ProblemResult, SummaryTable } from './results.ts';

export interface ExperimentOutcome {
  settings: Record<string, unknown>;
  problems: ProblemResult[];
  tables: SummaryTable[];
  notes: string[];
  /** Plots of other quantities than the loss per step (the loss curves come with `problems`). */
  figures?: Figure[];
}

export interface Experiment {
  name: string;
  describe: string;
  run(run: ExperimentRun, backend: string): Promise<ExperimentOutcome>;
}
