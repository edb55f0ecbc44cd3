// The family parameters every MLP-classifier family shares (width, activation, minibatch, weight
// decay, initialization), with each family's own defaults, and their parsing into an MlpSpec.
import { UserError } from '../src/errors.ts';
import type { ParamSpec, ParamValues } from './family-definition.ts';
import { ACTIVATIONS, type Activation, type MlpSpec } from './mlp-classifier.ts';

/** A parameter's comma-separated positive integers (hidden widths, minibatch sizes); '' gives none. */
export function parsePositiveIntegers(name: string, text: string): number[] {
  const sizes = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new UserError(`${name} must be comma-separated positive integers, got '${text}'`);
  }
  // Past these a typo allocates past memory (a layer's weights) instead of failing in one line.
  if (sizes.length > MAX_LIST || sizes.some((n) => n > MAX_SIZE)) throw new UserError(`${name} takes at most ${MAX_LIST} sizes of at most ${MAX_SIZE.toLocaleString('en-US')} each, got '${text}'`);
  return sizes;
}

const MAX_LIST = 100;
const MAX_SIZE = 100_000;

function parseActivation(text: string): Activation {
  if (!(ACTIVATIONS as readonly string[]).includes(text)) {
    throw new UserError(`activation must be one of ${ACTIVATIONS.join(', ')}, got '${text}'`);
  }
  return text as Activation;
}

export function mlpParams(defaults: { hidden: string; activation: Activation; batchSize: number; batchNote: string; lambda: number }): Record<string, ParamSpec> {
  return {
    hidden: { kind: 'string', default: defaults.hidden, description: 'hidden layer widths, comma-separated' },
    activation: { kind: 'string', default: defaults.activation, description: `hidden activation: ${ACTIVATIONS.join(', ')}` },
    batchSize: { kind: 'integer', default: defaults.batchSize, min: 0, max: 1_000_000, description: `minibatch size (${defaults.batchNote})` },
    lambda: { kind: 'number', default: defaults.lambda, min: 0, description: 'weight decay (λ/2)Σ‖W‖²' },
    initScale: { kind: 'number', default: 1, min: 0, description: 'weights ~ N(0, initScale²/fan-in)' },
  };
}

export function mlpSpecFromParams(p: ParamValues): MlpSpec {
  return {
    hidden: parsePositiveIntegers('hidden', p.hidden as string),
    activation: parseActivation(p.activation as string),
    batchSize: p.batchSize as number,
    lambda: p.lambda as number,
    initScale: p.initScale as number,
  };
}
