// Several optimizee runs side by side as one vector of coordinates, which is all a coordinatewise
// optimizer needs: each objective sees its own slice, and the LSTM sees every coordinate at once.
import type { Objective } from '../../envs/objective.ts';
import type { Rng } from '../random.ts';
import type { UnrollTarget } from './unroll.ts';

export class ProblemBatch implements UnrollTarget {
  readonly size: number;
  private readonly offsets: number[] = [];
  private readonly x: Float64Array[];
  /** Latest f of each objective; NaN/Inf once it broke down. */
  readonly values: Float64Array;
  /** ∇f at the start, for the first LSTM step. */
  readonly initialGradient: Float32Array;

  constructor(
    readonly objectives: Objective[],
    rng: Rng,
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

  /** Σ_k f_k after the step; the gradient holds each objective's own ∇f_k in its slice. */
  advance(update: Float32Array): { loss: number; gradient: Float32Array } {
    this.objectives.forEach((o, k) => {
      const x = this.x[k];
      const offset = this.offsets[k];
      for (let i = 0; i < o.dim; i++) x[i] += update[offset + i];
    });
    const gradient = this.evaluate();
    let loss = 0;
    for (const v of this.values) loss += v;
    return { loss, gradient };
  }

  dispose(): void {
    for (const o of this.objectives) o.dispose?.();
  }
}
