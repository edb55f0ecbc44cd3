// Several optimizee runs side by side as one vector of coordinates, which is all a coordinatewise
// optimizer needs: each objective sees its own slice, and the LSTM sees every coordinate at once.
// The batch also scores each step for the meta-objective (src/meta-objective.ts): the sum of f, or
// for 'rate' the log-gap log((f − f*)/(f(x_0) − f*)) with its gradient ∇f/(f − f*), leaving out an
// objective that starts at its minimum (it has no rate to improve).
import type { Objective } from '../../envs/objective.ts';
import { UserError } from '../errors.ts';
import { optimalityGap, startAgainstMinimum, type MetaObjective } from '../meta-objective.ts';
import type { Rng } from '../random.ts';
import type { StepOutcome, UnrollTarget } from './unroll.ts';

export class ProblemBatch implements UnrollTarget {
  readonly size: number;
  private readonly offsets: number[] = [];
  private readonly x: Float64Array[];
  /** Latest f of each objective; NaN/Inf once it broke down. */
  readonly values: Float64Array;
  /** ∇f at the start, for the first LSTM step. */
  readonly initialGradient: Float32Array;
  /** For the rate: each objective's f* and its gap f(x_0) − f* at the start. */
  private readonly minima: Float64Array;
  private readonly startGaps: Float64Array;

  constructor(
    readonly objectives: Objective[],
    rng: Rng,
    private readonly metaObjective: MetaObjective = 'sum',
  ) {
    let offset = 0;
    for (const o of objectives) {
      this.offsets.push(offset);
      offset += o.dim;
    }
    this.size = offset;
    this.x = objectives.map((o, k) => o.start(rng.fork(`start-${k}`)));
    this.values = new Float64Array(objectives.length);
    this.initialGradient = this.evaluate();
    this.minima = new Float64Array(objectives.length);
    this.startGaps = new Float64Array(objectives.length);
    if (metaObjective === 'rate') {
      objectives.forEach((o, k) => {
        this.minima[k] = o.minimum ?? 0;
        const start = startAgainstMinimum(this.values[k], this.minima[k]);
        if (start === 'below') {
          const known = o.minimum === undefined ? ' (taken as 0: the family states no minimum)' : '';
          throw new UserError(`the rate meta-objective needs f(x0) at or above the minimum f*, but ${o.name} starts at f = ${this.values[k]} with f* = ${this.minima[k]}${known}; use --meta-objective sum or final`);
        }
        // Started at its minimum: no log-gap, left out of the meta-loss (a gap of 0 marks it).
        this.startGaps[k] = start === 'at' ? 0 : this.values[k] - this.minima[k];
      });
    }
  }

  get finite(): boolean {
    return this.values.every(Number.isFinite);
  }

  private evaluate(): Float32Array {
    const gradient = new Float32Array(this.size);
    this.objectives.forEach((o, k) => {
      const { value, gradient: g } = o.evaluate(this.x[k]);
      this.values[k] = value;
      gradient.set(g, this.offsets[k]);
    });
    return gradient;
  }

  /**
   * Each objective's loss on its full data at its current iterate where it has one, else its latest
   * f: what the held-out selection scores by, as selectionScore in policies/run-problems.ts.
   */
  selectionValues(): number[] {
    return this.objectives.map((o, k) => (o.fullValue && Number.isFinite(this.values[k]) ? o.fullValue(this.x[k]) : this.values[k]));
  }

  /** The meta-loss term after the step, summed over the objectives; the gradient holds each objective's own ∇f_k in its slice. */
  advance(update: Float32Array): StepOutcome {
    this.objectives.forEach((o, k) => {
      const x = this.x[k];
      const offset = this.offsets[k];
      for (let i = 0; i < o.dim; i++) x[i] += update[offset + i];
    });
    const gradient = this.evaluate();
    let loss = 0;
    if (this.metaObjective !== 'rate') {
      for (const v of this.values) loss += v;
      return { loss, gradient };
    }
    const metaGradient = new Float32Array(this.size);
    this.objectives.forEach((o, k) => {
      if (this.startGaps[k] === 0) {
        // Still scored for breakdowns: a NaN here must reach the unroll's check.
        if (!Number.isFinite(this.values[k])) loss += NaN;
        return;
      }
      const gap = optimalityGap(this.values[k], this.minima[k], this.startGaps[k]);
      loss += Math.log(gap / this.startGaps[k]);
      const offset = this.offsets[k];
      for (let i = 0; i < o.dim; i++) metaGradient[offset + i] = gradient[offset + i] / gap;
    });
    return { loss, gradient, metaGradient };
  }

  dispose(): void {
    for (const o of this.objectives) o.dispose?.();
  }
}
