import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runExperiment } from '../experiments/run-experiment.ts';
import { checkResultsSchema, type ExperimentResults } from '../experiments/results.ts';
import { linearTicks, logStepTicks, logTicks } from '../experiments/svg-plot.ts';
import { formatDifference, formatNumber } from '../src/evaluate/format.ts';

function readResults(dir: string): ExperimentResults {
  const results: unknown = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  checkResultsSchema(results);
  return results;
}

/** The files every experiment writes, consistent with each other. */
function checkExperimentFiles(dir: string, experiment: string): ExperimentResults {
  const results = readResults(dir);
  assert.equal(results.experiment, experiment);
  assert.equal(results.quick, true);
  const csv = readFileSync(join(dir, 'curves.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'problem,optimizer,step,mean,p25,p75');
  const expectedRows = results.problems.reduce((n, p) => n + p.results.length * (p.steps + 1), 0);
  assert.equal(csv.length - 1, expectedRows);
  const report = readFileSync(join(dir, 'report.md'), 'utf8');
  for (const p of results.problems) {
    const svg = readFileSync(join(dir, 'plots', `${p.name}.svg`), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, p.results.length, `${p.name}: one line per optimizer`);
    assert.ok(report.includes(`](plots/${p.name}.svg)`), `report embeds ${p.name}.svg`);
    if (p.reference) {
      const gapSvg = readFileSync(join(dir, 'plots', `${p.name}-gap.svg`), 'utf8');
      assert.equal((gapSvg.match(/<polyline /g) ?? []).length, p.results.length, `${p.name}-gap: one line per optimizer`);
      assert.ok(report.includes(`](plots/${p.name}-gap.svg)`), `report embeds ${p.name}-gap.svg`);
    }
    for (const r of p.results) assert.ok(report.includes(`| ${r.optimizer} |`), `report lists ${r.optimizer}`);
    // All rows but the lowest-mean one carry their paired difference to it, and the report prints it.
    const reference = p.results.filter((r) => !r.versusBest);
    assert.equal(reference.length, 1, `${p.name}: one reference row`);
    assert.equal(reference[0].meanFinal, Math.min(...p.results.map((r) => r.meanFinal)), `${p.name}: the reference has the lowest mean`);
    for (const r of p.results) if (r.versusBest) assert.equal(r.versusBest.optimizer, reference[0].optimizer);
    for (const r of p.results) if (r.versusBest) assert.ok(report.includes(`| ${formatDifference(r.versusBest)} |`), `report shows ${r.optimizer}'s difference`);
    if (results.problems.length < 2) continue;
    // With several problems, the overview table has a row per problem with its lowest mean final loss in bold.
    const best = Math.min(...p.results.map((r) => r.meanFinal).filter(Number.isFinite));
    const rows = report.split('\n').filter((line) => line.startsWith(`| ${p.name} |`));
    assert.ok(rows.some((line) => line.includes(`**${formatNumber(best)}**`)), `overview row of ${p.name} marks ${best}`);
  }
  return results;
}

test('li-malik-2016 --quick: GPS and the four tuned baselines on each 2016 family; files and schema; resume reuses stages', async () => {
  const root = mkdtempSync(join(tmpdir(), 'l2o-exp-'));
  const dir = await runExperiment('li-malik-2016', { quick: true, seed: '1', root, quiet: true, workers: 1 });
  const results = checkExperimentFiles(dir, 'li-malik-2016');
  assert.deepEqual(results.problems.map((p) => p.name), ['logreg', 'robust-regression', 'small-net', 'small-net-5']);
  // The larger test split reuses the small net's policy and training split: the same tuned lrs, more problems.
  const [small, larger] = [results.problems[2], results.problems[3]];
  assert.equal(larger.problems, 5);
  assert.deepEqual(larger.results.map((r) => [r.optimizer, r.lr]), small.results.map((r) => [r.optimizer, r.lr]));
  for (const p of results.problems) assert.deepEqual(p.results.map((r) => r.optimizer).sort(), ['cg', 'gd', 'gps', 'lbfgs', 'momentum']);
  for (const p of results.problems) for (const r of p.results) if (r.optimizer !== 'gps') assert.ok(r.lr !== null && r.lr > 0, 'baselines are tuned');
  // The 100-objective tests search for f*; each row's gap to it is ≥ 0, and the report says what f* is.
  const report = readFileSync(join(dir, 'report.md'), 'utf8');
  for (const p of results.problems.slice(0, 3)) {
    assert.deepEqual([p.reference?.restarts, p.reference?.iterations], [1, 1000], p.name);
    for (const r of p.results) assert.ok(r.suboptimality && r.suboptimality.atMinimum <= r.bestFraction + 1e-12, `${p.name}/${r.optimizer}: at f* only where best`);
  }
  assert.equal(larger.reference, undefined);
  assert.equal(report.match(/The search went below every optimizer on \d+ of 3 instances/g)?.length, 3);
  assert.ok(existsSync(join(dir, 'training/gps-logreg/policy.json')));
  // A resumed run finds every stage done and reproduces the numbers.
  const again = await runExperiment('li-malik-2016', { quick: true, seed: '1', root, resume: dir, quiet: true, workers: 1 });
  assert.equal(again, dir);
  assert.deepEqual(readResults(dir).problems, results.problems);
  assert.ok(readResults(dir).wallSeconds >= results.wallSeconds, 'the wall time counts the earlier attempt too');
  await assert.rejects(runExperiment('li-malik-2016', { quick: false, seed: '1', root, resume: dir, quiet: true }), /holds experiment li-malik-2016 \(quick true/);
  await assert.rejects(runExperiment('nope', { quick: true, seed: '1', root, quiet: true, workers: 1 }), /unknown experiment 'nope'/);
});

test('results schema check names what is wrong; plot ticks are round numbers', () => {
  assert.throws(() => checkResultsSchema({ schemaVersion: 0 }), /schemaVersion 0/);
  assert.throws(
    () => checkResultsSchema({ schemaVersion: 1, experiment: 'x', seed: '1', date: 'd', quick: true, wallSeconds: 1, machine: { cpus: 2, backend: 'cpu' }, problems: [{ name: 'a b', steps: 1, problems: 1, results: [] }], tables: [], notes: [] }),
    /problem name 'a b'/,
  );
  assert.deepEqual(logTicks(0.3, 0.9), [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.deepEqual(logTicks(1e-6, 1), [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
  assert.deepEqual(linearTicks(100), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(logStepTicks(4000), [0, 1, 10, 100, 1000]);
  assert.deepEqual(linearTicks(4000), [0, 1000, 2000, 3000, 4000]);
});

test('divergence --quick: GPS, BPTT and L-BFGS run to 100T; the table has every optimizer at T, 10T and 100T', async () => {
  const root = mkdtempSync(join(tmpdir(), 'l2o-exp-'));
  const dir = await runExperiment('divergence', { quick: true, seed: '1', root, quiet: true, workers: 1 });
  const results = checkExperimentFiles(dir, 'divergence');
  const [problem] = results.problems;
  assert.equal(problem.steps, 800);
  assert.deepEqual(problem.results.map((r) => r.optimizer), ['gps', 'bptt', 'lbfgs']);
  const table = results.tables[0];
  assert.deepEqual(table.rows.map((r) => `${r[0]} ${r[1]}`), ['gps', 'bptt', 'lbfgs'].flatMap((o) => [`${o} 1T = 8`, `${o} 10T = 80`, `${o} 100T = 800`]));
  for (const row of table.rows) assert.match(String(row[2]), /^\d+%$/);
  // The 100T row of each optimizer agrees with its curve's end.
  for (const r of problem.results) {
    const row = table.rows.find((t) => t[0] === r.optimizer && String(t[1]).startsWith('100T'))!;
    assert.ok(Math.abs((row[3] as number) - r.meanFinal) <= 1e-12 * Math.max(1, Math.abs(r.meanFinal)));
  }
});

test('sparse-coding --quick: LISTA per depth against ISTA/FISTA in NMSE, GPS and BPTT under the sum and the rate to 10T; tables agree with the figures', async () => {
  const root = mkdtempSync(join(tmpdir(), 'l2o-exp-'));
  const docs = join(root, 'docs-results');
  const dir = await runExperiment('sparse-coding', { quick: true, seed: '1', root, quiet: true, workers: 1, publish: docs });
  const results = checkExperimentFiles(dir, 'sparse-coding');
  // The published page is the report with its plots beside it, and says where it came from.
  const page = readFileSync(join(docs, 'sparse-coding.md'), 'utf8');
  assert.match(page, /^# sparse-coding \(quick setting\)\n\nGenerated by `npm run experiment -- sparse-coding --quick --publish .*` from `.*results\.json`/);
  const linked = [...page.matchAll(/\]\((sparse-coding\/[^)]+\.svg)\)/g)].map((m) => m[1]);
  assert.equal(linked.length, 3, 'two figures and the loss curves');
  for (const file of linked) assert.ok(existsSync(join(docs, file)), file);
  const [problem] = results.problems;
  assert.equal(problem.steps, 40);
  assert.deepEqual(problem.results.map((r) => r.optimizer).sort(), ['bptt-rate', 'bptt-sum', 'fista', 'gps-rate', 'gps-sum', 'ista', 'lista-2', 'lista-4']);
  const [nmse, meta] = results.figures!;
  assert.deepEqual([nmse.name, meta.name], ['nmse-vs-iterations', 'meta-objectives']);
  for (const figure of results.figures!) assert.match(readFileSync(join(dir, 'plots', `${figure.name}.svg`), 'utf8'), /^<svg /);
  assert.match(readFileSync(join(dir, 'figures.csv'), 'utf8'), /^figure,series,step,value\nnmse-vs-iterations,/);
  // Every method starts at z = 0, where the error is ‖z*‖²: NMSE 1 (0 dB); the gap ratio starts at 1.
  for (const series of nmse.series.filter((x) => x.values[0] !== null)) assert.ok(Math.abs(series.values[0] - 1) < 1e-12, `${series.label} at step 0`);
  for (const series of meta.series) assert.equal(series.values[0], 1, `${series.label}'s gap at step 0`);
  // The depth table's ISTA and FISTA columns are the figure's curves at K, in dB.
  const [depths] = results.tables;
  const curve = (label: string) => nmse.series.find((x) => x.label === label)!.values;
  for (const row of depths.rows) {
    const K = Number(row[0]);
    assert.ok(Math.abs(Number.parseFloat(String(row[2])) - 10 * Math.log10(curve('fista')[K])) < 0.006, `FISTA at K = ${K}`);
    assert.ok(Math.abs(Number.parseFloat(String(row[3])) - 10 * Math.log10(curve('ista')[K])) < 0.006, `ISTA at K = ${K}`);
  }
  assert.ok(curve('fista')[40] < curve('fista')[4], 'FISTA keeps converging beyond T');
  assert.deepEqual(results.tables[1].rows.map((r) => String(r[0]).split(' ')[0]), ['gps-sum', 'gps-rate', 'bptt-sum', 'bptt-rate', 'ista', 'fista']);
  assert.equal(results.notes.filter((n) => /rate − sum meta-objective/.test(n)).length, 2, 'a verdict on the rate for GPS and for BPTT');
});

test('generalization --quick: per-coordinate GPS, BPTT and seven MNIST-tuned baselines on FER2013, CIFAR-10, CIFAR-100 and their variants', async () => {
  const saved = process.env.L2O_DATA_DIR;
  process.env.L2O_DATA_DIR = resolve(import.meta.dirname, '../../shared/data');
  try {
    const root = mkdtempSync(join(tmpdir(), 'l2o-exp-'));
    const dir = await runExperiment('generalization', { quick: true, seed: '1', root, quiet: true, workers: 1 });
    const results = checkExperimentFiles(dir, 'generalization');
    const names = results.problems.map((p) => p.name);
    for (const dataset of ['fer2013', 'cifar10', 'cifar100']) {
      for (const variant of ['', '-larger', '-noisy', '-larger-noisy', '-long']) assert.ok(names.includes(dataset + variant), `${dataset}${variant}`);
    }
    const lrs = results.tables[0].rows;
    for (const p of results.problems) {
      assert.deepEqual(p.results.map((r) => r.optimizer), ['gps', 'bptt', 'gd', 'momentum', 'cg', 'lbfgs', 'adam', 'adagrad', 'rmsprop']);
      // Baselines keep the learning rate tuned on MNIST.
      for (const r of p.results.slice(2)) assert.equal(r.lr, lrs.find((row) => row[0] === r.optimizer)![1]);
    }
    assert.equal(results.problems.find((p) => p.name === 'cifar10-long')!.steps, 2 * results.problems.find((p) => p.name === 'cifar10')!.steps);
    assert.ok(existsSync(join(dir, 'training/gps/policy.json')) && existsSync(join(dir, 'training/bptt/optimizer.json')));
  } finally {
    if (saved === undefined) delete process.env.L2O_DATA_DIR;
    else process.env.L2O_DATA_DIR = saved;
  }
});
