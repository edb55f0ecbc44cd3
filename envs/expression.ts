// An objective typed as a mathjs expression, e.g. "(1-x)^2 + 100*(y-x^2)^2", differentiated
// symbolically. Variables are the free symbols in alphabetical order (or as listed in `vars`).
// The instances of this family are one function; a run's randomness is its starting point.
import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode, EvalFunction } from 'mathjs';
import { UserError } from '../src/errors.ts';
import type { FamilyDefinition } from './family-definition.ts';
import type { Objective } from './objective.ts';

// mathjs takes most of a second to load, so it is loaded on the first expression rather than by
// every command and worker thread that imports the family registry.
let instance: MathJsInstance | null = null;
function mathjs(): MathJsInstance {
  if (!instance) {
    const { create, all } = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
    instance = create(all);
  }
  return instance;
}

export interface CompiledExpression {
  variables: string[];
  value: EvalFunction;
  partials: EvalFunction[];
}

export function compileExpression(source: string, variableOrder?: string[]): CompiledExpression {
  if (!source.trim()) throw new UserError('the expression is empty; give one such as "(1-x)^2 + 100*(y-x^2)^2"');
  let node: MathNode;
  try {
    node = mathjs().parse(source);
  } catch (err) {
    throw new UserError(`cannot parse expression '${source}': ${(err as Error).message}`);
  }
  const free = new Set<string>();
  node.traverse((child, _path, parent) => {
    if (!('isSymbolNode' in child) || !child.isSymbolNode) return;
    const isCallee = parent && 'isFunctionNode' in parent && parent.isFunctionNode && (parent as unknown as { fn: MathNode }).fn === child;
    const name = (child as unknown as { name: string }).name;
    // Names mathjs already knows (pi, e, sin, …) are constants or functions, not variables.
    if (!isCallee && !(name in mathjs())) free.add(name);
  });
  const variables = variableOrder ?? [...free].sort();
  const unknown = [...free].filter((v) => !variables.includes(v));
  if (unknown.length) throw new UserError(`expression uses ${unknown.join(', ')} which are not listed in vars=${variables.join(',')}`);
  if (variables.length === 0) throw new UserError(`expression '${source}' has no variables to optimize`);
  const partials = variables.map((v) => {
    try {
      return mathjs().derivative(node, v).compile();
    } catch (err) {
      throw new UserError(`cannot differentiate '${source}' with respect to ${v}: ${(err as Error).message}`);
    }
  });
  return { variables, value: node.compile(), partials };
}

function toNumber(result: unknown): number {
  // Complex or matrix results (sqrt(-1), ...) are not objective values; the run treats them as NaN.
  return typeof result === 'number' ? result : NaN;
}

function parseVector(text: string, dim: number, what: string): Float64Array {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const values = parts.map(Number);
  if (values.length !== dim || values.some((v) => !Number.isFinite(v))) {
    throw new UserError(`${what} must be ${dim} comma-separated numbers, got '${text}'`);
  }
  return Float64Array.from(values);
}

export const expressionFamily: FamilyDefinition = {
  name: 'expr',
  description: 'any differentiable mathjs expression (--expr "..."); instances differ by starting point',
  params: {
    expr: { kind: 'string', default: '(1-x)^2 + 100*(y-x^2)^2', description: 'the objective as a mathjs expression' },
    vars: { kind: 'string', default: '', description: 'variable order, comma-separated (default: alphabetical)' },
    x0: { kind: 'string', default: '', description: 'centre of the starting points, comma-separated (default: zeros)' },
    initStd: { kind: 'number', default: 0.5, description: 'x0 ~ N(centre, initStd²·I)' },
    trainSize: { kind: 'integer', default: 20, description: 'number of training runs' },
    testSize: { kind: 'integer', default: 100, description: 'number of test runs' },
  },
  create(p) {
    const vars = (p.vars as string).trim();
    const compiled = compileExpression(p.expr as string, vars ? vars.split(',').map((v) => v.trim()) : undefined);
    const dim = compiled.variables.length;
    const centre = (p.x0 as string).trim() ? parseVector(p.x0 as string, dim, 'x0') : new Float64Array(dim);
    const scope: Record<string, number> = {};
    return {
      name: 'expr',
      dim,
      splitSizes: { train: p.trainSize as number, test: p.testSize as number },
      sample(split, index): Objective {
        return {
          name: `expr/${split}/${index}`,
          dim,
          start(rng) {
            const x = new Float64Array(dim);
            for (let i = 0; i < dim; i++) x[i] = centre[i] + (p.initStd as number) * rng.normal();
            return x;
          },
          evaluate(x) {
            for (let i = 0; i < dim; i++) scope[compiled.variables[i]] = x[i];
            const gradient = new Float64Array(dim);
            for (let i = 0; i < dim; i++) gradient[i] = toNumber(compiled.partials[i].evaluate(scope));
            return { value: toNumber(compiled.value.evaluate(scope)), gradient };
          },
        };
      },
    };
  },
};
