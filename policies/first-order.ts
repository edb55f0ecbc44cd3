// The classic first-order update rules as policies over the current gradient. Defaults are the
// usual ones (momentum 0.9, RMSprop ρ = 0.9, Adam β = (0.9, 0.999), ε = 1e-8); only the learning
// rate is tuned (src/evaluate/tuner.ts).
import type { Objective } from '../envs/objective.ts';
import type { Observation, Policy } from './policy.ts';

const EPSILON = 1e-8;

/** Shared bookkeeping: per-coordinate buffers sized at reset. */
abstract class FirstOrderPolicy implements Policy {
  abstract readonly name: string;
  protected t = 0;

  constructor(readonly lr: number) {}

  reset(objective: Objective): void {
    this.t = 0;
    this.allocate(objective.dim);
  }

  act(observation: Observation): Float64Array {
    this.t += 1;
    const g = observation.gradient;
    const step = new Float64Array(g.length);
    for (let i = 0; i < g.length; i++) step[i] = this.coordinateStep(i, g[i]);
    return step;
  }

  protected abstract allocate(dim: number): void;
  protected abstract coordinateStep(i: number, g: number): number;
}

/** Gradient descent: Δx = −lr·∇f(x_t). */
export class GradientDescent extends FirstOrderPolicy {
  readonly name = 'gd';
  protected allocate(): void {}
  protected coordinateStep(_i: number, g: number): number {
    return -this.lr * g;
  }
}

/** Heavy ball: v ← μv − lr·g, Δx = v. */
export class Momentum extends FirstOrderPolicy {
  readonly name = 'momentum';
  private velocity = new Float64Array(0);
  constructor(lr: number, readonly mu = 0.9) {
    super(lr);
  }
  protected allocate(dim: number): void {
    this.velocity = new Float64Array(dim);
  }
  protected coordinateStep(i: number, g: number): number {
    this.velocity[i] = this.mu * this.velocity[i] - this.lr * g;
    return this.velocity[i];
  }
}

/** Nesterov momentum in the form that needs only ∇f(x_t): b ← μb + g, Δx = −lr(g + μb). */
export class Nesterov extends FirstOrderPolicy {
  readonly name = 'nag';
  private buffer = new Float64Array(0);
  constructor(lr: number, readonly mu = 0.9) {
    super(lr);
  }
  protected allocate(dim: number): void {
    this.buffer = new Float64Array(dim);
  }
  protected coordinateStep(i: number, g: number): number {
    this.buffer[i] = this.mu * this.buffer[i] + g;
    return -this.lr * (g + this.mu * this.buffer[i]);
  }
}

/** AdaGrad: Δx = −lr·g/(√Σg² + ε), per coordinate. */
export class AdaGrad extends FirstOrderPolicy {
  readonly name = 'adagrad';
  private sumSquares = new Float64Array(0);
  protected allocate(dim: number): void {
    this.sumSquares = new Float64Array(dim);
  }
  protected coordinateStep(i: number, g: number): number {
    this.sumSquares[i] += g * g;
    return (-this.lr * g) / (Math.sqrt(this.sumSquares[i]) + EPSILON);
  }
}

/** RMSprop, ρ = 0.9: Δx = −lr·g/(√(running mean of g²) + ε). */
export class RmsProp extends FirstOrderPolicy {
  readonly name = 'rmsprop';
  private meanSquare = new Float64Array(0);
  constructor(lr: number, readonly rho = 0.9) {
    super(lr);
  }
  protected allocate(dim: number): void {
    this.meanSquare = new Float64Array(dim);
  }
  protected coordinateStep(i: number, g: number): number {
    this.meanSquare[i] = this.rho * this.meanSquare[i] + (1 - this.rho) * g * g;
    return (-this.lr * g) / (Math.sqrt(this.meanSquare[i]) + EPSILON);
  }
}

/** Adam with bias correction, β = (0.9, 0.999): Δx = −lr·m̂/(√v̂ + ε). */
export class Adam extends FirstOrderPolicy {
  readonly name = 'adam';
  private m = new Float64Array(0);
  private v = new Float64Array(0);
  constructor(lr: number, readonly beta1 = 0.9, readonly beta2 = 0.999) {
    super(lr);
  }
  protected allocate(dim: number): void {
    this.m = new Float64Array(dim);
    this.v = new Float64Array(dim);
  }
  protected coordinateStep(i: number, g: number): number {
    this.m[i] = this.beta1 * this.m[i] + (1 - this.beta1) * g;
    this.v[i] = this.beta2 * this.v[i] + (1 - this.beta2) * g * g;
    const mHat = this.m[i] / (1 - this.beta1 ** this.t);
    const vHat = this.v[i] / (1 - this.beta2 ** this.t);
    return (-this.lr * mHat) / (Math.sqrt(vHat) + EPSILON);
  }
}
