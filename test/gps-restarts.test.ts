// `l2o train --algo gps --restarts N` (src/gps/train-restarts.ts, restarts-directory.ts): a restart is the plain training
// of its seed, byte for byte; the kept policy is the restart with the lowest held-out score, all
// scored from the first restart's start draws (or, with --combine mean, the mean of all their
// policies); resume
// finishes the same run (a restart not yet started, only with the run's settings); a failure before
// any checkpoint leaves nothing; contradicting flags are one error line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { UserError } from '../src/errors.ts';
import { lockPath } from '../src/run-lock.ts';
import { join } from 'node:path';
import { restartSeed } from '../src/gps/restarts.ts';
import { savedCombine, startRestarts } from '../src/gps/restarts-directory.ts';
import { createFamily } from '../envs/registry.ts';
import { loadGpsPolicy } from '../src/gps/checkpoint.ts';
import { validationScore } from '../src/gps/validation.ts';
import { l2o, l2oAsTyped, scratchDir } from './helpers.ts';
import { GpsPolicy } from '../policies/gps-policy.ts';
import type { Policy } from '../policies/policy.ts';
import { rollout } from '../policies/rollout.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { Rng } from '../src/random.ts';

test('restart k trains with seed S + k − 1 for an integer seed, S.k otherwise, and the first with S itself', () => {
  assert.deepEqual([1, 2, 3].map((k) => restartSeed('1', k)), ['1', '2', '3']);
  assert.deepEqual([1, 2, 3].map((k) => restartSeed('41', k)), ['41', '42', '43']);
  assert.deepEqual([1, 2].map((k) => restartSeed('run-a', k)), ['run-a', 'run-a.2']);
});

test('--restarts 3: restart 2 equals its seed trained alone, the lowest held-out score is kept, resume ends with the same files, and contradictions are one line', () => {
  const work = scratchDir('l2o-restarts-');
  // The history features and the sum-scored first teachers (the defaults before session 42): the facts below are of these runs.
  const TRAIN = ['train', '--algo', 'gps', '--env', 'quadratic', '--iterations', '1', '--samples', '2', '--horizon', '5', '--history', '2', '--features', 'history', '--teacher-score', 'sum', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet'];
  try {
    const out = join(work, 'restarts');
    const trained = l2o(...TRAIN, '--restarts', '3', '--combine', 'best', '--seed', '3', '--out', out);
    assert.equal(trained.code, 0, trained.stderr);
    const alone = l2o(...TRAIN, '--seed', '4', '--out', join(work, 'seed-4'));
    assert.equal(alone.code, 0, alone.stderr);
    const policy = (dir: string) => readFileSync(join(dir, 'policy.json'), 'utf8');
    assert.equal(policy(join(out, 'restart-2')), policy(join(work, 'seed-4')), 'restart 2 is seed 4 trained alone');

    const file = JSON.parse(readFileSync(join(out, 'restarts.json'), 'utf8')) as { restarts: { dir: string; seed: string; validation: number; heldOut: number }[]; kept: number };
    assert.deepEqual(file.restarts.map((r) => [r.dir, r.seed]), [['restart-1', '3'], ['restart-2', '4'], ['restart-3', '5']]);
    const own = file.restarts.map((r) => JSON.parse(policy(join(out, r.dir))).validation as number);
    assert.deepEqual(file.restarts.map((r) => r.validation), own);
    // Each restart's policy scored on the held-out runs of restart 1 (its settings, seed 3): restart
    // 1's is its own score, the others' differ from theirs, which start from their seeds' draws.
    const settings = JSON.parse(readFileSync(join(out, 'restart-1', 'state.json'), 'utf8')).config;
    const common = file.restarts.map((r) => validationScore(loadGpsPolicy(join(out, r.dir)).policy, createFamily('quadratic'), settings));
    assert.deepEqual(file.restarts.map((r) => r.heldOut), common);
    assert.equal(common[0], own[0]);
    assert.notEqual(common[1], own[1]);
    assert.notEqual(new Set(common).size, 1, `the seeds differ in held-out score: ${common}`);
    assert.equal(file.kept, common.indexOf(Math.min(...common)) + 1);
    // At seed 3 the two scores disagree: restart 3 is lowest from its own starts, restart 1 from the common ones.
    assert.equal(own.indexOf(Math.min(...own)) + 1, 3);
    assert.equal(file.kept, 1);
    assert.equal(policy(out), policy(join(out, `restart-${file.kept}`)), 'OUT/policy.json is the kept restart');

    const before = [policy(out), readFileSync(join(out, 'restarts.json'), 'utf8')];
    const resumed = l2o(...TRAIN, '--restarts', '3', '--combine', 'best', '--seed', '3', '--out', out, '--resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual([policy(out), readFileSync(join(out, 'restarts.json'), 'utf8')], before);

    // A restart that had not started when the run stopped: resumed with other flags, it is refused
    // (its score would not compare with the others'); with the run's flags, it trains as before.
    const third = policy(join(out, 'restart-3'));
    rmSync(join(out, 'restart-3'), { recursive: true });
    // (Restarts 1 and 2 resume with their saved T = 5; restart 3 would take the default T.)
    const withoutHorizon = TRAIN.filter((a, i) => a !== '--horizon' && TRAIN[i - 1] !== '--horizon');
    const unlike = l2o(...withoutHorizon, '--restarts', '3', '--combine', 'best', '--seed', '3', '--out', out, '--resume');
    assert.equal(unlike.code, 1);
    assert.match(unlike.stderr, /^error: restart 3 has not started, and the flags given now would train it unlike restart 1 \(horizon 40 against 5\); resume with the run's original flags\n$/);
    const finished = l2o(...TRAIN, '--restarts', '3', '--combine', 'best', '--seed', '3', '--out', out, '--resume');
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal(policy(join(out, 'restart-3')), third, 'restart 3 trained again as it was');
    assert.deepEqual([policy(out), readFileSync(join(out, 'restarts.json'), 'utf8')], before);

    for (const [args, message] of [
      [['--restarts', '3', '--combine', 'best', '--resume', '--seed', '6'], /^error: --seed 6 contradicts the run in .*, whose first restart has seed 3; leave --seed as it was\n$/],
      [['--restarts', '2', '--resume'], /^error: --restarts 2 contradicts the run in .*, which has 3; leave --restarts as it was\n$/],
      [['--restarts', '3', '--combine', 'best'], /^error: --out .* already holds a training run; pass --resume to continue it, or choose another --out\n$/],
      [['--resume'], /^error: --out .* holds a run of several restarts .*; pass the same --restarts to continue it\n$/],
    ] as const) {
      const refused = l2o(...TRAIN, ...((args as readonly string[]).includes('--seed') ? [] : ['--seed', '3']), '--out', out, ...args);
      assert.equal(refused.code, 1, args.join(' '));
      assert.match(refused.stderr, message);
    }
    // A failure before any restart's first checkpoint leaves nothing it created, as a single training.
    const failed = l2o(...TRAIN.map((a, i) => (TRAIN[i - 1] === '--samples' ? '1' : a)), '--restarts', '2', '--out', join(work, 'failed', 'sub'));
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^error: --samples must be at least 2/);
    assert.equal(existsSync(join(work, 'failed')), false, 'no directory left behind');
    const noHeldOut = l2o(...TRAIN, '--restarts', '2', '--combine', 'best', '--validation', '0', '--out', join(work, 'no-held-out'));
    assert.equal(noHeldOut.code, 1);
    assert.match(noHeldOut.stderr, /^error: --restarts needs held-out instances to choose between the restarts; quadratic has none left/);
    assert.equal(existsSync(join(work, 'no-held-out')), false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('--restarts 2 --combine mean: OUT/policy.json steps by the mean action of the restarts\' policies, scored from restart 1\'s starts, and eval reads it', () => {
  const work = scratchDir('l2o-restarts-mean-');
  const TRAIN = ['train', '--algo', 'gps', '--env', 'quadratic', '--iterations', '1', '--samples', '2', '--horizon', '5', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet', '--seed', '3'];
  try {
    const out = join(work, 'mean');
    const trained = l2o(...TRAIN, '--restarts', '2', '--combine', 'mean', '--out', out);
    assert.equal(trained.code, 0, trained.stderr);
    const mean = loadGpsPolicy(out);
    const members = [1, 2].map((k) => loadGpsPolicy(join(out, `restart-${k}`)).policy as GpsPolicy);
    assert.equal(mean.iteration, 0, 'the policy of no single iteration');
    assert.equal((mean.policy as GpsPolicy).network.members, 2);
    // Its step on a run's states is the mean of the two restarts' steps, each reading its own scaling.
    const objective = createFamily('quadratic').sample('test', 0);
    const actions = (policy: GpsPolicy) => {
      const steps: number[][] = [];
      const recording: Policy = { name: 'gps', reset: (o, r) => policy.reset(o, r), act: (observation) => {
        const step = policy.act(observation);
        steps.push(Array.from(step));
        return step;
      } };
      rollout(new OptimizationEnv({ historyLength: 2 }), recording, objective, 8, new Rng('mean'));
      return steps;
    };
    const averaged = actions(mean.policy as GpsPolicy);
    // Replaying the averaged run's states: each member's step at them, from the same history.
    const replay = members.map((member) => {
      const steps: number[][] = [];
      let t = 0;
      const follower: Policy = { name: 'gps', reset: (o, r) => member.reset(o, r), act: (observation) => {
        steps.push(Array.from(member.act(observation)));
        return Float64Array.from(averaged[t++]);
      } };
      rollout(new OptimizationEnv({ historyLength: 2 }), follower, objective, 8, new Rng('mean'));
      return steps;
    });
    averaged.forEach((step, t) => step.forEach((v, i) => assert.ok(Math.abs(v - (replay[0][t][i] + replay[1][t][i]) / 2) < 1e-12, `step ${t}, coordinate ${i}`)));
    assert.ok(averaged.some((step, t) => Math.abs(step[0] - replay[0][t][0]) > 1e-9), 'the mean is not restart 1 alone');

    const file = JSON.parse(readFileSync(join(out, 'restarts.json'), 'utf8')) as { kept?: number; mean: { heldOut: number } };
    assert.equal(file.kept, undefined);
    const settings = JSON.parse(readFileSync(join(out, 'restart-1', 'state.json'), 'utf8')).config;
    assert.equal(file.mean.heldOut, validationScore(mean.policy, createFamily('quadratic'), settings));
    assert.equal(JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8')).validation, file.mean.heldOut);
    const evaluated = l2o('eval', '--env', 'quadratic', '--optimizers', `gps:${out}`, '--problems', '3', '--steps', '5', '--json');
    assert.equal(evaluated.code, 0, evaluated.stderr);
    // Resumed with --combine best, the finished run keeps its best restart instead, and says so;
    // resumed again without --combine, it keeps what it kept last.
    const best = l2o(...TRAIN, '--restarts', '2', '--combine', 'best', '--out', out, '--resume');
    assert.equal(best.code, 0, best.stderr);
    const switched = JSON.parse(readFileSync(join(out, 'restarts.json'), 'utf8')) as { kept: number; mean?: unknown };
    assert.equal(switched.mean, undefined);
    assert.equal(readFileSync(join(out, 'policy.json'), 'utf8'), readFileSync(join(out, `restart-${switched.kept}`, 'policy.json'), 'utf8'));
    const kept = readFileSync(join(out, 'policy.json'), 'utf8');
    assert.equal(l2oAsTyped(...TRAIN, '--out', out, '--resume').code, 0);
    assert.equal(readFileSync(join(out, 'policy.json'), 'utf8'), kept);
    // Without held-out instances there is nothing to choose by, but the mean needs no choice.
    const unscored = join(work, 'unscored');
    const withoutHeldOut = l2o(...TRAIN.filter((a, i) => a !== '--validation-steps' && TRAIN[i - 1] !== '--validation-steps'), '--restarts', '2', '--combine', 'mean', '--validation', '0', '--out', unscored);
    assert.equal(withoutHeldOut.code, 0, withoutHeldOut.stderr);
    assert.equal(loadGpsPolicy(unscored).iteration, 0);
    assert.equal((loadGpsPolicy(unscored).policy as GpsPolicy).network.members, 2);
    assert.deepEqual(JSON.parse(readFileSync(join(unscored, 'restarts.json'), 'utf8')).mean, {});
    const single = l2o(...TRAIN, '--combine', 'mean', '--out', join(work, 'single'));
    assert.equal(single.code, 1);
    assert.match(single.stderr, /^error: --combine needs --restarts 2 or more: it says what is kept of several trainings\n$/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('by default a full-state training is the mean of 3 restarts and a per-coordinate one a single run; --resume continues what the directory holds', () => {
  const work = scratchDir('l2o-restarts-default-');
  const TRAIN = ['train', '--algo', 'gps', '--env', 'quadratic', '--samples', '2', '--horizon', '5', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet', '--seed', '3'];
  try {
    const fullState = join(work, 'full-state');
    // --resume on a fresh --out starts the run, as `npm start` does on a new machine.
    const trained = l2oAsTyped(...TRAIN, '--iterations', '1', '--out', fullState, '--resume');
    assert.equal(trained.code, 0, trained.stderr);
    const file = JSON.parse(readFileSync(join(fullState, 'restarts.json'), 'utf8')) as { restarts: { seed: string }[]; mean: { heldOut: number } };
    assert.deepEqual(file.restarts.map((r) => r.seed), ['3', '4', '5']);
    assert.ok(Number.isFinite(file.mean.heldOut));
    assert.equal((loadGpsPolicy(fullState).policy as GpsPolicy).network.members, 3);
    const config = JSON.parse(readFileSync(join(fullState, 'restart-1', 'state.json'), 'utf8')).config;
    assert.deepEqual([config.historyLength, config.features, config.teacherScore], [2, 'history-adam-held', 'final']);
    // Resumed without --restarts, each run continues as it was started: three restarts, or one training.
    assert.equal(l2oAsTyped(...TRAIN, '--out', fullState, '--resume', '--iterations', '2').code, 0);
    assert.deepEqual(JSON.parse(readFileSync(join(fullState, 'restart-3', 'state.json'), 'utf8')).iteration, 2);
    const single = join(work, 'single');
    assert.equal(l2oAsTyped(...TRAIN, '--iterations', '1', '--restarts', '1', '--out', single).code, 0);
    const resumed = l2oAsTyped(...TRAIN, '--out', single, '--resume', '--iterations', '2');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(readFileSync(join(single, 'state.json'), 'utf8')).iteration, 2);
    assert.equal(existsSync(join(single, 'restarts.json')), false);
    const contradicted = l2oAsTyped(...TRAIN, '--iterations', '2', '--restarts', '3', '--out', single, '--resume');
    assert.equal(contradicted.code, 1);
    assert.match(contradicted.stderr, /^error: --resume --restarts 3: .* holds a single training, not a run of restarts .*; resume it with --restarts 1\n$/);
    const perCoordinate = join(work, 'per-coordinate');
    const coordinatewise = l2oAsTyped(...TRAIN, '--iterations', '1', '--coordinatewise', '--sampled-coordinates', '4', '--out', perCoordinate);
    assert.equal(coordinatewise.code, 0, coordinatewise.stderr);
    assert.ok(existsSync(join(perCoordinate, 'state.json')) && !existsSync(join(perCoordinate, 'restarts.json')), 'one training');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('trainGpsRestarts, the library call: the default trains the view\'s restarts and keeps what the CLI keeps, byte for byte; best keeps the lowest held-out score; a bad setting leaves nothing', async () => {
  const { trainGpsRestarts } = await import('../src/gps/train-restarts.ts');
  const { defaultGpsConfig } = await import('../src/gps/config.ts');
  const { trainGps } = await import('../src/gps/train.ts');
  const work = scratchDir('l2o-restarts-api-');
  const family = createFamily('quadratic', {});
  const config = { ...defaultGpsConfig(false), conditions: 3, validation: 4, iterations: 1, samples: 2, horizon: 5, historyLength: 2, innerIterations: 1, policyIterations: 5, validationSteps: 5, seed: '5' };
  const TRAIN = ['train', '--algo', 'gps', '--env', 'quadratic', '--conditions', '3', '--validation', '4', '--iterations', '1', '--samples', '2', '--horizon', '5', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet'];
  try {
    const out = join(work, 'api');
    const seen: string[] = [];
    const file = await trainGpsRestarts({ config, family, out, resume: false, onRestart: (r, total) => seen.push(`${r.index}/${total} ${r.seed}`) });
    assert.deepEqual(seen, ['1/3 5', '2/3 6', '3/3 7'], 'the full state trains three restarts, seeds S, S + 1, S + 2');
    assert.ok(file && file.mean && Number.isFinite(file.mean.heldOut), 'and keeps their mean, scored');
    assert.equal((loadGpsPolicy(out).policy as GpsPolicy).network.members, 3);
    const cli = join(work, 'cli');
    const typed = l2oAsTyped(...TRAIN, '--seed', '5', '--out', cli);
    assert.equal(typed.code, 0, typed.stderr);
    for (const name of ['policy.json', 'restarts.json', 'restart-2/policy.json']) assert.equal(readFileSync(join(out, name), 'utf8'), readFileSync(join(cli, name), 'utf8'), `${name}: the library call and \`l2o train\` make the same file`);
    // Resumed with other settings or another seed: refused before anything goes on (the run's files untouched).
    const before = ['restarts.json', 'policy.json', 'restart-3/state.json'].map((name) => readFileSync(join(out, name), 'utf8'));
    await assert.rejects(trainGpsRestarts({ config: { ...config, iterations: 2, samples: 3 }, family, out, resume: true }), (e: Error) => e instanceof UserError && e.message.startsWith(`${join(out, 'restart-1')} holds a run started with other settings: samples 3 (the run has 2)`));
    await assert.rejects(trainGpsRestarts({ config: { ...config, iterations: 2, seed: '6' }, family, out, resume: true }), /restart-1 holds a run started with other settings: seed "6" \(the run has "5"\)/);
    assert.deepEqual(['restarts.json', 'policy.json', 'restart-3/state.json'].map((name) => readFileSync(join(out, name), 'utf8')), before);
    // Resumed with best: nothing trains again, and the lowest held-out score is kept.
    const best = await trainGpsRestarts({ config, family, out, resume: true, combine: 'best' });
    const scores = best!.restarts.map((r) => r.heldOut!);
    assert.equal(best!.kept, scores.indexOf(Math.min(...scores)) + 1);
    assert.equal(readFileSync(join(out, 'policy.json'), 'utf8'), readFileSync(join(out, `restart-${best!.kept}`, 'policy.json'), 'utf8'));
    // One restart is trainGps into OUT itself.
    const single = join(work, 'single');
    assert.equal(await trainGpsRestarts({ config, family, out: single, resume: false, restarts: 1 }), null);
    const alone = join(work, 'alone');
    await trainGps({ config, family, out: alone, resume: false });
    assert.equal(readFileSync(join(single, 'policy.json'), 'utf8'), readFileSync(join(alone, 'policy.json'), 'utf8'));
    // Refused before anything is written: best without held-out instances; a setting trainGps refuses.
    await assert.rejects(trainGpsRestarts({ config: { ...config, validation: 0 }, family, out: join(work, 'none'), resume: false, combine: 'best' }), /held-out/);
    await assert.rejects(trainGpsRestarts({ config: { ...config, horizon: 0 }, family, out: join(work, 'bad'), resume: false }), /horizon/);
    assert.ok(!existsSync(join(work, 'none')) && !existsSync(join(work, 'bad')), 'no directory left behind');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a run of restarts keeps its policy under OUT\'s lock: no other process can resume OUT between the last training and the kept policy', async () => {
  const { trainGpsRestarts } = await import('../src/gps/train-restarts.ts');
  const { defaultGpsConfig } = await import('../src/gps/config.ts');
  const out = join(scratchDir('l2o-restarts-lock-'), 'run');
  const quadratic = createFamily('quadratic', {});
  // The held-out scoring that picks what is kept samples the family last: it says whether OUT is locked then.
  const locked: boolean[] = [];
  const family = Object.create(quadratic, { sample: { value: (split: 'train' | 'test', index: number) => (locked.push(existsSync(lockPath(out))), quadratic.sample(split, index)) } });
  const config = { ...defaultGpsConfig(false), conditions: 3, validation: 4, iterations: 1, samples: 2, horizon: 5, historyLength: 2, innerIterations: 1, policyIterations: 5, validationSteps: 5, seed: '5' };
  await trainGpsRestarts({ config, family, out, resume: false, restarts: 2, combine: 'best' });
  assert.ok(locked.length > 0 && locked.at(-1), 'the last held-out scoring ran with OUT locked');
  assert.ok(!existsSync(lockPath(out)), 'and the lock is gone after');
});

test('what a run of restarts keeps is recorded when it starts, so a run killed before its end resumes keeping it', () => {
  const out = join(scratchDir('l2o-restarts-combine-'), 'run');
  startRestarts(out, '1', 3, 'best');
  assert.equal(savedCombine(out), 'best', 'not the full-state default (mean) a resume fell back to');
});

test('a resume whose flags would train a restart not started yet unlike restart 1 is refused before restart 1 goes on', () => {
  const out = join(scratchDir('l2o-restarts-refuse-'), 'run');
  const TRAIN = ['train', '--algo', 'gps', '--env', 'quadratic', '--samples', '2', '--horizon', '5', '--history', '2', '--inner', '1', '--policy-iterations', '5', '--validation-steps', '5', '--quiet'];
  assert.equal(l2o(...TRAIN, '--iterations', '1', '--restarts', '2', '--out', out).code, 0);
  // As a kill before restart 2 began leaves it:
  rmSync(join(out, 'restart-2'), { recursive: true });
  rmSync(join(out, 'policy.json'));
  const before = readFileSync(join(out, 'restart-1', 'state.json'), 'utf8');
  // A bare --resume: restart 1 goes on with its saved settings, restart 2 would take today's defaults.
  const refused = l2o('train', '--algo', 'gps', '--env', 'quadratic', '--iterations', '2', '--restarts', '2', '--out', out, '--resume', '--quiet');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: restart 2 has not started, and the flags given now would train it unlike restart 1/);
  assert.equal(readFileSync(join(out, 'restart-1', 'state.json'), 'utf8'), before, 'restart 1 did not go on');
});
