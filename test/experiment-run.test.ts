import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExperimentRun } from '../experiments/experiment-run.ts';
import { scratchDir } from './helpers.ts';

const settings = { experiment: 'shared', quick: true, seed: '1' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function openPair(): [ExperimentRun, ExperimentRun] {
  const first = ExperimentRun.open(settings, { root: scratchDir('l2o-run-'), quiet: true });
  const second = ExperimentRun.open(settings, { root: '', resume: first.dir, quiet: true });
  for (const run of [first, second]) run.pollMilliseconds = 10;
  return [first, second];
}

test('two runs on one directory share independent stages: each is computed once, both get every result', async () => {
  const [first, second] = openPair();
  const computedBy = new Map<string, string>();
  const stagesFor = (who: string) =>
    ['a', 'b', 'c', 'd'].map((key) => ({
      key,
      compute: async () => {
        assert.ok(!computedBy.has(key), `${key} computed twice`);
        computedBy.set(key, who);
        await sleep(30);
        return `${key}!`;
      },
    }));
  const [one, two] = await Promise.all([first.stages(stagesFor('first')), second.stages(stagesFor('second'))]);
  assert.deepEqual(one, ['a!', 'b!', 'c!', 'd!']);
  assert.deepEqual(two, one);
  assert.deepEqual(new Set(computedBy.values()), new Set(['first', 'second']), 'the work is split between the two');
  assert.deepEqual(readdirSync(join(first.dir, 'stages')).sort(), ['a.json', 'b.json', 'c.json', 'd.json'], 'no claim is left behind');
});

test('a claim left by a killed process is taken over; a failed stage releases its claim', async () => {
  const [run] = openPair();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  writeFileSync(join(run.dir, 'stages', 'a.claim'), JSON.stringify({ pid: dead }));
  assert.equal(await run.stage('a', () => 1), 1);
  await assert.rejects(
    run.stage('b', () => {
      throw new Error('objective exploded');
    }),
    /objective exploded/,
  );
  assert.ok(!existsSync(join(run.dir, 'stages', 'b.claim')));
  assert.equal(await run.stage('b', () => 2), 2);
});

test('a stage read back from its file keeps Infinity, -Infinity and NaN (JSON alone would give null)', async () => {
  const [first, second] = openPair();
  const result = { mean: Infinity, curve: [1.5, -Infinity, NaN], label: 'gd' };
  assert.deepEqual(await first.stage('blown-up', () => result), result);
  // The second run finds the stage done and reads its file.
  assert.deepEqual(await second.stage('blown-up', () => assert.fail('computed twice')), result);
});
