// LISTA on the command line (issue 25): `l2o train --algo lista` writes DIR/lista.json, and
// `lista:DIR` is an optimizer name for l2o eval and l2o run, in this thread or in workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { l2o, scratchDir } from './helpers.ts';

const SMALL = ['--env', 'sparse-coding', '--param', 'trainSize=60'];

test('l2o train --algo lista trains a tiny network; l2o eval runs lista:DIR beside ista and fista, the same with --workers 2', () => {
  const dir = join(scratchDir('l2o-lista-'), 'run');
  const train = l2o('train', '--algo', 'lista', ...SMALL, '--layers', '3', '--iterations', '20', '--batch', '8', '--lr', '0.005', '--validation', '10', '--validate-every', '10', '--out', dir, '--quiet');
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /^LISTA, K = 3: held-out NMSE -?\d+\.\d\d dB before training \(3 ISTA steps\), -?\d+\.\d\d dB after .*; saved .*lista\.json\n$/);
  assert.ok(existsSync(join(dir, 'lista.json')));
  const again = l2o('train', '--algo', 'lista', ...SMALL, '--layers', '3', '--out', dir, '--quiet');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds a LISTA network/);

  const evalArgs = ['eval', ...SMALL, '--optimizers', `lista:${dir},ista,fista`, '--lr', '1', '--problems', '5', '--steps', '20', '--json'];
  const means = (workers: string) => {
    const run = l2o(...evalArgs, '--workers', workers);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    const rows = Object.fromEntries(report.results.map((r: { optimizer: string; meanFinal: number }) => [r.optimizer, r.meanFinal]));
    assert.deepEqual(Object.keys(rows).sort(), ['fista', 'ista', 'lista']);
    for (const mean of Object.values(rows)) assert.ok(Number.isFinite(mean), JSON.stringify(rows));
    return rows;
  };
  assert.deepEqual(means('2'), means('1'));

  const text = l2o(...evalArgs.filter((a) => a !== '--json'), '--quiet');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^lista: LISTA, 3 learned layers, then ISTA with step 1\/L$/m);
  const run = l2o('run', ...SMALL, '--optimizer', `lista:${dir}`, '--problems', '2', '--steps', '5', '--json');
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).runs.length, 2);
});

test('l2o train --algo lista: --layers 0, an env without sparse codes, --resume and --meta-objective are one line, exit 1, and leave no directory', () => {
  const parent = scratchDir('l2o-lista-');
  const cases: [string[], RegExp][] = [
    [['--env', 'sparse-coding', '--layers', '0'], /--layers must be a positive integer/],
    [['--env', 'logreg'], /LISTA trains on sparse-coding families .* logreg has none/],
    [['--env', 'sparse-coding', '--resume'], /--resume does not apply to --algo lista/],
    [['--env', 'sparse-coding', '--meta-objective', 'rate'], /--meta-objective does not apply to --algo lista/],
  ];
  for (const [args, message] of cases) {
    const out = join(parent, 'run');
    const result = l2o('train', '--algo', 'lista', ...args, '--out', out, '--quiet');
    assert.equal(result.code, 1, args.join(' '));
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(existsSync(out), false, args.join(' '));
  }
  const missing = l2o('eval', '--env', 'sparse-coding', '--optimizers', `lista:${join(parent, 'none')}`, '--problems', '1', '--steps', '1');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /holds no LISTA network/);
});
