// Held-out policy selection for GPS. GPS iterations do not improve the distilled policy monotonically
// (each LQR step is only as good as its local cost and dynamics model), so after every iteration the
// policy is scored on the last `validation` instances of the training split, which no condition uses,
// by the evaluation's own measure: the mean final objective after `validationSteps` steps (the
// full-data loss where the family has one), a run that breaks down charged as in chargedCurve. The
// run's learned optimizer is the best-scoring iteration's.
import type { ObjectiveFamily } from '../../envs/objective.ts';
import type { Policy } from '../../policies/policy.ts';
import { runProblems, selectionScore } from '../../policies/run-problems.ts';
import { UserError } from '../errors.ts';
import { mean } from '../vector.ts';

export interface ValidationSettings {
  conditions: number;
  /** Held-out training instances (the last ones of the split); 0 keeps the last iteration's policy. */
  validation: number;
  validationSteps: number;
  historyLength: number;
  seed: string;
}

export function checkValidationSplit(settings: ValidationSettings, family: ObjectiveFamily): void {
  const { conditions, validation } = settings;
  if (!Number.isInteger(validation) || validation < 0) throw new UserError(`validation must be a non-negative integer, got ${validation}`);
  if (!Number.isInteger(conditions) || conditions < 1) {
    const why = validation >= family.splitSizes.train ? ` (validation ${validation} leaves none of ${family.name}'s ${family.splitSizes.train} training instances)` : '';
    throw new UserError(`conditions must be at least 1, got ${conditions}${why}`);
  }
  if (conditions + validation > family.splitSizes.train) {
    throw new UserError(`${conditions} conditions and ${validation} validation instances need ${conditions + validation} training instances; ${family.name} has ${family.splitSizes.train} (lower conditions or validation, or raise the family's trainSize)`);
  }
}

/** Mean final score (selectionScore) of `policy` on the held-out instances (settings.validation ≥ 1). */
export function validationScore(policy: Policy, family: ObjectiveFamily, settings: ValidationSettings): number {
  const runs = runProblems(policy, {
    family,
    split: 'train',
    first: family.splitSizes.train - settings.validation,
    problems: settings.validation,
    steps: settings.validationSteps,
    seed: `gps-validation-${settings.seed}`,
    historyLength: settings.historyLength,
    fullDataSteps: [settings.validationSteps],
  });
  return mean(runs.map((run) => selectionScore(run, settings.validationSteps)));
}
