// `l2o train` (and `l2o sweep --train`) refuses an option for an algorithm that does not read it (src/cli/algo-options.ts),
// and every train option is either classified there or read by all three algorithms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ALGOS, OPTION_ALGOS, refuseOtherAlgorithmsOptions } from '../src/cli/algo-options.ts';
import { UserError } from '../src/errors.ts';
import { l2o, scratchDir } from './helpers.ts';

/** Options every algorithm reads (or yargs' own). */
const SHARED = ['algo', 'out', 'resume', 'seed', 'iterations', 'validation', 'quiet', 'workers', 'data-dir', 'env', 'param', 'expr', 'help', 'version'];

test('an option is refused, in one line naming the algorithms that read it, exactly for the algorithms that do not', () => {
  for (const [flag, readers] of Object.entries(OPTION_ALGOS)) {
    for (const algo of ALGOS) {
      for (const argv of [[`--${flag}`, '1'], [`--${flag}=1`]]) {
        const run = () => refuseOtherAlgorithmsOptions(algo, ['node', 'l2o', 'train', ...argv]);
        if (readers.includes(algo)) assert.doesNotThrow(run, `${algo} reads --${flag}`);
        else assert.throws(run, (err: unknown) => err instanceof UserError && err.message === `--${flag} applies to ${readers.map((a) => `--algo ${a}`).join(' and ')}, not to --algo ${algo}; leave it out`);
      }
    }
  }
  // yargs' other spellings of a flag count as typing it.
  assert.throws(() => refuseOtherAlgorithmsOptions('bptt', ['--klStep', '0.5']), UserError);
  assert.throws(() => refuseOtherAlgorithmsOptions('bptt', ['--no-coordinatewise']), UserError);
  assert.doesNotThrow(() => refuseOtherAlgorithmsOptions('gps', ['--iterations', '3', '--validation', '2', '--seed', '4']));
});

test('every option of l2o train is classified: read by some algorithms (algo-options.ts) or by all', () => {
  const help = l2o('train', '--help');
  assert.equal(help.code, 0, help.stderr);
  const flags = new Set([...help.stdout.matchAll(/^\s+--([a-z][a-z-]*)/gm)].map((m) => m[1]));
  assert.ok(flags.has('kl-step') && flags.has('hidden') && flags.has('layers'), [...flags].join(' '));
  const unclassified = [...flags].filter((flag) => !(flag in OPTION_ALGOS) && !SHARED.includes(flag));
  assert.deepEqual(unclassified, [], 'classify each new option in src/cli/algo-options.ts (or list it here as read by all)');
});

test('l2o train --algo gps --hidden 100, and a bptt sweep over --train kl-step, are one error line, exit 1, and create no directory', () => {
  const work = scratchDir('l2o-algo-options-');
  try {
    const out = join(work, 'run');
    const result = l2o('train', '--algo', 'gps', '--env', 'quadratic', '--hidden', '100', '--out', out);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'error: --hidden applies to --algo bptt, not to --algo gps; leave it out\n');
    assert.equal(existsSync(out), false);
    // A sweep checks its --train options the same way, before it creates anything or trains.
    const sweep = l2o('sweep', '--algo', 'bptt', '--env', 'quadratic', '--train', 'kl-step=0.1,0.2', '--out', out);
    assert.equal(sweep.code, 1);
    assert.equal(sweep.stderr, 'error: --train kl-step=… applies to --algo gps, not to --algo bptt; leave it out\n');
    assert.equal(existsSync(out), false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a per-coordinate run resumed with --sampled-coordinates, without retyping --coordinatewise, is accepted: the saved settings decide', () => {
  const work = scratchDir('l2o-algo-options-');
  try {
    const out = join(work, 'run');
    const tiny = ['train', '--algo', 'gps', '--env', 'quadratic', '--samples', '2', '--horizon', '5', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet', '--out', out];
    const fresh = l2o(...tiny, '--iterations', '1', '--coordinatewise', '--sampled-coordinates', '4');
    assert.equal(fresh.code, 0, fresh.stderr);
    const resumed = l2o(...tiny, '--iterations', '2', '--sampled-coordinates', '4', '--resume');
    assert.equal(resumed.code, 0, resumed.stderr);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
