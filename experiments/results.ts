// The files every experiment leaves in its directory: results.json (the numbers, schema below),
// curves.csv (mean and spread per step), one SVG plot per test problem and report.md embedding them.
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { makeDirectory, makeUserDirectory } from '../src/atomic-file.ts';
import { join, relative } from 'node:path';
import type { ResultRow } from '../src/evaluate/compare.ts';
import type { ReferenceMinimum } from '../src/evaluate/reference-minimum.ts';
import type { Split } from '../envs/objective.ts';
import { describeReference, formatNumber, resultTable } from '../src/evaluate/format.ts';
import type { Machine } from './experiment-run.ts';
import { lineChartSvg } from './svg-plot.ts';

export const RESULTS_SCHEMA_VERSION = 1;

export interface ProblemResult {
  /** File-name-safe identifier; the plot is `plots/<name>.svg`. */
  name: string;
  title: string;
  env: string;
  params: Record<string, string | number>;
  split: Split;
  steps: number;
  problems: number;
  /** How f* was found, when the comparison had a reference minimum (src/evaluate/reference-minimum.ts). */
  reference?: ReferenceMinimum;
  results: ResultRow[];
}

/** A line chart of any quantity per step (log y axis), e.g. a code's NMSE per iteration; its data is kept in results.json. */
export interface Figure {
  /** File-name-safe; the plot is `plots/<name>.svg`. */
  name: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** One line each; NaN entries are gaps (a series of a few points joins only those). */
  series: { label: string; values: number[] }[];
}

export interface SummaryTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface ExperimentResults {
  schemaVersion: number;
  experiment: string;
  quick: boolean;
  seed: string;
  date: string;
  wallSeconds: number;
  machine: Machine;
  settings: Record<string, unknown>;
  problems: ProblemResult[];
  tables: SummaryTable[];
  notes: string[];
  figures?: Figure[];
}

function cell(value: string | number | null): string {
  return typeof value === 'number' ? formatNumber(value) : (value ?? '-');
}

function markdownTable(columns: string[], rows: (string | number | null)[][]): string {
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** One row per test problem, one column per optimizer: the mean final loss, the lowest in bold. */
export function overviewTable(problems: ProblemResult[]): SummaryTable {
  const optimizers = [...new Set(problems.flatMap((p) => p.results.map((r) => r.optimizer)))];
  const rows = problems.map((p) => {
    const best = Math.min(...p.results.map((r) => r.meanFinal).filter(Number.isFinite));
    return [
      p.name,
      ...optimizers.map((name) => {
        const r = p.results.find((row) => row.optimizer === name);
        if (!r) return null;
        return r.meanFinal === best ? `**${formatNumber(r.meanFinal)}**` : r.meanFinal;
      }),
    ];
  });
  // Where the runs also have their loss on the full data, this table is the noisier of the two.
  const minibatch = problems.every((p) => p.results.every((r) => r.fullData));
  return { title: minibatch ? "Mean final loss per test problem: the loss of each run's last minibatch" : 'Mean final loss per test problem', columns: ['problem', ...optimizers], rows };
}

/**
 * curves.csv: one line per problem, optimizer and step with the mean (charged) objective over the
 * instances and its 25th and 75th percentile. `l2o eval --out` writes the same without the problem column.
 */
export function curvesCsv(problems: Pick<ProblemResult, 'name' | 'results'>[], options: { problemColumn?: boolean } = {}): string {
  const withProblem = options.problemColumn ?? true;
  const lines = [`${withProblem ? 'problem,' : ''}optimizer,step,mean,p25,p75`];
  for (const p of problems) {
    const prefix = withProblem ? `${p.name},` : '';
    for (const r of p.results) r.curve.forEach((m, t) => lines.push(`${prefix}${r.optimizer},${t},${m},${r.curveLow[t]},${r.curveHigh[t]}`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The plots of one problem: `<name>.svg`, the mean loss per step with the spread shaded, and with a
 * reference minimum `<name>-gap.svg`, the mean distance to f*.
 */
export function curvePlots(p: Pick<ProblemResult, 'name' | 'title' | 'reference' | 'results'>): { file: string; svg: string }[] {
  const series = p.results.map((r) => ({ label: r.optimizer, mean: r.curve, low: r.curveLow, high: r.curveHigh }));
  const plots = [{ file: `${p.name}.svg`, svg: lineChartSvg(p.title, 'step', 'mean loss', series) }];
  if (p.reference) {
    // Where every optimizer ends near one loss, the distance to f* is what separates them.
    // The mean over instances of f_t − f* is the mean loss less the mean f*.
    const gaps = p.results.map((r) => ({ label: r.optimizer, mean: r.curve.map((v) => v - p.reference!.meanMinimum) }));
    plots.push({ file: `${p.name}-gap.svg`, svg: lineChartSvg(`${p.title}: distance to f*`, 'step', 'mean f − f*', gaps) });
  }
  return plots;
}

function reportMarkdown(results: ExperimentResults): string {
  const m = results.machine;
  const parts = [
    `# ${results.experiment}${results.quick ? ' (quick setting)' : ''}`,
    '',
    `${results.date}; ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, tfjs backend ${m.backend}; wall time ${(results.wallSeconds / 60).toFixed(1)} min; seed ${results.seed}.`,
    '',
    '```json',
    JSON.stringify(results.settings, null, 2),
    '```',
  ];
  for (const note of results.notes) parts.push('', note);
  if (results.problems.length > 1) {
    const overview = overviewTable(results.problems);
    parts.push('', `## ${overview.title}`, '', markdownTable(overview.columns, overview.rows));
  }
  for (const table of results.tables) parts.push('', `## ${table.title}`, '', markdownTable(table.columns, table.rows));
  for (const figure of results.figures ?? []) parts.push('', `![${figure.title}](plots/${figure.name}.svg)`);
  for (const problem of results.problems) {
    const t = resultTable(problem.results);
    parts.push('', `## ${problem.title}`, '', `${problem.problems} ${problem.split} instances of \`${problem.env}\`, ${problem.steps} steps.`, '');
    parts.push(markdownTable(t.columns, t.rows));
    parts.push('', `![${problem.title}](plots/${problem.name}.svg)`);
    if (problem.reference) parts.push('', describeReference(problem.reference, problem.problems).join(' '), '', `![${problem.title}: distance to f*](plots/${problem.name}-gap.svg)`);
  }
  return `${parts.join('\n')}\n`;
}

export function writeExperimentFiles(dir: string, results: ExperimentResults): void {
  makeDirectory(join(dir, 'plots'));
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results)}\n`);
  writeFileSync(join(dir, 'curves.csv'), curvesCsv(results.problems));
  for (const p of results.problems) for (const plot of curvePlots(p)) writeFileSync(join(dir, 'plots', plot.file), plot.svg);
  for (const figure of results.figures ?? []) {
    const series = figure.series.map((s) => ({ label: s.label, mean: s.values }));
    writeFileSync(join(dir, 'plots', `${figure.name}.svg`), lineChartSvg(figure.title, figure.xLabel, figure.yLabel, series));
  }
  if (results.figures?.length) writeFileSync(join(dir, 'figures.csv'), figuresCsv(results.figures));
  writeFileSync(join(dir, 'report.md'), reportMarkdown(results));
}

/**
 * The run's results page in a documentation folder: `<docs>/<experiment>.md`, the report with its
 * plots in `<docs>/<experiment>/` and a line saying where the numbers come from, so the published
 * page is regenerated from results.json rather than edited by hand. Returns the page's path.
 */
export function publishResults(runDir: string, results: ExperimentResults, docsDir: string): string {
  const plotsDir = join(docsDir, results.experiment);
  makeUserDirectory(plotsDir, '--publish');
  for (const file of readdirSync(join(runDir, 'plots'))) if (file.endsWith('.svg')) copyFileSync(join(runDir, 'plots', file), join(plotsDir, file));
  const command = `npm run experiment -- ${results.experiment}${results.quick ? ' --quick' : ''}${results.seed === '1' ? '' : ` --seed ${results.seed}`}`;
  const origin = `Generated by \`${command} --publish ${relative(process.cwd(), docsDir) || '.'}\` from \`${relative(process.cwd(), join(runDir, 'results.json'))}\`; the run directory also holds curves.csv${results.figures?.length ? ', figures.csv' : ''} and the training runs.`;
  const body = reportMarkdown(results).replaceAll('](plots/', `](${results.experiment}/`);
  const [title, ...rest] = body.split('\n');
  const page = join(docsDir, `${results.experiment}.md`);
  writeFileSync(page, [title, '', origin, ...rest].join('\n'));
  return page;
}

/** figures.csv: one line per figure, series and step with a finite value. */
export function figuresCsv(figures: Figure[]): string {
  const lines = ['figure,series,step,value'];
  for (const f of figures) for (const s of f.series) s.values.forEach((v, t) => Number.isFinite(v) && lines.push(`${f.name},${JSON.stringify(s.label)},${t},${v}`));
  return `${lines.join('\n')}\n`;
}

/** Throws, naming the field, when `value` is not a results.json of this schema version. */
export function checkResultsSchema(value: unknown): asserts value is ExperimentResults {
  const fail = (what: string): never => {
    throw new Error(`results.json: ${what}`);
  };
  const r = value as ExperimentResults;
  if (typeof r !== 'object' || r === null) fail('not an object');
  if (r.schemaVersion !== RESULTS_SCHEMA_VERSION) fail(`schemaVersion ${r.schemaVersion}, expected ${RESULTS_SCHEMA_VERSION}`);
  for (const key of ['experiment', 'seed', 'date'] as const) if (typeof r[key] !== 'string') fail(`${key} is not a string`);
  if (typeof r.quick !== 'boolean' || typeof r.wallSeconds !== 'number') fail('quick/wallSeconds');
  if (typeof r.machine?.cpus !== 'number' || typeof r.machine?.backend !== 'string') fail('machine');
  if (!Array.isArray(r.problems) || !Array.isArray(r.tables) || !Array.isArray(r.notes)) fail('problems/tables/notes are not arrays');
  for (const p of r.problems) {
    if (!/^[A-Za-z0-9._-]+$/.test(p.name)) fail(`problem name '${p.name}'`);
    if (!Number.isInteger(p.steps) || !Number.isInteger(p.problems) || p.results.length === 0) fail(`problem ${p.name}: steps/problems/results`);
    for (const row of p.results) {
      if (typeof row.optimizer !== 'string' || typeof row.meanFinal !== 'number' || typeof row.diverged !== 'number') fail(`${p.name}/${row.optimizer}: row fields`);
      for (const curve of [row.curve, row.curveLow, row.curveHigh]) if (!Array.isArray(curve) || curve.length !== p.steps + 1) fail(`${p.name}/${row.optimizer}: a curve is not ${p.steps + 1} long`);
    }
  }
  for (const t of r.tables) if (!t.rows.every((row) => row.length === t.columns.length)) fail(`table '${t.title}': row width`);
  if (r.figures !== undefined) {
    if (!Array.isArray(r.figures)) fail('figures is not an array');
    for (const f of r.figures) {
      if (!/^[A-Za-z0-9._-]+$/.test(f.name)) fail(`figure name '${f.name}'`);
      if (!Array.isArray(f.series) || f.series.some((s) => typeof s.label !== 'string' || !Array.isArray(s.values))) fail(`figure ${f.name}: series`);
    }
  }
}
