// A line chart as a standalone SVG: mean loss per step on a log scale (the steps too, for long
// runs), a shaded band for the spread (25th–75th percentile over runs) and a legend. Each series
// has its own colour and its own dash pattern, so nine optimizers stay apart in print and for
// colour-blind readers, and the y axis starts and ends at labelled ticks. Hand-written because the
// charting libraries that render SVG in Node (vega and friends) pull in tens of megabytes for one
// chart type.

export interface Series {
  label: string;
  mean: number[];
  low?: number[];
  high?: number[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
/** stroke-dasharray per series ('' is solid); as many as colours, all different. */
export const DASHES = ['', '7 3', '2 3', '9 3 2 3', '14 4', '4 4', '9 2 2 2 2 2', '1 3', '5 2 1 2', '16 3 4 3'];
const WIDTH = 720;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 150, top: 36, bottom: 46 };
/** The log axis cannot show zero or negative losses; they are drawn at this floor. */
const FLOOR = 1e-12;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Tick values for a log axis: powers of ten, with 2× and 5× under two decades, every digit under one. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  const decades = Math.log10(max / min);
  const multipliers = decades < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of multipliers) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

/**
 * The y range widened to the nearest ticks below and above, so the bottom and the top of the axis
 * carry numbers, with those ticks: every digit under a decade, 1-2-5 under two, powers of ten
 * beyond, and a coarser spacing wherever that would give more than nine ticks.
 */
export function logAxis(min: number, max: number): { min: number; max: number; ticks: number[] } {
  const decades = Math.log10(max / min);
  const spacings = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 5], [1]].slice(decades < 1 ? 0 : decades < 2 ? 1 : 2);
  let ticks: number[] = [];
  for (const multipliers of spacings) {
    const grid: number[] = [];
    for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) {
      for (const m of multipliers) grid.push(Number((m * 10 ** e).toPrecision(6)));
    }
    const low = Math.max(...grid.filter((v) => v <= min * (1 + 1e-9)));
    const high = Math.min(...grid.filter((v) => v >= max * (1 - 1e-9)));
    ticks = grid.filter((v) => v >= low && v <= high);
    if (ticks.length <= 9) break;
  }
  // Many decades: every k-th power of ten from the bottom one, the top one rounded up to the next.
  if (ticks.length > 9) {
    const k = Math.ceil((ticks.length - 1) / 8);
    const top = ticks[ticks.length - 1];
    ticks = ticks.filter((_, i) => i % k === 0);
    if (ticks[ticks.length - 1] < top * (1 - 1e-9)) ticks.push(Number((ticks[ticks.length - 1] * 10 ** k).toPrecision(6)));
  }
  return { min: ticks[0], max: ticks[ticks.length - 1], ticks };
}

/** 0, then multiples of 1, 2 or 5 × 10^k: about five ticks up to `max`. */
export function linearTicks(max: number): number[] {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += Math.max(1, Math.round(step))) ticks.push(t);
  return ticks;
}

/** Step ticks for a log(1 + t) axis: 0 and the powers of ten up to `max`. */
export function logStepTicks(max: number): number[] {
  const ticks = [0];
  for (let t = 1; t <= max; t *= 10) ticks.push(t);
  return ticks;
}

/** Runs of a thousand steps and more get a log(1 + step) axis, so the training horizon stays visible. */
const LOG_STEPS_FROM = 1000;

function tickLabel(v: number): string {
  return v >= 1e-3 && v < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(0);
}

export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const finite = (v: number) => Number.isFinite(v);
  const values = series.flatMap((s) => [...s.mean, ...(s.low ?? []), ...(s.high ?? [])]).filter(finite).map((v) => Math.max(v, FLOOR));
  let dataMin = values.length ? Math.min(...values) : 1e-3;
  let dataMax = values.length ? Math.max(...values) : 1;
  if (dataMax / dataMin < 1.5) {
    dataMin /= 1.25;
    dataMax *= 1.25;
  }
  const axis = logAxis(dataMin, dataMax);
  const [yMin, yMax] = [axis.min, axis.max];
  const steps = Math.max(1, ...series.map((s) => s.mean.length - 1));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const logSteps = steps >= LOG_STEPS_FROM;
  const x = (t: number) => MARGIN.left + (logSteps ? Math.log1p(t) / Math.log1p(steps) : t / steps) * plotW;
  const y = (v: number) => MARGIN.top + plotH * (1 - (Math.log(Math.max(v, FLOOR)) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin)));
  const path = (vs: number[]) =>
    vs
      .map((v, t) => (finite(v) ? `${x(t).toFixed(1)},${y(v).toFixed(1)}` : null))
      .filter((p) => p !== null)
      .join(' ');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  for (const v of axis.ticks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v)}</text>`);
  }
  for (const t of logSteps ? logStepTicks(steps) : linearTicks(steps)) {
    parts.push(`<text x="${x(t).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeXml(xLabel)}${logSteps ? ' (log scale)' : ''}</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)} (log scale)</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    if (s.low && s.high) {
      const lowPoints = s.low.map((v, t) => (finite(v) ? `${x(t).toFixed(1)},${y(v).toFixed(1)}` : null)).filter((p) => p !== null).reverse();
      parts.push(`<polygon points="${path(s.high)} ${lowPoints.join(' ')}" fill="${color}" fill-opacity="0.12" stroke="none"/>`);
    }
    const dash = DASHES[k % DASHES.length] === '' ? '' : ` stroke-dasharray="${DASHES[k % DASHES.length]}"`;
    parts.push(`<polyline points="${path(s.mean)}" fill="none" stroke="${color}" stroke-width="${k === 0 ? 2.5 : 1.8}"${dash}/>`);
    const ly = MARGIN.top + 14 + 18 * k;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 8}" x2="${WIDTH - MARGIN.right + 40}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5"${dash}/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 42}" y="${ly}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
