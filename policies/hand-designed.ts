// The hand-designed optimizers by name, each with the grid its learning rate is tuned over.
import { UserError } from '../src/errors.ts';
import { AdaGrad, Adam, GradientDescent, Momentum, Nesterov, RmsProp } from './first-order.ts';
import { ConjugateGradient } from './conjugate-gradient.ts';
import { Lbfgs } from './lbfgs.ts';
import { Fista, Ista } from './proximal.ts';
import type { Policy } from './policy.ts';

/** A hand-designed optimizer by name, built for a given learning rate. */
export interface HandDesignedOptimizer {
  name: string;
  description: string;
  create(lr: number): Policy;
}

/** The hand-designed baselines, each tuned over DEFAULT_LR_GRID on the training split before a comparison. */
export const HAND_DESIGNED: readonly HandDesignedOptimizer[] = [
  { name: 'gd', description: 'gradient descent', create: (lr) => new GradientDescent(lr) },
  { name: 'momentum', description: 'heavy-ball momentum, μ = 0.9', create: (lr) => new Momentum(lr) },
  { name: 'nag', description: 'Nesterov accelerated gradient, μ = 0.9', create: (lr) => new Nesterov(lr) },
  { name: 'adagrad', description: 'AdaGrad', create: (lr) => new AdaGrad(lr) },
  { name: 'rmsprop', description: 'RMSprop, ρ = 0.9', create: (lr) => new RmsProp(lr) },
  { name: 'adam', description: 'Adam, β = (0.9, 0.999)', create: (lr) => new Adam(lr) },
  { name: 'lbfgs', description: 'L-BFGS, memory 10, strong-Wolfe line search (lr = first trial step)', create: (lr) => new Lbfgs(lr) },
  { name: 'cg', description: 'nonlinear CG (Polak–Ribière+), strong-Wolfe line search (lr = first trial step)', create: (lr) => new ConjugateGradient(lr) },
];

/**
 * The proximal baselines, for objectives with a composite structure (`Objective.composite`: the
 * sparse-coding and group-sparse-regression families); on any other objective they stop with a
 * UserError. Kept apart from HAND_DESIGNED, which is `l2o eval`'s default list and runs on every
 * family; findHandDesigned finds both, so `--optimizers ista,fista` names them. Their lr multiplies
 * the step 1/L (1 is the textbook step), or is the first trial step of the backtracking when the
 * objective gives no Lipschitz constant (policies/proximal.ts).
 */
export const PROXIMAL: readonly HandDesignedOptimizer[] = [
  { name: 'ista', description: 'ISTA, proximal gradient, step lr/L (backtracking from lr when L is unknown); composite objectives only', create: (lr) => new Ista(lr) },
  { name: 'fista', description: 'FISTA (Beck & Teboulle), step lr/L (backtracking from lr when L is unknown); composite objectives only', create: (lr) => new Fista(lr) },
];

/** The hand-designed optimizer of this name (smooth or proximal); a UserError lists the names when there is none. */
export function findHandDesigned(name: string): HandDesignedOptimizer {
  const all = [...HAND_DESIGNED, ...PROXIMAL];
  const opt = all.find((o) => o.name === name);
  if (!opt) throw new UserError(`unknown optimizer '${name}'; available: ${all.map((o) => o.name).join(', ')}`);
  return opt;
}

/** Log-spaced learning rates, two per decade from 1e-4 to 10. */
export const DEFAULT_LR_GRID: readonly number[] = Array.from({ length: 11 }, (_, k) => Number((10 ** (-4 + k / 2)).toPrecision(2)));

/**
 * Rounds of refinement after the grid when tuning (src/evaluate/tuner.ts): each tries the best rate
 * so far times 10^(±h), h half the previous round's (the first: half the grid's log-spacing at the
 * best point), and keeps the best of the three. Two rounds cost 4 rates more than the grid and reach
 * a quarter of its spacing.
 */
export const DEFAULT_REFINE_ROUNDS = 2;
