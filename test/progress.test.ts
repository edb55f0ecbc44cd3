import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressReporter, formatDuration } from '../src/progress.ts';
import { DASHES, lineChartSvg, logAxis } from '../experiments/svg-plot.ts';

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, columns: 120, write: (text: string) => chunks.push(text) }, text: () => chunks.join('') };
}

test('on a TTY the bar is redrawn in place with the elapsed time and the time left; lines go above it', () => {
  let now = 0;
  const out = capture(true);
  const progress = new ProgressReporter({ label: 'GPS iterations', total: 4, stream: out.stream, now: () => now });
  now = 10_000;
  progress.update(1, 'sampling');
  assert.match(out.text(), /\rGPS iterations \[######------------------\] 1\/4, 10 s elapsed, about 30 s left  sampling\x1b\[K$/);
  progress.line('iteration 1/4: done');
  assert.match(out.text(), /\r\x1b\[Kiteration 1\/4: done\n\rGPS iterations \[/);
  progress.finish();
  assert.ok(out.text().endsWith('\r\x1b[K'));
});

test('elsewhere only lines are printed, with no carriage return or escape code', () => {
  let now = 0;
  const out = capture(false);
  const progress = new ProgressReporter({ label: 'runs', total: 10, stream: out.stream, now: () => now });
  for (let k = 1; k <= 10; k++) {
    now += 1000;
    progress.update(k, `block ${k}`);
  }
  assert.equal(out.text(), '');
  progress.phase(10, 'all done');
  progress.finish();
  assert.equal(out.text(), 'all done [10/10, 10 s elapsed]\n');
});

test('a resumed run counts only the work done since for the time left; quiet prints nothing', () => {
  let now = 0;
  const out = capture(false);
  const progress = new ProgressReporter({ label: 'iterations', total: 10, start: 6, stream: out.stream, now: () => now });
  now = 4000;
  progress.update(8);
  assert.equal(progress.etaSeconds(), 4);
  const quiet = capture(true);
  const silent = new ProgressReporter({ label: 'x', total: 2, stream: quiet.stream, quiet: true });
  silent.update(1);
  silent.line('hidden');
  silent.finish();
  assert.equal(quiet.text(), '');
  assert.deepEqual([formatDuration(4.24), formatDuration(75), formatDuration(3725)], ['4.2 s', '1 min 15 s', '1 h 02 min']);
});

test('nine series get nine colours and nine dash patterns, and the y axis starts at a labelled tick', () => {
  const series = Array.from({ length: 9 }, (_, k) => ({ label: `opt${k}`, mean: Array.from({ length: 21 }, (_, t) => 0.4 + 0.3 / (1 + t * (k + 1))) }));
  const svg = lineChartSvg('nine', 'step', 'mean loss', series);
  const lines = [...svg.matchAll(/<polyline [^>]*stroke="([^"]+)"[^>]*?(?: stroke-dasharray="([^"]+)")?\/>/g)].map((m) => `${m[1]}|${m[2] ?? 'solid'}`);
  assert.equal(lines.length, 9);
  assert.equal(new Set(lines.map((l) => l.split('|')[0])).size, 9, 'colours');
  assert.equal(new Set(lines.map((l) => l.split('|')[1])).size, 9, 'dash patterns');
  assert.equal(new Set(DASHES).size, DASHES.length);
  // The legend shows each line's pattern too.
  for (const dash of DASHES.slice(1, 9)) assert.equal(svg.split(`stroke-dasharray="${dash}"`).length - 1, 2, dash);
  // The data run from 0.4 to 0.7: the axis runs from the tick 0.4 to 0.7, and its bottom is labelled.
  const axis = logAxis(0.4 + 0.3 / 201, 0.7);
  assert.equal(axis.min, 0.4);
  assert.equal(axis.ticks[0], axis.min);
  const bottom = 36 + (440 - 36 - 46); // MARGIN.top + plot height: where the lowest tick sits
  assert.match(svg, new RegExp(`<text x="64" y="${(bottom + 4).toFixed(1)}" text-anchor="end">0.4</text>`));
  assert.deepEqual(logAxis(0.31, 0.69), { min: 0.3, max: 0.7, ticks: [0.3, 0.4, 0.5, 0.6, 0.7] });
  assert.deepEqual(logAxis(2e-5, 0.4).ticks, [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1]);
});
