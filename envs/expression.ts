// An objective typed as a mathjs expression, e.g. "(1-x)^2 + 100*(y-x^2)^2", differentiated
// symbolically. Variables are the free symbols in alphabetical order (or as listed in `vars`).
// The instances of this family are one function; a run's randomness is its starting point.
import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode, EvalFunction } from 'mathjs';
import { UserError } from '../src/errors.ts';
import type { FamilyDefinition } from './family-definition.ts';
import type { Objective } from './objective.ts';

// mathjs is loaded on the first expression rather than by every command and worker thread that
// imports the family registry, and from its single-file bundle (an entry point its package exports):
// the same library in 0.07 s, where its CommonJS entry requires about 1,300 files in 0.55 s.
let instance: MathJsInstance | null = null;
function mathjs(): MathJsInstance {
  if (!instance) {
    const { create, all } = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as typeof import('mathjs');
    instance = create(all);
  }
  return instance;
}

export interface CompiledExpression {
  variables: string[];
  value: EvalFunction;
  partials: EvalFunction[];
}

/**
 * At most this many variables. The gradient is one symbolic derivative per variable, and mathjs
 * simplifies each: measured on a sum of squares, 0.15 s in all for 14 variables, 4.6 s for 20,
 * and about twice as long for each variable more. A family module with an analytic gradient
 * (docs/families.md) has no such limit.
 */
export const MAX_EXPRESSION_VARIABLES = 20;

/** mathjs functions that draw random numbers: a run would no longer be a function of --seed. */
const RANDOM_FUNCTIONS = new Set(['random', 'randomInt', 'pickRandom']);

type Node = MathNode & { type: string; name?: string; value?: unknown; fn?: MathNode };

/** One reason this expression cannot be an objective, found before it is evaluated, or null. */
function refusal(source: string, node: MathNode): string | null {
  const quoted = `expression '${source}'`;
  if (node.type === 'FunctionAssignmentNode') {
    return `${quoted} defines a function; write the expression itself, e.g. --expr "x^2" rather than --expr "f(x) = x^2"`;
  }
  if (node.type === 'AssignmentNode') return `${quoted} is an assignment; write the expression itself, without 'name ='`;
  if (node.type === 'BlockNode') return `${quoted} holds several expressions; give exactly one`;
  let found: string | null = null;
  node.traverse((child, _path, parent) => {
    if (found) return;
    const c = child as Node;
    if (c.type === 'FunctionAssignmentNode') found = `${quoted} defines a function; write the expression itself, e.g. --expr "x^2" rather than --expr "f(x) = x^2"`;
    else if (c.type === 'AssignmentNode') found = `${quoted} contains an assignment; write the expression itself`;
    else if (c.type === 'ConstantNode' && typeof c.value === 'string') found = `${quoted} contains the string ${JSON.stringify(c.value)}; an objective takes numbers only`;
    else if (c.type === 'ArrayNode') found = `${quoted} contains a matrix [...]; an objective is a real scalar`;
    else if (c.type === 'SymbolNode' && RANDOM_FUNCTIONS.has(c.name!)) {
      found = `${quoted} calls ${c.name}(), which draws random numbers: runs would differ for the same --seed; random functions (${[...RANDOM_FUNCTIONS].join(', ')}) are not allowed`;
    } else if (c.type === 'SymbolNode' && c.name === 'i' && !(parent && (parent as Node).type === 'FunctionNode' && (parent as Node).fn === child)) {
      found = `${quoted} uses i, the imaginary unit in mathjs; an objective is real (name the variable otherwise)`;
    }
  });
  return found;
}

export function compileExpression(source: string, variableOrder?: string[]): CompiledExpression {
  if (!source.trim()) throw new UserError('the expression is empty; give one such as "(1-x)^2 + 100*(y-x^2)^2"');
  let node: MathNode;
  try {
    node = mathjs().parse(source);
  } catch (err) {
    throw new UserError(`cannot parse expression '${source}': ${(err as Error).message}`);
  }
  const refused = refusal(source, node);
  if (refused) throw new UserError(refused);
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
  if (variables.length > MAX_EXPRESSION_VARIABLES) {
    throw new UserError(
      `expression has ${variables.length} variables; at most ${MAX_EXPRESSION_VARIABLES}, because its gradient is one symbolic derivative per variable and mathjs takes seconds to simplify them at 20 variables, about twice as long for each more (write a family module instead, docs/families.md)`,
    );
  }
  const partials = variables.map((v) => {
    try {
      return mathjs().derivative(node, v).compile();
    } catch (err) {
      throw new UserError(`cannot differentiate '${source}' with respect to ${v}: ${(err as Error).message}`);
    }
  });
  return { variables, value: node.compile(), partials };
}

/** What a mathjs result is, for a message: "a matrix", "a string", …. */
function describeResult(result: unknown): string {
  if (result === null || result === undefined) return 'nothing';
  if (typeof result === 'string') return 'a string';
  if (typeof result === 'boolean') return 'a boolean (true/false)';
  if (typeof result === 'function') return 'a function';
  const type = (result as { type?: unknown }).type;
  if (type === 'DenseMatrix' || type === 'SparseMatrix' || Array.isArray(result)) return 'a matrix';
  if (type === 'Unit') return 'a quantity with a unit';
  if (typeof type === 'string') return `a ${type}`;
  return `a ${typeof result}`;
}

/**
 * A mathjs result as an objective value. A complex number with a non-zero imaginary part (sqrt or
 * log of a negative number) is outside the function's real domain: NaN, so the run diverges there,
 * as a step into NaN does. Anything else that is not a real number is the expression's mistake.
 */
function toNumber(result: unknown, source: string, what: string): number {
  if (typeof result === 'number') return result;
  const complex = result as { type?: string; re?: number; im?: number };
  if (complex?.type === 'Complex') return complex.im === 0 ? complex.re! : NaN;
  if ((result as { type?: string })?.type === 'BigNumber' || (result as { type?: string })?.type === 'Fraction') return Number(result);
  throw new UserError(`expression '${source}' gives ${describeResult(result)} for ${what}, not a real number; an objective and its derivatives must be real scalars`);
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
    initStd: { kind: 'number', default: 0.5, min: 0, description: 'x0 ~ N(centre, initStd²·I)' },
    trainSize: { kind: 'integer', default: 20, min: 0, description: 'number of training runs' },
    testSize: { kind: 'integer', default: 100, min: 0, description: 'number of test runs' },
  },
  create(p) {
    const vars = (p.vars as string).trim();
    const source = p.expr as string;
    const compiled = compileExpression(source, vars ? vars.split(',').map((v) => v.trim()) : undefined);
    const dim = compiled.variables.length;
    const centre = (p.x0 as string).trim() ? parseVector(p.x0 as string, dim, 'x0') : new Float64Array(dim);
    const scope: Record<string, number> = {};
    const evaluate = (x: ArrayLike<number>) => {
      for (let i = 0; i < dim; i++) scope[compiled.variables[i]] = x[i];
      const gradient = new Float64Array(dim);
      for (let i = 0; i < dim; i++) gradient[i] = toNumber(compiled.partials[i].evaluate(scope), source, `its derivative in ${compiled.variables[i]}`);
      return { value: toNumber(compiled.value.evaluate(scope), source, 'its value'), gradient };
    };
    // An expression that is complex where the starts are centred (sqrt(-1)*x, log(x - 5)) is not a
    // real objective there: say so now rather than report every run as not finite at its start.
    const atCentre = complexAt(compiled, centre, scope);
    // A matrix, a string or a unit is refused there too (toNumber), before any run starts.
    try {
      evaluate(centre);
    } catch (err) {
      if (err instanceof UserError) throw err;
    }
    if (atCentre) {
      throw new UserError(`expression '${source}' is complex at the centre of the starting points (${atCentre}); an objective must be real there${(p.x0 as string).trim() ? '' : ' (move the starts with --param x0=…)'}`);
    }
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
          evaluate,
        };
      },
    };
  },
};

/** Where the value of the expression at x is complex: "f = 0 + 1i at x = 0, y = 0", else null. */
function complexAt(compiled: CompiledExpression, x: Float64Array, scope: Record<string, number>): string | null {
  compiled.variables.forEach((v, i) => (scope[v] = x[i]));
  let value: unknown;
  try {
    value = compiled.value.evaluate(scope);
  } catch {
    return null; // the run reports it, at its step
  }
  const complex = value as { type?: string; im?: number; toString(): string };
  if (complex?.type !== 'Complex' || complex.im === 0) return null;
  return `f = ${complex.toString()} at ${compiled.variables.map((v, i) => `${v} = ${x[i]}`).join(', ')}`;
}
