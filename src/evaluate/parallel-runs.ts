// Runs of a policy over a problem set, split into blocks that a worker pool runs side by side.
// Instance i's run depends only on the family, the policy, the seed and i (run-problems.ts), so the
// blocks give exactly the runs one loop would: the results are the same for any worker count.
// A block needs what a worker can rebuild from plain data: the family's spec (the registry sets it)
// and the policy's; without either the runs stay in this thread.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkFileStamp, fileStamp } from '../file-stamp.ts';
import { OPTIMIZER_FILES } from '../run-directory.ts';
import type { FamilySpec, ObjectiveFamily, Split } from '../../envs/objective.ts';
import type { Trajectory } from '../../envs/optimization-env.ts';
import { cachedFamilyFromSpec } from '../../envs/registry.ts';
import { findHandDesigned } from '../../policies/hand-designed.ts';
import type { Policy } from '../../policies/policy.ts';
import type { TaskPool } from '../parallel/worker-pool.ts';
import { runProblems, type ProblemRun, type ProblemSet } from '../../policies/run-problems.ts';
import { searchMinima, type MinimumSearch } from './reference-minimum.ts';

/**
 * How to build a policy again in a worker: a hand-designed optimizer at a learning rate, or a saved
 * learned one, with its file's stamp as the command read it (src/file-stamp.ts).
 */
export type PolicySpec = { kind: 'hand'; name: string; lr: number } | { kind: 'gps' | 'bptt' | 'lista'; dir: string; stamp?: string };

export function learnedPolicySpec(kind: 'gps' | 'bptt' | 'lista', dir: string): PolicySpec {
  const absolute = resolve(dir);
  const file = join(absolute, OPTIMIZER_FILES[kind]);
  // A missing file has no stamp; loading it says what the directory holds instead.
  return { kind, dir: absolute, ...(existsSync(file) ? { stamp: fileStamp(file) } : {}) };
}

/** What a run sends back: enough to score it (compare.ts), not its states; its full-data losses when asked for and the objective has them. */
export type RunRecord = Pick<Trajectory, 'objective' | 'values' | 'gradientNorms' | 'divergedAt' | 'evaluations'> & Pick<ProblemRun, 'fullData'>;

interface BlockSet {
  split: Split;
  first: number;
  problems: number;
  steps: number;
  seed: string;
  historyLength?: number;
  fullDataSteps?: readonly number[];
}

const policies = new Map<string, Policy>();

/** The policy a spec names, built once per thread; a learned one that computes with tfjs starts its backend first (a pool may have started without). */
export async function policyFromSpec(spec: PolicySpec): Promise<Policy> {
  const key = JSON.stringify(spec);
  let policy = policies.get(key);
  if (!policy) {
    // A learned one's file is the one the command read, or it is refused: an l2o worker lives across
    // commands, and a run retrained into the same directory must not be run as the old one.
    if (spec.kind !== 'hand' && spec.stamp !== undefined) checkFileStamp(join(spec.dir, OPTIMIZER_FILES[spec.kind]), spec.stamp);
    policy = spec.kind === 'hand' ? findHandDesigned(spec.name).create(spec.lr) : (await loadLearnedPolicy(spec.kind, spec.dir)).policy;
    if (spec.kind !== 'hand') forgetOtherVersions(spec.kind, spec.dir);
    policies.set(key, policy);
  }
  return policy;
}

/** Frees the policies this thread built from earlier contents of the same run directory (a worker retrained under): one version kept per directory. */
function forgetOtherVersions(kind: string, dir: string): void {
  for (const [key, policy] of policies) {
    const spec = JSON.parse(key) as PolicySpec;
    if (spec.kind === kind && 'dir' in spec && spec.dir === dir) {
      policy.dispose?.();
      policies.delete(key);
    }
  }
}

/**
 * A trained optimizer from its run directory, and whether it computes with tfjs. The tfjs backend is
 * started first for BPTT and LISTA networks, and after loading for a GPS run whose policy is an LSTM;
 * a GPS MLP policy needs none, so evaluating it loads no tfjs (and a bad policy file fails sooner).
 */
export async function loadLearnedPolicy(kind: 'gps' | 'bptt' | 'lista', dir: string): Promise<{ policy: Policy; tfjs: boolean }> {
  const initBackend = async () => (await import('../backend.ts')).initBackend();
  if (kind === 'gps') {
    const { policy, tfjs } = (await import('../gps/checkpoint.ts')).loadGpsPolicy(dir);
    if (tfjs) await initBackend();
    return { policy, tfjs };
  }
  await initBackend();
  const policy = kind === 'bptt' ? (await import('../supervised/checkpoint.ts')).loadBpttPolicy(dir).policy : (await import('../supervised/lista.ts')).loadListaPolicy(dir).policy;
  return { policy, tfjs: true };
}

function record(run: ProblemRun): RunRecord {
  const kept: RunRecord = { objective: run.objective, values: run.values, gradientNorms: run.gradientNorms, divergedAt: run.divergedAt, evaluations: run.evaluations };
  if (run.fullData) kept.fullData = run.fullData;
  return kept;
}

/** Task: one block of runs. */
export async function runBlock(payload: { family: FamilySpec; policy: PolicySpec; set: BlockSet }): Promise<RunRecord[]> {
  const family = await cachedFamilyFromSpec(payload.family);
  return runProblems(await policyFromSpec(payload.policy), { ...payload.set, family }).map(record);
}

/** Task: the f* search (reference-minimum.ts) on one block of instances. */
export async function searchBlock(payload: { family: FamilySpec; set: Omit<BlockSet, 'steps'>; search: MinimumSearch }): Promise<number[]> {
  const family = await cachedFamilyFromSpec(payload.family);
  return searchMinima({ ...payload.set, family }, payload.search);
}

/**
 * What a block task's item is, for people (a queue's workers print it, and a failed item's error names
 * it): which optimizer, or the f* search, on which instances of which family.
 */
export function describeTask(task: { name: string }, payload: unknown): string {
  const { family, policy, set } = payload as { family?: FamilySpec; policy?: PolicySpec; set?: { split: Split; first: number; problems: number } };
  if (!family || !set) return task.name;
  const env = family.env.replace(/^.*[\\/]/, '');
  const instances = set.problems === 1 ? `${set.split} instance ${set.first}` : `${set.split} instances ${set.first}–${set.first + set.problems - 1}`;
  const what = task.name === 'searchBlock' ? 'the f* search' : policy === undefined ? task.name : policy.kind === 'hand' ? `${policy.name} (lr ${policy.lr})` : `${policy.kind}:${policy.dir}`;
  return `${what} on ${env} ${instances}`;
}

const RUN_BLOCK = { module: import.meta.url, name: 'runBlock' };
const SEARCH_BLOCK = { module: import.meta.url, name: 'searchBlock' };

/** Consecutive blocks of [first, first + problems), about four per worker so they finish together. */
function blocks(first: number, problems: number, workers: number): { first: number; problems: number }[] {
  const size = Math.max(1, Math.ceil(problems / (4 * workers)));
  const out: { first: number; problems: number }[] = [];
  for (let start = first; start < first + problems; start += size) out.push({ first: start, problems: Math.min(size, first + problems - start) });
  return out;
}

/** Whether the pool has several workers and they can rebuild the family. */
function canDistribute(pool: TaskPool | undefined, family: ObjectiveFamily): pool is TaskPool {
  return pool !== undefined && pool.size > 1 && family.spec !== undefined;
}

/** Called as blocks of runs finish, with the number of instances each one ran (for progress). */
export type OnRuns = (count: number) => void;

/**
 * runProblems, on the pool's workers when it has several and the family and policy can be rebuilt
 * there. With `onRuns`, the runs in this thread go by blocks too, so that progress can be shown;
 * instance i's run is the same either way.
 */
export async function runProblemsOn(pool: TaskPool | undefined, policy: Policy, policySpec: PolicySpec | undefined, set: ProblemSet, onRuns?: OnRuns): Promise<RunRecord[]> {
  const first = set.first ?? 0;
  if (!canDistribute(pool, set.family) || policySpec === undefined) {
    if (!onRuns) return runProblems(policy, set).map(record);
    const out: RunRecord[] = [];
    for (const block of blocks(first, set.problems, 3) /* about a dozen */) {
      out.push(...runProblems(policy, { ...set, ...block }).map(record));
      onRuns(block.problems);
    }
    return out;
  }
  const { family, ...rest } = set;
  const parts = await Promise.all(
    blocks(first, set.problems, pool.size).map((block) =>
      pool.run<RunRecord[]>(RUN_BLOCK, { family: family.spec, policy: policySpec, set: { ...rest, ...block } }).then((runs) => {
        onRuns?.(block.problems);
        return runs;
      }),
    ),
  );
  return parts.flat();
}

/** searchMinima, on the pool's workers when it has several and the family can be rebuilt there. */
export async function searchMinimaOn(pool: TaskPool | undefined, set: Omit<ProblemSet, 'steps'>, search: MinimumSearch, onRuns?: OnRuns): Promise<number[]> {
  if (!canDistribute(pool, set.family)) {
    const minima = searchMinima(set, search);
    onRuns?.(set.problems);
    return minima;
  }
  const { family, ...rest } = set;
  const parts = await Promise.all(
    blocks(set.first ?? 0, set.problems, pool.size).map((block) =>
      pool.run<number[]>(SEARCH_BLOCK, { family: family.spec, set: { ...rest, ...block }, search }).then((minima) => {
        onRuns?.(block.problems);
        return minima;
      }),
    ),
  );
  return parts.flat();
}
