// The directory of several GPS trainings of one setting (`l2o train --restarts N`, trainGpsRestarts
// in train-restarts.ts): each restart a whole training in OUT/restart-k with its own seed, and the
// policy of the one with the lowest held-out score copied to OUT/policy.json, where `gps:OUT` reads
// it. The held-out score is the one that already picks each training's iteration (the final loss on
// the held-out training instances), so the choice uses no test problem; each restart's kept policy
// is scored again from the first restart's start draws, so that all are compared on the same runs
// (their own scores start from their own seeds'). Why: on MNIST at T = 400 the training seed moves
// the test loss more than any setting tried, and the held-out score ranks the seeds as the test does
// (docs/gps.md, session 39).
// With combine 'mean', OUT/policy.json is instead the policy that steps by the mean action of all
// the restarts' kept policies (PolicyNetwork.average): on logistic regression and the small net it
// beat every single restart's (docs/gps.md, session 42).
// OUT/restarts.json records the seeds and, once all are done, each one's score and the one kept.
// This module reads and writes files only, so the CLI can check a directory before it loads the GPS
// code.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { makeWritableDirectory, readJsonFile, removeEmptyDirectories, writeFileAtomic } from '../atomic-file.ts';
import { array, number, object, oneOf, optional, parse, SchemaError, string } from '../schema.ts';
import { COMBINES, restartSeed, type Combine } from './restarts.ts';

/**
 * The restarts of a run being resumed without --restarts: as many as it was started with (one for a
 * directory of a single training), so that `--resume` continues what is there. Null for a fresh --out.
 */
export function savedRestarts(out: string): number | null {
  if (existsSync(restartsPath(out))) return readRestarts(out).restarts.length;
  return existsSync(join(out, 'state.json')) ? 1 : null;
}

/** The first restart's seed of a run of restarts (what --seed started it with), or null where there is none. */
export function savedFirstSeed(out: string): string | null {
  return existsSync(restartsPath(out)) ? (readRestarts(out).restarts[0]?.seed ?? null) : null;
}

/** What a run of restarts keeps (its restarts.json says, from its start; older files once finished), for a resume without --combine; else null. */
export function savedCombine(out: string): Combine | null {
  if (!existsSync(restartsPath(out))) return null;
  const file = readRestarts(out);
  return file.combine ?? (file.mean ? 'mean' : file.kept !== undefined ? 'best' : null);
}

const FORMAT = 'l2o-gps-restarts';
const VERSION = 1;

/** One restart as restarts.json records it: its directory (relative to OUT) and seed, and once done its scores. */
export interface RestartRecord {
  dir: string;
  seed: string;
  /** The training's kept iteration and its held-out score; absent until it is done. */
  iteration?: number;
  validation?: number;
  /** The kept policy's held-out score from the first restart's start draws: what picks the restart. */
  heldOut?: number;
}

/** OUT/restarts.json: the restarts, and what OUT/policy.json holds of them once all are done. */
export interface RestartsFile {
  format: string;
  version: number;
  restarts: RestartRecord[];
  /** What OUT/policy.json is to hold, recorded when the run starts, so that a resume keeps it (absent in files of earlier versions). */
  combine?: Combine;
  /** The 1-based restart whose policy is OUT/policy.json (--combine best). */
  kept?: number;
  /** With --combine mean: the averaged policy's held-out score from the first restart's start draws (none without held-out instances). */
  mean?: { heldOut?: number };
}

export const restartsPath = (out: string) => join(out, 'restarts.json');
export const restartDir = (out: string, k: number) => join(out, `restart-${k}`);

/** Before any work: OUT must be fresh, or (with --resume) a run of the same number of restarts. */
export function checkRestartsDirectory(out: string, restarts: number, resume: boolean): void {
  const path = restartsPath(out);
  if (restarts === 1) {
    if (existsSync(path)) throw new UserError(`--out ${out} holds a run of several restarts (${path}); pass the same --restarts to continue it`);
    return;
  }
  if (!resume) {
    // (A single run's state.json in OUT is refused by the train command's own check.)
    if (existsSync(path)) throw new UserError(`--out ${out} already holds a training run; pass --resume to continue it, or choose another --out`);
    return;
  }
  if (!existsSync(path)) {
    // A fresh --out starts the run, as `--resume` does for one training (`npm start` relies on it).
    if (existsSync(join(out, 'state.json'))) throw new UserError(`--resume --restarts ${restarts}: ${out} holds a single training, not a run of restarts (no ${path}); resume it with --restarts 1`);
    return;
  }
  const saved = readRestarts(out);
  if (saved.restarts.length !== restarts) throw new UserError(`--restarts ${restarts} contradicts the run in ${out}, which has ${saved.restarts.length}; leave --restarts as it was`);
}

const restartsFileSchema = object({
  format: oneOf(FORMAT),
  version: number({ integer: true, min: VERSION, max: VERSION }),
  restarts: array(object({ dir: string(), seed: string(), iteration: optional(number({ integer: true, min: 1 })), validation: optional(number()), heldOut: optional(number()) })),
  combine: optional(oneOf(...COMBINES)),
  kept: optional(number({ integer: true, min: 1 })),
  mean: optional(object({ heldOut: optional(number()) })),
});

function readRestarts(out: string): RestartsFile {
  const path = restartsPath(out);
  try {
    return parse(restartsFileSchema, readJsonFile(path, 'restarts file'));
  } catch (err) {
    if (err instanceof SchemaError) throw new UserError(`${path}: ${err.message}`);
    throw err;
  }
}

/**
 * The record of a new run of restarts, written before the first training starts. Returns the
 * restarts and the directories it created, for `abandonRestarts`.
 */
export function startRestarts(out: string, seed: string, restarts: number, combine?: Combine): { records: RestartRecord[]; created: string[] } {
  const records = Array.from({ length: restarts }, (_, i) => ({ dir: `restart-${i + 1}`, seed: restartSeed(seed, i + 1) }));
  // Not mkdirSync's recursive form, which can hang under /proc.
  const created = makeWritableDirectory(out, (reason) => `cannot write to ${out}: ${reason}`);
  if (!existsSync(restartsPath(out))) writeFileAtomic(restartsPath(out), `${JSON.stringify({ format: FORMAT, version: VERSION, ...(combine ? { combine } : {}), restarts: records }, null, 2)}\n`);
  return { records: readRestarts(out).restarts, created };
}

/**
 * After a failure: when no restart has reached a checkpoint, nothing of the run is worth keeping,
 * so restarts.json and the directories `startRestarts` created go, as a single training's do.
 */
export function abandonRestarts(out: string, restarts: number, created: readonly string[]): void {
  for (let k = 1; k <= restarts; k++) if (existsSync(join(restartDir(out, k), 'state.json'))) return;
  if (existsSync(restartsPath(out))) unlinkSync(restartsPath(out));
  removeEmptyDirectories(created);
}

/**
 * After every restart is done: each one's kept iteration and held-out score, its policy's score
 * from the first restart's start draws (`commonScore` of its directory), and the policy with the
 * lowest such score copied to OUT/policy.json (a tie keeps the earlier restart), written atomically,
 * so OUT/policy.json is always a whole policy. With `mean`, OUT/policy.json is the restarts' mean
 * (`saveAveragedPolicy`, checkpoint.ts: passed in, as this module loads before the GPS code) and its
 * score is recorded instead.
 */
export function combineRestarts(out: string, combine: Combine, commonScore: (dir: string) => number, saveAveragedPolicy: (dir: string, sources: string[], validation?: number) => void): RestartsFile {
  const file = readRestarts(out);
  for (const record of file.restarts) {
    const path = join(out, record.dir, 'policy.json');
    const policy = readJsonFile(path, 'GPS policy') as { iteration?: unknown; validation?: unknown };
    record.iteration = typeof policy.iteration === 'number' ? policy.iteration : undefined;
    if (typeof policy.validation !== 'number' || !Number.isFinite(policy.validation)) {
      // The mean needs no choice between them: trained without held-out instances, none is scored.
      if (combine === 'mean') continue;
      throw new UserError(`${path} has no held-out score to compare the restarts by (train with --validation > 0)`);
    }
    record.validation = policy.validation;
    record.heldOut = commonScore(join(out, record.dir));
  }
  if (combine === 'mean') {
    const sources = file.restarts.map((r) => join(out, r.dir));
    saveAveragedPolicy(out, sources);
    const scored = file.restarts.every((r) => r.heldOut !== undefined);
    const heldOut = scored ? commonScore(out) : undefined;
    if (scored) saveAveragedPolicy(out, sources, heldOut);
    file.mean = scored ? { heldOut } : {};
    delete file.kept; // a resume may switch what is kept: the record says what policy.json is now
  } else {
    delete file.mean;
    let kept = 0;
    file.restarts.forEach((r, k) => {
      if (r.heldOut! < file.restarts[kept].heldOut!) kept = k;
    });
    writeFileAtomic(join(out, 'policy.json'), readFileSync(join(out, file.restarts[kept].dir, 'policy.json'), 'utf8'));
    file.kept = kept + 1;
  }
  file.combine = combine; // what policy.json holds now, and what a resume without --combine keeps
  writeFileAtomic(restartsPath(out), `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

/** One line per restart for the log: its seed, kept iteration and held-out scores, and which is kept. */
export function describeRestarts(file: RestartsFile): string {
  const score = (r: { heldOut?: number; validation?: number }) => (r.heldOut === undefined ? 'no held-out score' : `held-out ${r.heldOut.toPrecision(4)} from restart 1's starts${r.validation === undefined ? '' : ` (${r.validation.toPrecision(4)} from its own)`}`);
  const lines = file.restarts.map((r, k) => `restart ${k + 1} (seed ${r.seed}): iteration ${r.iteration ?? '?'}, ${score(r)}${file.kept === k + 1 ? '  ← kept' : ''}`);
  if (file.mean) lines.push(`their mean: ${score(file.mean)}  ← kept`);
  return lines.join('\n');
}

