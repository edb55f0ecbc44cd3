// The built-in objective families by name, and the one place that turns a name plus user
// parameters into a family.
import { UserError } from '../src/errors.ts';
import { resolveParams, type FamilyDefinition } from './family-definition.ts';
import type { ObjectiveFamily } from './objective.ts';
import { quadratic } from './quadratic.ts';
import { logisticRegression } from './logistic-regression.ts';
import { robustRegression } from './robust-regression.ts';
import { smallNet } from './small-net.ts';
import { mlpGaussians } from './mlp-gaussians.ts';
import { expressionFamily } from './expression.ts';

export const FAMILIES: readonly FamilyDefinition[] = [quadratic, logisticRegression, robustRegression, smallNet, mlpGaussians, expressionFamily];

export function findFamily(name: string): FamilyDefinition {
  const def = FAMILIES.find((f) => f.name === name);
  if (!def) throw new UserError(`unknown env '${name}'; available: ${FAMILIES.map((f) => f.name).join(', ')}`);
  return def;
}

export function createFamily(name: string, params: Record<string, string | number> = {}): ObjectiveFamily {
  const def = findFamily(name);
  return def.create(resolveParams(def, params));
}
