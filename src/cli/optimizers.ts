// Optimizer names on the command line: a hand-designed optimizer (`adam`), or a learned one saved by
// `l2o train` (`gps:DIR`, `bptt:DIR`, `lista:DIR`). Shared by `l2o run --optimizer` and `l2o eval --optimizers`.
// The trainers' checkpoint code is imported only when a learned optimizer is named.
import { UserError } from '../errors.ts';
import type { Contender } from '../evaluate/compare.ts';

export const LEARNED_KINDS = ['gps', 'bptt', 'lista'] as const;
export type LearnedKind = (typeof LEARNED_KINDS)[number];

/** `gps:DIR` → { kind: 'gps', dir: 'DIR' }; a plain name → null. An unknown kind is a user error. */
export function learnedSpec(spec: string): { kind: LearnedKind; dir: string } | null {
  const colon = spec.indexOf(':');
  if (colon < 0) return null;
  const kind = spec.slice(0, colon);
  const dir = spec.slice(colon + 1);
  if (!(LEARNED_KINDS as readonly string[]).includes(kind)) throw new UserError(`unknown learned-optimizer kind '${kind}' in '${spec}'; use gps:DIR, bptt:DIR or lista:DIR`);
  if (dir === '') throw new UserError(`'${spec}' names no run directory; use ${kind}:DIR`);
  return { kind: kind as LearnedKind, dir };
}

/**
 * Row names for `--optimizers`: a learned optimizer's row is its kind (`gps`), unless the list
 * names two of that kind (an ablation: `gps:runs/a,gps:runs/b`), when each row is its whole spec.
 */
export function rowNames(specs: readonly string[]): string[] {
  const kinds = specs.map((spec) => learnedSpec(spec)?.kind ?? null);
  return specs.map((spec, i) => {
    const kind = kinds[i];
    return kind !== null && kinds.filter((k) => k === kind).length === 1 ? kind : spec;
  });
}

/**
 * `gps:DIR` / `bptt:DIR` / `lista:DIR` is the learned optimizer saved in DIR (row `gps` / `bptt` /
 * `lista`, or `rowName`: a LISTA network's K layers, then ISTA steps); anything else a hand-designed one.
 * `tfjs` says whether it computes with tfjs, whose backend loading it has then started.
 */
export async function contender(spec: string, rowName?: string): Promise<{ contender: Contender; tfjs: boolean }> {
  const learned = learnedSpec(spec);
  if (!learned) {
    const { findHandDesigned } = await import('../../policies/hand-designed.ts');
    findHandDesigned(spec);
    return { contender: { name: spec }, tfjs: false };
  }
  const { learnedPolicySpec, loadLearnedPolicy } = await import('../evaluate/parallel-runs.ts');
  const { policy, tfjs } = await loadLearnedPolicy(learned.kind, learned.dir);
  return { contender: { name: rowName ?? learned.kind, policy, lr: null, spec: learnedPolicySpec(learned.kind, learned.dir) }, tfjs };
}
