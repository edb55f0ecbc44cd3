import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createFamily } from '../envs/registry.ts';
import { DEFAULT_GPS_CONFIG } from '../src/gps/badmm.ts';
import { trainGps } from '../src/gps/train.ts';
import { logPath } from '../src/gps/checkpoint.ts';
import { lockPath, lockRunDirectory } from '../src/run-lock.ts';
import { UserError } from '../src/errors.ts';
import { createMissing, makeDirectory } from '../src/atomic-file.ts';
import { scratchDir } from './helpers.ts';

const family = createFamily('logreg');
const identity = { env: 'logreg', envParams: {} };
const TINY = { ...DEFAULT_GPS_CONFIG, conditions: 2, validation: 0, horizon: 6, samples: 3, iterations: 1, historyLength: 2, innerIterations: 1, policyIterations: 20, seed: 'lock' };

/** The pid of a process that has exited, so certainly not running. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a second writer on a run directory fails at once, naming the holder, and loses nothing', async () => {
  const out = join(scratchDir('l2o-lock-'), 'run');
  const release = lockRunDirectory(out);
  try {
    await assert.rejects(
      () => trainGps({ config: TINY, family, identity, out, resume: false }),
      (e: Error) => e instanceof UserError && e.message.includes(`in use by process ${process.pid} on ${hostname()}`),
    );
    assert.ok(!existsSync(logPath(out)), 'the refused run wrote nothing');
  } finally {
    release();
  }
  assert.ok(!existsSync(lockPath(out)), 'released');
  await trainGps({ config: TINY, family, identity, out, resume: false });
  assert.ok(existsSync(logPath(out)) && !existsSync(lockPath(out)), 'a run takes the lock and gives it back');
});

test("a dead writer's lock is taken over and its temporary files are removed; an unwritable --out fails at once", async () => {
  const out = join(scratchDir('l2o-lock-'), 'run');
  mkdirSync(out);
  const dead = deadPid();
  writeFileSync(lockPath(out), JSON.stringify({ pid: dead, host: hostname(), started: '2026-01-01T00:00:00Z' }));
  writeFileSync(join(out, `state.json.tmp-${dead}`), '{"half": ');
  writeFileSync(join(out, `notes.tmp-${process.ppid}`), 'alive');
  await trainGps({ config: TINY, family, identity, out, resume: false });
  assert.ok(!existsSync(join(out, `state.json.tmp-${dead}`)), "the dead writer's temporary file is gone");
  assert.equal(readFileSync(join(out, `notes.tmp-${process.ppid}`), 'utf8'), 'alive', "a live process's is kept");
  assert.throws(() => lockRunDirectory('/proc/l2o-nope/run'), (e: Error) => e instanceof UserError && /cannot write to \/proc\/l2o-nope\/run/.test(e.message));
});

test('a lock held by a process that exited but is not reaped yet (a zombie) is stale too', { skip: process.platform !== 'linux' && 'zombies are read from /proc' }, async () => {
  // `sleep 0 &` exits at once; its parent then becomes `sleep 30` (exec), which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    const deadline = Date.now() + 2000;
    const state = () => readFileSync(`/proc/${zombie}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    while (state() !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(state(), 'Z', 'the child is a zombie');
    const out = join(scratchDir('l2o-lock-'), 'run');
    mkdirSync(out);
    writeFileSync(lockPath(out), JSON.stringify({ pid: zombie, host: hostname(), started: '2026-01-01T00:00:00Z' }));
    const release = lockRunDirectory(out);
    assert.equal(JSON.parse(readFileSync(lockPath(out), 'utf8')).pid, process.pid, 'taken over');
    release();
  } finally {
    parent.kill();
  }
});

test('a run directory whose new parent another process made first is still made: the race of two sweep items under one setting', () => {
  const root = scratchDir('l2o-race-');
  const [parent, a, b] = [join(root, 'setting'), join(root, 'setting', 'seed-1'), join(root, 'setting', 'seed-2')];
  // Both items found `setting` missing; the first made it, then the second reaches mkdir.
  assert.deepEqual(makeDirectory(a), [parent, a]);
  assert.deepEqual(createMissing([parent, b]), [b], 'the parent made by the other is taken as it is, and not counted as made here');
  assert.ok(statSync(b).isDirectory());
  // A file where the directory should be is still an error.
  writeFileSync(join(root, 'file'), '');
  assert.throws(() => createMissing([join(root, 'file')]), { code: 'EEXIST' });
  rmSync(root, { recursive: true });
});

test("an l2o child whose parent dies stops within seconds (a sweep item's training when its worker is killed), and its lock is taken over", async () => {
  const { BIN } = await import('./helpers.ts');
  const out = join(scratchDir('l2o-orphan-'), 'run');
  // Started as a sweep item starts it: its own process group, the parent's pid in L2O_PARENT_PID.
  const script = `const { spawn } = require('node:child_process');
const c = spawn(process.execPath, [${JSON.stringify(BIN)}, 'train', '--algo', 'gps', '--env', 'logreg', '--iterations', '500', '--out', ${JSON.stringify(out)}, '--quiet', '--workers', '1'], { detached: true, stdio: 'ignore', env: { ...process.env, L2O_PARENT_PID: String(process.pid) } });
console.log(c.pid);
setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const child = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d)))));
  const alive = () => {
    try {
      process.kill(child, 0);
      return true;
    } catch {
      return false;
    }
  };
  const waitFor = async (what: string, condition: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!condition()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitFor('the training to take its lock', () => existsSync(lockPath(out)), 20_000);
  parent.kill('SIGKILL');
  const killed = Date.now();
  await waitFor('the orphan to stop', () => !alive(), 15_000);
  assert.ok(Date.now() - killed < 15_000);
  lockRunDirectory(out)(); // its lock is stale now: taken over and released
  try {
    process.kill(child, 'SIGKILL');
  } catch {
    // stopped, as it should have
  }
});

test('a sweep item whose run directory another process holds waits for it, then trains (an item re-queued while its first run still goes on)', async () => {
  const { sweepItem } = await import('../src/cli/sweep-command.ts');
  const dir = join(scratchDir('l2o-sweep-wait-'), 'bptt', 'seed-1');
  const release = lockRunDirectory(dir);
  const item = { algo: 'bptt' as const, setting: { env: 'quadratic', params: [], train: [['iterations', '1'], ['batch', '2'], ['horizon', '10'], ['unroll', '10'], ['validation', '2']] as [string, string][] }, seed: '1', dir, problems: 4, steps: 10, evalSeed: '1' };
  const result = sweepItem(item);
  await new Promise((r) => setTimeout(r, 2500));
  release();
  const released = Date.now();
  const { meanFinal } = await result;
  assert.ok(Number.isFinite(meanFinal));
  // The training wrote its first checkpoint after the lock was released: it waited, then trained.
  assert.ok(statSync(join(dir, 'state.json')).mtimeMs >= released - 5, 'the training ran after the release');
});
