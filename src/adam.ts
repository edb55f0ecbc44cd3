// Adam (Kingma & Ba 2015) on float64 parameter arrays, updated in place: the optimizer of the GPS
// policy's distillation, with tfjs's defaults (β1 = 0.9, β2 = 0.999, ε = 1e-7) so that moving the
// distillation off tfjs kept its behaviour.
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private beta1Power = 1;
  private beta2Power = 1;

  constructor(
    sizes: number[],
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    this.m = sizes.map((size) => new Float64Array(size));
    this.v = sizes.map((size) => new Float64Array(size));
  }

  /** One step: params[i] −= lr · m̂ / (√v̂ + ε), with bias-corrected moments m̂, v̂. */
  step(params: Float64Array[], grads: Float64Array[]): void {
    const { beta1, beta2, epsilon, learningRate } = this;
    this.beta1Power *= beta1;
    this.beta2Power *= beta2;
    const c1 = 1 / (1 - this.beta1Power);
    const c2 = 1 / (1 - this.beta2Power);
    params.forEach((p, i) => {
      const g = grads[i];
      const m = this.m[i];
      const v = this.v[i];
      for (let j = 0; j < p.length; j++) {
        m[j] = beta1 * m[j] + (1 - beta1) * g[j];
        v[j] = beta2 * v[j] + (1 - beta2) * g[j] * g[j];
        p[j] -= (learningRate * m[j] * c1) / (Math.sqrt(v[j] * c2) + epsilon);
      }
    });
  }
}
