// The queue (docs/scale-out.md) against a real redis-server: `l2o eval --queue` with `l2o worker`
// processes gives the in-process report byte for byte, and the four faults of issue 24: a worker
// killed mid-job, Redis restarted mid-run, a job that throws, and a queue that cannot be reached.
// Workloads are tiny; the slow fixture family sleeps in each evaluation so a kill lands mid-job.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, moduleUrl, ROOT, scratchDir } from './helpers.ts';
import { freePort, REDIS_MISSING, startRedis } from './redis-server.ts';
import { decodeValue, encodeValue } from '../src/queue/codec.ts';
import { parseQueueAddress } from '../src/queue/address.ts';
import { taskFromKey, taskKey } from '../src/queue/task-key.ts';
import { codeFingerprint, jobId } from '../src/queue/job-id.ts';
import { connectToQueue } from '../src/queue/connection.ts';
import { createQueuePool } from '../src/queue/queue-pool.ts';
import { isConnectionError } from '../src/queue/queue-worker.ts';
import { ExperimentRun } from '../experiments/experiment-run.ts';

const FAMILY = 'test/fixtures/queue-family.mjs';
const work = scratchDir('l2o-queue-');
after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `l2o ...args` as a child process; `run.done` settles when it exits. */
function start(args: string[]): { child: ChildProcess; output: Run; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, L2O_DEBUG: '' } });
  const output: Run = { code: null, stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (output.stdout += d));
  child.stderr!.on('data', (d) => (output.stderr += d));
  const done = new Promise<Run>((resolve) => child.once('exit', (code, signal) => resolve({ ...output, code: code ?? (signal ? -1 : null) })));
  return { child, output, done };
}

function l2o(...args: string[]): Promise<Run> {
  return start(args.includes('--workers') ? args : [...args, '--workers', '1']).done;
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An `l2o worker` that has connected and waits for jobs. */
async function worker(url: string, stalledAfter = 30) {
  const w = start(['worker', '--queue', url, '--workers', '1', '--stalled-after', String(stalledAfter)]);
  await until('the worker to start', () => w.output.stderr.includes('takes jobs from') || w.child.exitCode !== null);
  assert.match(w.output.stderr, /takes jobs from redis:\/\/127\.0\.0\.1:\d+, 1 at a time/);
  return {
    ...w,
    started: () => w.output.stderr.split('\n').filter((l) => l.startsWith('l2o worker: started ')).map((l) => l.replace(/ \(job .*$/, '').replace('l2o worker: started ', '')),
    /** SIGTERM, and what it printed when it stopped. */
    stop: async () => {
      if (w.child.exitCode !== null) return w.done;
      w.child.kill('SIGTERM');
      return w.done;
    },
  };
}

const EVAL = ['eval', '--env', FAMILY, '--optimizers', 'gd,adam', '--lr', '0.05', '--problems', '4', '--steps', '10', '--quiet'];

test('values cross the queue exactly: NaN, ±Inf, -0, typed arrays, undefined, and objects with a $ key', () => {
  const value = { values: Float64Array.of(1.5, NaN, Infinity, -Infinity, -0, 5e-324), list: [NaN, -0, undefined, null, 'x'], $: { $: 1 }, divergedAt: null, nested: { n: Int32Array.of(-3, 4) } };
  const decoded = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as typeof value;
  assert.deepEqual(decoded, value);
  assert.ok(decoded.values instanceof Float64Array && Object.is(decoded.values[4], -0) && Object.is(decoded.list[1], -0));
  assert.throws(() => encodeValue(new Map()), /cannot send a Map through the queue/);
});

test('a queue address is redis://HOST:PORT; a task is named by its path in the package, and only such a path is accepted', () => {
  assert.deepEqual(parseQueueAddress('redis://u:p%40ss@10.0.0.5:6390/2'), { host: '10.0.0.5', port: 6390, db: 2, username: 'u', password: 'p@ss', tls: false, display: 'redis://10.0.0.5:6390/2' });
  assert.equal(parseQueueAddress('rediss://cache.example').port, 6379);
  for (const bad of ['localhost:6379', 'http://x:1', 'redis://', 'redis://h:1/x', 'redis://h:1?db=2']) assert.throws(() => parseQueueAddress(bad), { name: 'UserError' }, bad);
  // A malformed address is echoed without its password.
  assert.throws(() => parseQueueAddress('redis://:pa#ss@127.0.0.1:6391'), { message: "the queue's address is redis://HOST:PORT (or rediss:// for TLS), got 'redis://…@127.0.0.1:6391'" });
  // What a worker logs as an outage, and what as a job's own trouble while Redis is up.
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
  assert.deepEqual([refused, new Error('Connection is closed.'), new Error('could not renew lock for job 5'), new Error('Missing key for job 7. moveToFinished')].map(isConnectionError), [true, true, false, false]);
  assert.throws(() => parseQueueAddress('redis://u:secret@h:1/x'), { message: "the database in a queue's address is a number (redis://HOST:PORT/2), got 'redis://…@h:1/x'" });
  for (const [bad, shown] of [['redis://user:s3cr/et@h:1/x', 'redis://…@h:1/x'], ['redis:/u:secret@h', 'redis:/…@h'], ['redis://u:p@ss@h:1/y', 'redis://…@h:1/y']]) {
    assert.throws(() => parseQueueAddress(bad), (e: Error) => e.message.endsWith(`got '${shown}'`) && !/s3cr|secret|ss@/.test(e.message), bad);
  }
  const task = { module: moduleUrl('src/evaluate/parallel-runs.ts'), name: 'runBlock' };
  assert.equal(taskKey(task), 'src/evaluate/parallel-runs#runBlock');
  assert.deepEqual(taskFromKey('src/evaluate/parallel-runs#runBlock'), task);
  for (const bad of ['../etc/passwd#x', '/abs/path#x', 'src/./x#y', 'src/x', 'src/x#a-b']) assert.throws(() => taskFromKey(bad), /not a module of this package/, bad);
  assert.throws(() => taskKey({ module: 'file:///elsewhere/tasks.js', name: 'f' }), /not part of this package/);
  // The same item, the same job; any other payload, another.
  assert.equal(jobId('a#f', { x: 1 }), jobId('a#f', { x: 1 }));
  assert.notEqual(jobId('a#f', { x: 1 }), jobId('a#f', { x: 2 }));
  assert.doesNotMatch(jobId('a#f', { x: 1 }), /:/);
});

test('experiment stages as jobs: the submitter queues each stage it reaches, independent ones as one flow; a job runs the code to its stage, reading earlier stages from their files, and computes only that one', async () => {
  const settings = { experiment: 'staged', quick: true, seed: '1' };
  const computed: string[] = [];
  // A chain a → (b, c side by side) → d, each result built from the ones it awaits.
  const script = async (run: ExperimentRun) => {
    const a = await run.stage('a', () => (computed.push('a'), 1));
    const [b, c] = await run.stages([
      { key: 'b', compute: () => (computed.push('b'), a + 10) },
      { key: 'c', compute: async () => (computed.push('c'), await new Promise((r) => setTimeout(r, 20)), a + 100) },
    ]);
    return run.stage('d', () => (computed.push('d'), b + c));
  };
  const local = await script(ExperimentRun.open(settings, { root: mkdtempSync(join(work, 'local-')), quiet: true }));
  computed.length = 0;
  const queued: string[] = [];
  const worker = (dir: string, key: string, stuckAfterMs?: number) => ExperimentRun.computeStage(ExperimentRun.open(settings, { root: dir, resume: dir, quiet: true, queue: null }), key, script, stuckAfterMs);
  const flows: string[][] = [];
  const queue = {
    run: (_: unknown, dir: string, key: string) => (queued.push(key), worker(dir, key)),
    // A flow: its children run side by side, and its parent hands back their results once all are done.
    runAll: (_: unknown, dir: string, keys: string[]) => (flows.push(keys), queued.push(...keys), Promise.all(keys.map((key) => worker(dir, key)))),
  };
  const submitter = ExperimentRun.open(settings, { root: mkdtempSync(join(work, 'queued-')), quiet: true, queue });
  assert.equal(await script(submitter), local);
  assert.equal(local, 112);
  assert.deepEqual(queued, ['a', 'b', 'c', 'd']);
  assert.deepEqual(flows, [['b', 'c']], 'the independent stages went as one flow');
  assert.deepEqual(computed.sort(), ['a', 'b', 'c', 'd'], 'each stage computed once, by its job');
  assert.deepEqual(readdirSync(join(submitter.dir, 'stages')).sort(), ['a.json', 'b.json', 'c.json', 'd.json'], 'no claim files');
  // A job whose earlier stage's file never comes (no shared filesystem) says so instead of waiting forever.
  const lonely = ExperimentRun.open(settings, { root: mkdtempSync(join(work, 'lonely-')), quiet: true }).dir;
  await assert.rejects(worker(lonely, 'd', 300), /^UserError: stage d of .* needs stage a, whose result is not in .*stages: the experiment directory must be on a filesystem every worker shares$/);
});

test('an unreachable queue is one line before any work starts, exit 1 (l2o eval and l2o worker)', async () => {
  const port = await freePort(); // nothing listens there
  const out = join(work, 'never-made');
  const [evaluation, workerRun, malformed] = await Promise.all([
    l2o(...EVAL, '--queue', `redis://127.0.0.1:${port}`, '--out', out),
    l2o('worker', '--queue', `redis://127.0.0.1:${port}`),
    l2o(...EVAL, '--queue', 'localhost:6379'),
  ]);
  for (const run of [evaluation, workerRun]) {
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, `error: cannot reach the queue at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    assert.equal(run.stdout, '');
  }
  assert.equal(existsSync(out), false, '--out is not created');
  assert.equal(malformed.code, 1);
  assert.equal(malformed.stderr, "error: the queue's address is redis://HOST:PORT (or rediss:// for TLS), got 'localhost:6379'\n");
});

// The Redis tests wait mostly (sleeping evaluations, lock expiry), so they run side by side, each with its own server.
describe('against a real redis-server', { concurrency: true, skip: REDIS_MISSING ?? false }, () => {
  // One server and two workers for the tests that kill nothing (each worker process costs a tfjs start-up).
  let shared: { redis: Awaited<ReturnType<typeof startRedis>>; workers: Awaited<ReturnType<typeof worker>>[] };
  before(async () => {
    const redis = await startRedis();
    shared = { redis, workers: await Promise.all([worker(redis.url), worker(redis.url)]) };
  });
  after(async () => {
    if (!shared) return;
    const stopped = await Promise.all(shared.workers.map((w) => w.stop()));
    await shared.redis.dispose();
    for (const s of stopped) {
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /SIGTERM: finishing the running jobs, then stopping.*\nl2o worker: stopped\n$/s);
    }
  });
  const GD = [...EVAL.slice(0, 4), 'gd', ...EVAL.slice(5)];
  let gdLocal: Promise<Run> | undefined;
  /** The in-process run the kill and restart tests compare with. */
  const gdReference = () => (gdLocal ??= l2o(...GD));

  test('a worker lives across commands: a family module edited, or an optimizer retrained into the same directory, is run as it is now, not as the worker cached it', async () => {
    const { redis } = shared;
    const family = join(work, 'edited-family.mjs');
    writeFileSync(family, readFileSync(join(ROOT, FAMILY), 'utf8'));
    const run = (...more: string[]) => l2o('eval', '--env', family, '--optimizers', 'gd', '--lr', '0.05', '--problems', '4', '--steps', '10', '--quiet', ...more);
    const before = await run('--queue', redis.url, '--workers', '2');
    assert.equal(before.code, 0, before.stderr);
    writeFileSync(family, readFileSync(family, 'utf8').replace('const scale = 1 + index', 'const scale = 3 + index'));
    const [after, local] = await Promise.all([run('--queue', redis.url, '--workers', '2'), run()]);
    assert.equal(after.code, 0, after.stderr);
    assert.notEqual(after.stdout, before.stdout, 'the edit changes the results');
    assert.equal(after.stdout, local.stdout, 'the workers ran the edited module (they used to run the one they had imported)');

    const dir = join(work, 'retrained');
    const train = (seed: string) => l2o('train', '--algo', 'bptt', '--env', 'quadratic', '--iterations', '1', '--batch', '2', '--unroll', '5', '--horizon', '10', '--validation', '2', '--seed', seed, '--out', dir, '--quiet');
    const evaluate = (...more: string[]) => l2o('eval', '--env', FAMILY, '--optimizers', `bptt:${dir}`, '--problems', '4', '--steps', '10', '--quiet', ...more);
    assert.equal((await train('1')).code, 0);
    const first = await evaluate('--queue', redis.url, '--workers', '2');
    assert.equal(first.code, 0, first.stderr);
    rmSync(dir, { recursive: true });
    assert.equal((await train('7')).code, 0);
    const [again, alone] = await Promise.all([evaluate('--queue', redis.url, '--workers', '2'), evaluate()]);
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(again.stdout, first.stdout);
    assert.equal(again.stdout, alone.stdout, 'the retrained optimizer, not the cached one');
  });

  test('a flow that failed, run again while one of its children still runs, waits for it and then runs the failed child again (it used to repeat the old error at once)', async () => {
    const { redis, workers } = shared;
    const family = { env: join(ROOT, FAMILY), params: { delay: 0, failAt: -1 } };
    const block = (seed: string, params: Record<string, number>, problems: number) => ({ family: { ...family, params: { ...family.params, ...params } }, policy: { kind: 'hand', name: 'gd', lr: 0.05 }, set: { split: 'test', first: 0, problems, steps: 10, seed } });
    const task = { module: moduleUrl('src/evaluate/parallel-runs.ts'), name: 'runBlock' };
    const describe = (_: unknown, payload: unknown) => `block ${(payload as { set: { seed: string } }).set.seed}`;
    const flow = () => [{ task, payload: block('flow-parent', {}, 1) }, [{ task, payload: block('flow-failing', { failAt: 0 }, 1) }, { task, payload: block('flow-slow', { delay: 60 }, 2) }]] as const;
    const runOnce = async () => {
      const pool = await createQueuePool(await connectToQueue(redis.url), { size: 1, describe });
      try {
        const [parent, children] = flow();
        const run = pool.runFlow(parent, [...children]);
        for (const child of run.children) child.catch(() => {}); // the parent reports the failure
        await run.parent;
        return 'resolved';
      } catch (error) {
        return (error as Error).message;
      } finally {
        await pool.close();
      }
    };
    const started = (label: string) => workers.flatMap((w) => w.started()).filter((l) => l === label).length;
    const first = await runOnce();
    assert.match(first, /block flow-failing failed on worker .*cursed instance/);
    assert.equal(started('block flow-slow'), 1, 'the slow child still runs');
    const again = await runOnce();
    assert.match(again, /block flow-failing failed on worker .*cursed instance/);
    assert.ok(workers.some((w) => w.output.stderr.includes('done block flow-slow')), 'the rerun waited for the running child');
    assert.equal(started('block flow-failing'), 2, 'and ran the failed child again');
  });

  test('a database the server does not have is one line before any work (it used to run on database 0)', async () => {
    const run = await l2o(...EVAL, '--queue', `${shared.redis.url}/99`);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, `error: cannot reach the queue at ${shared.redis.url}/99: ERR DB index is out of range\n`);
  });

  test('with 2 workers, l2o eval --queue prints and writes the in-process report byte for byte; a job that throws fails the run once, naming its item, without a retry', async () => {
    const { redis, workers } = shared;
    const args = [...EVAL, '--reference-minimum', '1'];
    const [queued, local] = await Promise.all([l2o(...args, '--queue', redis.url, '--out', join(work, 'queued'), '--workers', '2'), l2o(...args, '--out', join(work, 'local'))]);
    assert.equal(queued.code, 0, queued.stderr);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(queued.stdout, local.stdout);
    // The local --workers 2 is the workers' business with --queue: said once, and it changes nothing.
    const warning = 'warning: --workers 2 does not apply with --queue: the l2o worker processes run the items, each with its own --workers';
    assert.deepEqual(queued.stderr.split('\n').filter((l) => l.startsWith('warning:')), [warning]);
    assert.match(queued.stdout, /gd +0\.05 /);
    for (const file of ['report.json', 'curves.csv']) assert.equal(readFileSync(join(work, 'queued', file), 'utf8'), readFileSync(join(work, 'local', file), 'utf8'), file);
    // 2 optimizers × 4 blocks, and 4 blocks of the f* search.
    const ours = () => workers.flatMap((w) => w.started()).filter((s) => s.includes(' on queue-family.mjs '));
    assert.equal(ours().length, 12, ours().join('\n'));

    const before = workers.map((w) => w.started().length);
    const failed = await l2o(...EVAL, '--param', 'failAt=2', '--queue', redis.url);
    assert.notEqual(failed.code, 0);
    const errors = failed.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, failed.stderr);
    assert.ok(!failed.stderr.includes('warning:'), 'no warning for --workers 1, which scripts pass to every command');
    assert.match(errors[0], /^error: (gd|adam) \(lr 0\.05\) on queue-family\.mjs test instance 2 failed on worker [^ ]+:\d+: objective queue\/test\/2 threw at step 3: cursed instance$/);
    const item = /^error: (.*) failed on/.exec(errors[0])![1];
    const since = workers.flatMap((w, k) => w.started().slice(before[k]));
    assert.equal(since.filter((s) => s === item).length, 1, `the failed job ran once, no retry:\n${since.join('\n')}`);
  });

  test('a sweep item that fails (a flow child) ends the sweep with its error, once, exit 1', async () => {
    // Parsed, the sweep's --train options pass (an unknown one is refused before any item); the training refuses this one.
    const failed = await l2o('sweep', '--algo', 'bptt', '--env', 'quadratic', '--train', 'horizon=30', '--seeds', '7', '--problems', '2', '--steps', '5', '--out', join(work, 'sweep-failed'), '--queue', shared.redis.url, '--quiet');
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(failed.stderr, `error: bptt on quadratic, seed 7 failed on worker ${failed.stderr.match(/on worker ([^ ]+):/)?.[1]}: l2o train: --horizon (30) must be a multiple of --unroll (20)\n`);
  });

  test('a job queued by other code (here: the sources through tsx, while the workers run the build in dist/) waits for a worker of that code; the workers of this build leave it, and the submitter says so once', async () => {
    // npm test runs these tests compiled, the same code as the workers, so the other code queues from a
    // child process that runs the sources. Workers of another build used to take such jobs and fail each one.
    const script = `
      import { connectToQueue } from './src/queue/connection.ts';
      import { createQueuePool } from './src/queue/queue-pool.ts';
      import { codeFingerprint } from './src/queue/job-id.ts';
      import { pathToFileURL } from 'node:url';
      const lines = [];
      const pool = await createQueuePool(await connectToQueue(process.argv[1]), { size: 1, idleWarningMs: 1000, onStatus: (line) => lines.push(line) });
      const task = { module: pathToFileURL('src/evaluate/parallel-runs.ts').href, name: 'runBlock' };
      const payload = { family: { env: 'quadratic', params: {} }, policy: { kind: 'hand', name: 'gd', lr: 0.1 }, set: { split: 'test', first: 0, problems: 1, steps: 3, seed: 'other-code' } };
      const outcome = await Promise.race([pool.run(task, payload).then(() => 'ran', (error) => error.message), new Promise((resolve) => setTimeout(resolve, 2500, 'waiting'))]);
      await pool.close();
      console.log(JSON.stringify({ outcome, lines, code: codeFingerprint() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, shared.redis.url], { cwd: ROOT });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    const { codeFingerprint: buildFingerprint } = (await import(pathToFileURL(join(ROOT, 'dist/src/queue/job-id.js')).href)) as { codeFingerprint: () => string };
    assert.notEqual(result.code, buildFingerprint(), 'the sources and the build differ in fingerprint');
    assert.equal(result.outcome, 'waiting', stdout);
    assert.deepEqual(result.lines, [`no worker has taken a job from ${shared.redis.url} for 1 s; start \`l2o worker --queue ${shared.redis.url}\` where it can reach the queue, with this build of l2o (code ${result.code}: a worker of other code takes other jobs)`]);
    assert.ok(shared.workers.every((w) => !w.output.stderr.includes('other-code') && !w.output.stderr.includes('other l2o code')), 'no worker of this build took it');
  });

  test('a submitter stopped with Ctrl-C says its jobs stay queued, exits 130 and leaves no empty --out', async () => {
    const redis = await startRedis();
    try {
      const out = join(work, 'stopped-eval');
      const queued = start([...EVAL, '--queue', redis.url, '--out', out, '--workers', '1']);
      await until('the jobs to be queued', () => existsSync(out));
      await new Promise((r) => setTimeout(r, 500));
      queued.child.kill('SIGINT');
      const run = await queued.done;
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stderr, new RegExp(`eval: stopped; its jobs stay on the queue at ${redis.url.replace(/[.]/g, '\\.')} for the workers, and the same command run again collects their results\n$`));
      assert.equal(existsSync(out), false, 'the --out it made for a report it will not write is gone');
    } finally {
      await redis.dispose();
    }
  });

  test('jobs that no worker takes: the run says so once, naming the queue', async () => {
    const redis = await startRedis();
    const lines: string[] = [];
    const pool = await createQueuePool(await connectToQueue(redis.url), { size: 1, idleWarningMs: 300, onStatus: (line) => lines.push(line) });
    try {
      const waiting = pool.run({ module: moduleUrl('src/evaluate/parallel-runs.ts'), name: 'runBlock' }, { nobody: 'takes this' });
      waiting.catch(() => {});
      await until('the warning', () => lines.length > 0, 5_000);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(lines, [`no worker has taken a job from ${redis.url} for 0.3 s; start \`l2o worker --queue ${redis.url}\` where it can reach the queue, with this build of l2o (code ${codeFingerprint()}: a worker of other code takes other jobs)`]);
      // Each build has its own queue, whose event stream Redis keeps short (a build's queue is not used again once the code changes).
      const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(redis.port), 'HGET', `l2o:jobs-${codeFingerprint()}:meta`, 'opts.maxLenEvents']);
      assert.equal(stdout.trim(), '1000');
    } finally {
      await pool.close();
      await redis.dispose();
    }
  });

  test('a worker killed mid-job: another worker runs its job again and the report is the same', async () => {
    const redis = await startRedis();
    // One-second locks: a dead worker's job is noticed in seconds (each job here takes about 0.35 s).
    const [a, b] = await Promise.all([worker(redis.url, 1), worker(redis.url, 1)]);
    try {
      const queued = start([...GD, '--param', 'delay=30', '--queue', redis.url, '--workers', '1']);
      await until('worker a to start a job', () => a.started().length > 0);
      a.child.kill('SIGKILL');
      const killed = a.started()[0];
      const [q, l] = await Promise.all([queued.done, gdReference()]);
      assert.equal(q.code, 0, q.stderr);
      assert.equal(q.stdout, l.stdout);
      assert.equal(a.output.stderr.includes(`done ${killed}`), false, 'the kill landed mid-job');
      assert.ok(b.started().includes(killed), `worker b ran ${killed} again:\n${b.output.stderr}`);
    } finally {
      await b.stop();
      await redis.dispose();
    }
  });

  test('Redis restarted mid-run (its append-only file kept): the run continues and its report is the same', async () => {
    const redis = await startRedis({ persist: true });
    const w = await worker(redis.url, 2);
    try {
      const queued = start([...GD, '--param', 'delay=30', '--queue', redis.url, '--workers', '1']);
      await until('the first job to finish', () => /l2o worker: done /.test(w.output.stderr));
      await redis.stop();
      assert.equal(queued.child.exitCode, null, 'the run was still going when Redis stopped');
      await new Promise((r) => setTimeout(r, 600)); // long enough for the run to notice, usually
      await redis.start();
      const [q, l] = await Promise.all([queued.done, gdReference()]);
      assert.equal(q.code, 0, q.stderr);
      assert.equal(q.stdout, l.stdout);
      // What the outage looked like, if the run noticed it: one line when lost, one when back.
      const status = q.stderr.split('\n').filter((line) => line.startsWith('eval: '));
      if (status.length > 0) assert.match(status.join('\n'), /^eval: lost the queue at redis:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED [^)]*\); waiting up to 5 minutes for it\neval: the queue at redis:\/\/127\.0\.0\.1:\d+ answers again$/);
    } finally {
      await w.stop();
      await redis.dispose();
    }
  });

  test('a worker stopped while Redis is away stops once it has no job, saying so, exit 0', async () => {
    const redis = await startRedis();
    const w = await worker(redis.url);
    try {
      await redis.stop();
      await until('the worker to notice', () => /lost the queue/.test(w.output.stderr));
      const started = Date.now();
      const stopped = await w.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.ok(Date.now() - started < 10_000, `stopped in ${Date.now() - started} ms`);
      assert.match(stopped.stderr, /SIGTERM: finishing the running jobs, then stopping.*\nl2o worker: the queue at redis:\/\/127\.0\.0\.1:\d+ does not answer; stopping without it\nl2o worker: stopped\n$/s);
    } finally {
      await redis.dispose();
    }
  });

  test('2 workers run a 2×2 sweep (2 settings × 2 seeds) and the stages of divergence --quick: the same table, results, curves and plots as without a queue', async () => {
    const { redis, workers } = shared;
    const tiny = ['iterations=2', 'batch=2', 'unroll=5', 'horizon=10', 'validation=2'].flatMap((o) => ['--train', o]);
    const sweep = (out: string, ...more: string[]) => l2o('sweep', '--algo', 'bptt', '--env', 'quadratic', ...tiny, '--train', 'lr=0.003,0.01', '--seeds', '1,2', '--problems', '4', '--steps', '10', '--out', join(work, out), '--quiet', ...more);
    const experiment = (out: string, ...more: string[]) => l2o('experiment', 'divergence', '--quick', '--out', join(work, out), '--quiet', ...more);
    const [queued, local, queuedExperiment, localExperiment] = await Promise.all([
      sweep('sweep-queued', '--queue', redis.url),
      sweep('sweep-local', '--workers', '2'),
      experiment('experiment-queued', '--queue', redis.url),
      experiment('experiment-local'),
    ]);
    for (const run of [queued, local, queuedExperiment, localExperiment]) assert.equal(run.code, 0, run.stderr);
    assert.equal(queued.stdout, local.stdout);
    const rows = queued.stdout.split('\n').filter((l) => l.startsWith('quadratic --lr '));
    assert.equal(rows.length, 2, queued.stdout);
    for (const row of rows) assert.match(row, /^quadratic --lr 0\.0(03|1) +2 +[\d.e+-]+ +\[[\d.e+-]+, [\d.e+-]+\] +[\d.e+-]+ [\d.e+-]+ +\d+$/);
    assert.ok(existsSync(join(work, 'sweep-queued', 'quadratic_--lr_0.01', 'seed-2', 'optimizer.json')), 'the workers wrote the run directories the items name');
    const started = workers.flatMap((w) => w.started());
    assert.equal(started.filter((s) => s.startsWith('bptt on quadratic --lr ')).length, 4, started.join('\n'));
    const stages = started.filter((s) => s.startsWith('divergence --quick seed 1, stage ')).map((s) => s.replace(/^.*stage /, ''));
    assert.deepEqual(stages.sort(), ['long-runs-logreg', 'long-runs-mnist', 'long-runs-mnist-larger', 'long-runs-mnist-noisy', 'train-bptt-logreg', 'train-bptt-mnist', 'train-gps-logreg', 'train-gps-mnist', 'tune-on-mnist']);
    // The three nets' long runs go as one flow, whose parent job is named by the stages it ends.
    const ends = started.filter((s) => s.startsWith('divergence --quick seed 1, the end of stages '));
    assert.deepEqual(ends, ['divergence --quick seed 1, the end of stages long-runs-mnist, long-runs-mnist-larger, long-runs-mnist-noisy'], started.join('\n'));
    // An experiment's results are the same but for when, where and how long.
    const [q, l] = ['experiment-queued', 'experiment-local'].map((out) => {
      const root = join(work, out, 'divergence');
      const dir = join(root, readdirSync(root)[0]);
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      for (const key of ['date', 'wallSeconds', 'machine']) delete results[key];
      results.tables = results.tables.filter((t: { title: string }) => t.title !== 'Training time');
      const plots = readdirSync(join(dir, 'plots')).sort().map((f) => readFileSync(join(dir, 'plots', f), 'utf8'));
      return { results: JSON.stringify(results), curves: readFileSync(join(dir, 'curves.csv'), 'utf8'), plots, claims: readdirSync(join(dir, 'stages')).filter((f) => f.endsWith('.claim')) };
    });
    assert.equal(q.results, l.results);
    assert.equal(q.curves, l.curves);
    assert.deepEqual(q.plots, l.plots);
    assert.ok(q.plots.length > 0);
    assert.deepEqual(q.claims, [], 'no claim files on the queue');
  });
});
