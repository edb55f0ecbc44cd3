// Plain-text tables for the terminal.

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
export function differenceHeader(rows: readonly { versusBest?: { optimizer: string } }[]): string | null {
  const reference = rows.find((r) => r.versusBest)?.versusBest?.optimizer;
  return reference ? `final − ${reference}'s, 95% CI` : null;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
