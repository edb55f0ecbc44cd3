// kill -9 at random moments: `l2o train` (the compiled CLI, as users run it) is SIGKILLed several
// times during a GPS and a BPTT run — a seeded random delay after a seeded number of new log lines,
// which lands mid-iteration or mid-write however loaded the machine is, and at the moment a
// checkpoint's temporary file appears, which lands mid-write — and resumed with --resume until it
// finishes. The run directory must then hold byte for byte the files
// of an uninterrupted run, and a log with every iteration exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/random.ts';
import { BIN, ROOT, scratchDir } from './helpers.ts';


/** How a run ended: SIGKILLed by the test (with temporary files left behind: mid-write), or on its own. */
interface Outcome {
  killed: boolean;
  midWrite: boolean;
  code: number | null;
  stderr: string;
  /** Milliseconds since the start at which each new log line was seen. */
  lineTimes: number[];
}

/** `when`: kill `ms` after the run's `lines`-th new log line, or when the `nth` temporary file of a write appears in `out`. */
type KillAt = { lines: number; ms: number } | { nth: number } | null;

function train(args: string[], out: string, when: KillAt): Promise<Outcome> {
  mkdirSync(out, { recursive: true }); // so that the watch can start before the run does
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let killed = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL');
    };
    let timer: NodeJS.Timeout | undefined;
    let watcher: ReturnType<typeof watch> | undefined;
    const logged = () => (existsSync(join(out, 'log.jsonl')) ? readFileSync(join(out, 'log.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').length : 0);
    const before = logged();
    const started = Date.now();
    const lineTimes: number[] = [];
    if (!when || 'lines' in when) {
      watcher = watch(out, (_event, name) => {
        if (name !== 'log.jsonl') return;
        const seen = logged() - before;
        while (lineTimes.length < seen) lineTimes.push(Date.now() - started);
        if (when && timer === undefined && seen >= when.lines) timer = setTimeout(kill, when.ms);
      });
    }
    if (when && 'nth' in when) {
      let seen = 0;
      watcher = watch(out, (_event, name) => {
        // Count creations (a write's rename away from the temporary name is an event too).
        if (name && /\.tmp-\d+$/.test(name) && existsSync(join(out, name)) && ++seen === when.nth) kill();
      });
    }
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      watcher?.close();
      const midWrite = killed && readdirSync(out).some((name) => /\.tmp-\d+$/.test(name));
      resolve({ killed, midWrite, code, stderr, lineTimes });
    });
  });
}

const lines = (dir: string) => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n');
/** A log line without its wall-clock timings. */
const outcome = (line: string) => JSON.stringify({ ...JSON.parse(line), seconds: undefined, timing: undefined });

/**
 * Trains `full` straight, then the same run under `kills` kill -9s, each resumed (alternately with
 * the full command line and with only what identifies the run, so that the saved settings must win),
 * and compares the directories.
 */
async function killAndResume(name: string, full: string[], minimal: string[], iterations: number, files: string[], kills: number): Promise<string[]> {
  const base = scratchDir(`l2o-kill-${name}-`);
  const straight = join(base, 'straight');
  const clean = await train(full, straight, null);
  assert.equal(clean.code, 0, clean.stderr);
  // Time per iteration from the log lines' arrival, not the whole run's: the run's start-up (loading
  // tfjs, building the family) is long beside a tiny BPTT iteration, and counting it placed kills
  // after the run had ended.
  const times = clean.lineTimes;
  const perIteration = times.length >= 2 ? (times[times.length - 1] - times[0]) / (times.length - 1) : 50;
  const rng = new Rng(`kill-resume-${name}`);
  const resumed = join(base, 'killed');
  const notes: string[] = [];
  let attempt = 0;
  let killsDone = 0;
  for (; ; attempt++) {
    const args = attempt === 0 ? full : attempt % 2 === 1 ? [...minimal, '--resume'] : [...full, '--resume'];
    const done = existsSync(join(resumed, 'state.json')) ? (JSON.parse(readFileSync(join(resumed, 'state.json'), 'utf8')) as { iteration: number }).iteration : 0;
    let when: KillAt = null;
    if (killsDone < kills) {
      // Alternately a random moment inside an iteration that is not the last, and a seeded checkpoint write.
      when = killsDone % 2 === 0 ? { lines: 1 + rng.int(Math.max(1, iterations - done - 2)), ms: Math.round(rng.uniformIn(0, 0.8) * perIteration) } : { nth: 1 + rng.int(2) };
    }
    const result = await train(args, resumed, when);
    if (!result.killed) {
      // Finished: before its kill, if one was planned (on a loaded machine a run can outpace its estimate).
      assert.equal(result.code, 0, `${name}, run ${attempt} (${JSON.stringify(when)}): ${result.stderr}`);
      if (when) notes.push(`${name}: the run finished before its kill at ${JSON.stringify(when)}`);
      break;
    }
    killsDone++;
    const reached = existsSync(join(resumed, 'state.json')) ? (JSON.parse(readFileSync(join(resumed, 'state.json'), 'utf8')) as { iteration: number }).iteration : 0;
    notes.push(`${name}: kill ${killsDone} at ${JSON.stringify(when)}, resumed from iteration ${done}, checkpoint at ${reached} when killed${result.midWrite ? ', mid-write' : ''}`);
  }
  assert.ok(killsDone >= kills - 1, `${name}: ${killsDone} of ${kills} planned kills landed while the run was going`);
  for (const file of files) assert.equal(readFileSync(join(resumed, file), 'utf8'), readFileSync(join(straight, file), 'utf8'), `${name}: ${file} after ${kills} kills`);
  assert.deepEqual(lines(resumed).map((l) => (JSON.parse(l) as { iteration: number }).iteration), Array.from({ length: iterations }, (_, i) => i), `${name}: each iteration logged once`);
  assert.deepEqual(lines(resumed).map(outcome), lines(straight).map(outcome), `${name}: the log`);
  assert.deepEqual(readdirSync(resumed).sort(), readdirSync(straight).sort(), `${name}: no temporary files or lock left`);
  return [...notes, `${name}: ${killsDone} kills, ${notes.filter((n) => n.includes('mid-write')).length} of them mid-write`];
}

test('GPS killed with SIGKILL at random moments and resumed ends byte-identical to the uninterrupted run', async (t) => {
  const run = ['train', '--algo', 'gps', '--env', 'logreg', '--param', 'trainSize=30', '--iterations', '6', '--workers', '1', '--restarts', '1', '--quiet'];
  const settings = ['--conditions', '8', '--validation', '4', '--samples', '3', '--horizon', '10', '--history', '2', '--inner', '1', '--policy-iterations', '20', '--validation-steps', '10', '--kl-step', '0.3'];
  const notes = await killAndResume('gps', [...run, ...settings], run, 6, ['policy.json', 'state.json'], 3);
  for (const note of notes) t.diagnostic(note);
});

test('BPTT killed with SIGKILL at random moments and resumed ends byte-identical to the uninterrupted run', async (t) => {
  const run = ['train', '--algo', 'bptt', '--env', 'quadratic', '--iterations', '8', '--workers', '1', '--quiet'];
  const settings = ['--validate-every', '2', '--batch', '4', '--horizon', '20', '--unroll', '10', '--validation', '4', '--lr', '0.01', '--hidden', '8'];
  const notes = await killAndResume('bptt', [...run, ...settings], run, 8, ['optimizer.json', 'state.json'], 3);
  for (const note of notes) t.diagnostic(note);
});
