// Runs of a policy over a problem set, split into blocks that a worker pool runs side by side.
// Instance i's run depends only on the family, the policy, the seed and i (run-problems.ts), so the
// blocks give exactly the runs one loop would: the results are the same for any worker count.
// A block needs what a worker can rebuild from plain data: the family's spec (the registry sets it)
// and the policy's; without either the runs stay in this thread.
import { resolve } from 'node:path';
import type { FamilySpec, ObjectiveFamily, Split } from '../../envs/objective.ts';
import type { Trajectory } from '../../envs/optimization-env.ts';
import { familyFromSpec } from '../../envs/registry.ts';
import { findHandDesigned } from '../../policies/hand-designed.ts';
import type { Policy } from '../../policies/policy.ts';
import { loadGpsPolicy } from '../gps/checkpoint.ts';
import { loadBpttPolicy } from '../supervised/checkpoint.ts';
import type { TaskPool } from '../parallel/worker-pool.ts';
import { runProblems, type ProblemSet } from '../../policies/run-problems.ts';
import { searchMinima, type MinimumSearch } from './reference-minimum.ts';

/** How to build a policy again in a worker: a hand-designed optimizer at a learning rate, or a saved learned one. */
export type PolicySpec = { kind: 'hand'; name: string; lr: number } | { kind: 'gps' | 'bptt'; dir: string };

export function learnedPolicySpec(kind: 'gps' | 'bptt', dir: string): PolicySpec {
  return { kind, dir: resolve(dir) };
}

/** What a run sends back: enough to score it (compare.ts), not its states. */
export type RunRecord = Pick<Trajectory, 'objective' | 'values' | 'gradientNorms' | 'divergedAt' | 'evaluations'>;

interface BlockSet {
  split: Split;
  first: number;
  problems: number;
  steps: number;
  seed: string;
  historyLength?: number;
}

const families = new Map<string, Promise<ObjectiveFamily>>();
const policies = new Map<string, Policy>();

function cachedFamily(spec: FamilySpec): Promise<ObjectiveFamily> {
  const key = JSON.stringify(spec);
  let family = families.get(key);
  if (!family) {
    family = familyFromSpec(spec);
    families.set(key, family);
  }
  return family;
}

export function policyFromSpec(spec: PolicySpec): Policy {
  const key = JSON.stringify(spec);
  let policy = policies.get(key);
  if (!policy) {
    if (spec.kind === 'hand') policy = findHandDesigned(spec.name).create(spec.lr);
    else policy = spec.kind === 'gps' ? loadGpsPolicy(spec.dir).policy : loadBpttPolicy(spec.dir).policy;
    policies.set(key, policy);
  }
  return policy;
}

function record(run: Trajectory): RunRecord {
  return { objective: run.objective, values: run.values, gradientNorms: run.gradientNorms, divergedAt: run.divergedAt, evaluations: run.evaluations };
}

/** Task: one block of runs. */
export async function runBlock(payload: { family: FamilySpec; policy: PolicySpec; set: BlockSet }): Promise<RunRecord[]> {
  const family = await cachedFamily(payload.family);
  return runProblems(policyFromSpec(payload.policy), { ...payload.set, family }).map(record);
}

/** Task: the f* search (reference-minimum.ts) on one block of instances. */
export async function searchBlock(payload: { family: FamilySpec; set: Omit<BlockSet, 'steps'>; search: MinimumSearch }): Promise<number[]> {
  const family = await cachedFamily(payload.family);
  return searchMinima({ ...payload.set, family }, payload.search);
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

/** runProblems, on the pool's workers when it has several and the family and policy can be rebuilt there. */
export async function runProblemsOn(pool: TaskPool | undefined, policy: Policy, policySpec: PolicySpec | undefined, set: ProblemSet): Promise<RunRecord[]> {
  if (!canDistribute(pool, set.family) || policySpec === undefined) return runProblems(policy, set).map(record);
  const { family, ...rest } = set;
  const first = set.first ?? 0;
  const parts = await pool.map<RunRecord[]>(
    RUN_BLOCK,
    blocks(first, set.problems, pool.size).map((block) => ({ family: family.spec, policy: policySpec, set: { ...rest, ...block } })),
  );
  return parts.flat();
}

/** searchMinima, on the pool's workers when it has several and the family can be rebuilt there. */
export async function searchMinimaOn(pool: TaskPool | undefined, set: Omit<ProblemSet, 'steps'>, search: MinimumSearch): Promise<number[]> {
  if (!canDistribute(pool, set.family)) return searchMinima(set, search);
  const { family, ...rest } = set;
  const parts = await pool.map<number[]>(
    SEARCH_BLOCK,
    blocks(set.first ?? 0, set.problems, pool.size).map((block) => ({ family: family.spec, set: { ...rest, ...block }, search })),
  );
  return parts.flat();
}
