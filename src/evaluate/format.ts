// Plain-text tables for the terminal, and the comparison table that the terminal and the experiment
// reports share.
import type { FullDataSummary, ResultRow } from './compare.ts';
import type { ReferenceMinimum } from './reference-minimum.ts';

export function formatNumber(x: number | null): string {
  if (x === null) return '-';
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(3);
  return x.toPrecision(4);
}

/** A paired difference as "+mean [+low, +high]", or "-" where there is none (the reference row). */
export function formatDifference(d: { mean: number; low: number; high: number } | undefined): string {
  if (!d) return '-';
  const signed = (x: number) => (x > 0 ? '+' : '') + formatNumber(x);
  return `${signed(d.mean)} [${signed(d.low)}, ${signed(d.high)}]`;
}

/** The header of the versusBest column, naming the row every other one is measured against. */
function differenceHeader(rows: readonly { versusBest?: { optimizer: string } }[]): string | null {
  const reference = rows.find((r) => r.versusBest)?.versusBest?.optimizer;
  return reference ? `final − ${reference}'s, 95% CI` : null;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * One row per optimizer, lowest mean first; f − f* columns when the comparison has a reference
 * minimum, and the final loss on the full data (its mean with a 95% interval, divergences, the paired
 * difference to the lowest) when the objectives have it.
 */
export function resultTable(results: readonly ResultRow[]): { columns: string[]; rows: string[][] } {
  const difference = differenceHeader(results);
  const gaps = results.some((r) => r.suboptimality);
  const full = results.every((r) => r.fullData);
  const fullReference = results.find((r) => r.fullData?.versusBest)?.fullData?.versusBest?.optimizer;
  const percent = (share: number) => `${(100 * share).toFixed(0)}%`;
  const rows = [...results]
    .sort((a, b) => a.meanFinal - b.meanFinal)
    .map((r) => [
      r.optimizer,
      r.lr === null ? '-' : String(r.lr),
      formatNumber(r.meanFinal),
      formatNumber(r.medianFinal),
      percent(r.bestFraction),
      String(r.diverged),
      ...(gaps ? [formatNumber(r.suboptimality?.mean ?? null), r.suboptimality ? percent(r.suboptimality.atMinimum) : '-'] : []),
      ...(difference ? [formatDifference(r.versusBest)] : []),
      ...(full ? fullDataCells(r.fullData!, fullReference !== undefined) : []),
    ]);
  const fullColumns = ['full-data mean final [95% CI]', 'full-data diverged', ...(fullReference ? [`full-data final − ${fullReference}'s, 95% CI`] : [])];
  const columns = ['optimizer', 'lr', 'mean final', 'median final', 'best on', 'diverged', ...(gaps ? ['mean f − f*', 'at f*'] : []), ...(difference ? [difference] : []), ...(full ? fullColumns : [])];
  return { columns, rows };
}

function fullDataCells(f: FullDataSummary, withDifference: boolean): string[] {
  return [formatMeanInterval(f), String(f.diverged), ...(withDifference ? [formatDifference(f.versusBest)] : [])];
}

/** A mean with its interval: `0.1234 [0.1200, 0.1270]`. */
export function formatMeanInterval(f: { meanFinal: number; low: number; high: number }): string {
  return `${formatNumber(f.meanFinal)} [${formatNumber(f.low)}, ${formatNumber(f.high)}]`;
}

/** Two sentences: what f* is, and whether the best optimizer could have been beaten on these instances. */
export function describeReference(reference: ReferenceMinimum, problems: number): [string, string] {
  const restarts = reference.restarts === 0 ? '' : ` and from ${reference.restarts} random start${reference.restarts === 1 ? '' : 's'} x0 + N(0, ${reference.spread}²I)`;
  return [
    `f*: the lowest of every optimizer's final f and of L-BFGS (${reference.iterations} iterations) from x0${restarts}; mean f* ${formatNumber(reference.meanMinimum)}.`,
    `The search went below every optimizer on ${reference.belowEveryRun} of ${problems} instances` +
      (reference.belowEveryRun === 0 ? ': on each, the best of them is at the lowest minimum the search found.' : '.'),
  ];
}
