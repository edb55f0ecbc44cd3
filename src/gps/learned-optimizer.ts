// A per-coordinate GPS policy (`l2o train --algo gps --coordinatewise`, Li & Malik 2017) as a tfjs
// Optimizer, so any tfjs model can train with it: `model.compile({ optimizer, loss })` or
// `optimizer.minimize(f)`. Each step is the policy's mean step Δx_j = μ_θ(s_j), with no exploration
// noise: the step `l2o eval` takes on the same history.
//
// The policy's state s_j holds the shared relative change of the objective, so a step needs f(x_t)
// as well as ∇f(x_t): `minimize` (which model.fit calls, with returnCost and the model's trainable
// weights) captures the cost; `applyGradients` alone has no cost and refuses.
//
// History layout: one CoordinateHistory over all the variables of a call, their coordinates
// concatenated in the order they come. Coordinate j's state is its own gradients and steps plus the
// relative change of f, which the policy was trained to read as the change of the one objective all
// coordinates share: here the model's loss, the same for every variable. So one history over the
// concatenation is the faithful reading (a history per variable would hold the same states), and it
// lets one batched pass (CoordinatewiseGpsPolicy.stepAll: float64 below FLOAT32_ROWS coordinates,
// one float32 wasm SIMD pass from there on, as in `l2o eval`) step every weight of the model at once.
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { CoordinatewiseGpsPolicy, GpsPolicy } from '../../policies/gps-policy.ts';
import type { DistilledPolicy } from '../../policies/distilled-policy.ts';
import type { Observation } from '../../policies/policy.ts';
import type { GradientScaling } from '../../envs/coordinate-history.ts';
import type { FeatureSet } from '../../envs/coordinate-features.ts';
import { loadGpsPolicy } from './checkpoint.ts';
import { reviveDistilledPolicy, type DistilledPolicyJson } from './transfer.ts';

type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

/**
 * The distilled network of a per-coordinate GPS run as a tfjs `Optimizer`. It keeps one history over
 * all the variables it steps (their coordinates concatenated in the order of the first call), so
 * train one set of variables with one instance. Registered with `tf.serialization` as
 * `L2OGpsOptimizer`; its config carries the network, so `fromConfig` rebuilds an optimizer that
 * takes the same steps from the same history (the history itself is not part of the config).
 */
export class L2OGpsOptimizer extends tf.Optimizer {
  /** The name under which the class is registered with `tf.serialization`. */
  static get className(): string {
    return 'L2OGpsOptimizer';
  }

  /** The rule that steps every coordinate; it owns the history. */
  private readonly policy: CoordinatewiseGpsPolicy;
  /** f at the variables of the gradients being applied, set by `minimize` for `applyGradients`. */
  private pendingCost: number | null = null;
  /** The variables of the history, in order, fixed by the first step. */
  private layout: { names: string[]; sizes: number[]; total: number } | null = null;

  /**
   * @param network the distilled per-coordinate network (3·historyLength inputs, one output)
   * @param historyLength H, the lags of each coordinate's state
   * @param gradientScaling how the gradient features were scaled in training
   * @param features the per-coordinate feature set it was trained on
   */
  constructor(
    readonly network: DistilledPolicy,
    readonly historyLength: number,
    readonly gradientScaling: GradientScaling,
    readonly features: FeatureSet = 'history',
  ) {
    super();
    this.policy = new CoordinatewiseGpsPolicy(network, historyLength, gradientScaling, features);
  }

  /**
   * The optimizer of the per-coordinate GPS run in `dir` (its `policy.json`). A full-state run is
   * refused with a UserError: its policy only fits objectives of the dimension it was trained on.
   */
  static load(dir: string): L2OGpsOptimizer {
    const { policy, identity } = loadGpsPolicy(dir);
    if (!(policy instanceof CoordinatewiseGpsPolicy)) {
      const d = policy instanceof GpsPolicy ? String(policy.network.outputDim) : 'd';
      throw new UserError(
        `${dir} holds a full-state GPS run, which is not a drop-in optimizer: its policy reads the whole state of the ${d}-dimensional objective it was trained on ('${identity.env}') ` +
          `and steps all ${d} coordinates at once, so it only fits objectives of dimension ${d} and cannot step an arbitrary model's variables. ` +
          `A per-coordinate run (l2o train --algo gps --coordinatewise) gives a drop-in optimizer.`,
      );
    }
    return new L2OGpsOptimizer(policy.network, policy.historyLength, policy.gradientScaling, policy.features);
  }

  /**
   * tf.Optimizer.minimize with the cost kept for the step: computes f and its gradients with
   * respect to `varList` (all trainable variables f uses when omitted), steps them, and returns f
   * when `returnCost` is true (the caller disposes it), as model.fit asks.
   */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    const { value, grads } = this.computeGradients(f, varList);
    try {
      this.pendingCost = value.dataSync()[0];
      this.applyGradients(varList ? varList.map((v) => ({ name: v.name, tensor: grads[v.name] })) : grads);
    } catch (err) {
      value.dispose();
      throw err;
    } finally {
      this.pendingCost = null;
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /**
   * One step of the policy on the gradients `minimize` computed, at the cost it captured. Called
   * directly, with no cost, it throws: the policy's state needs the loss (use `minimize`).
   * A variable whose gradient is missing (f does not depend on it) is given a zero gradient.
   */
  override applyGradients(variableGradients: Gradients): void {
    const cost = this.pendingCost;
    if (cost === null) {
      throw new Error(`${L2OGpsOptimizer.className} needs the loss as well as the gradients (its policy reads the relative change of the objective): call minimize(f), as model.fit does, not applyGradients`);
    }
    const entries = Array.isArray(variableGradients) ? variableGradients.map((v) => [v.name, v.tensor] as const) : Object.entries(variableGradients);
    const variables = entries.map(([name]) => {
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`${L2OGpsOptimizer.className}: no variable named '${name}'`);
      return variable;
    });
    const layout = this.checkLayout(variables);
    const x = new Float64Array(layout.total);
    const gradient = new Float64Array(layout.total);
    let offset = 0;
    entries.forEach(([, g], i) => {
      x.set(variables[i].dataSync() as Float32Array, offset);
      if (g != null) gradient.set(g.dataSync() as Float32Array, offset);
      offset += layout.sizes[i];
    });
    const observation: Observation = {
      t: this.iterations,
      x,
      value: cost,
      gradient,
      state: () => {
        throw new Error('a per-coordinate policy reads its own history, not Φ');
      },
    };
    const step = this.policy.act(observation);
    offset = 0;
    variables.forEach((variable, i) => {
      const size = layout.sizes[i];
      const next = new Float32Array(size);
      for (let k = 0; k < size; k++) next[k] = x[offset + k] + step[offset + k];
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
      offset += size;
    });
    this.incrementIterations();
  }

  /** The layout of the first call; a later call must step the same variables in the same order. */
  private checkLayout(variables: tf.Variable[]): { names: string[]; sizes: number[]; total: number } {
    const names = variables.map((v) => v.name);
    if (!this.layout) {
      const sizes = variables.map((v) => v.size);
      this.layout = { names, sizes, total: sizes.reduce((a, b) => a + b, 0) };
    } else if (names.length !== this.layout.names.length || names.some((n, i) => n !== this.layout!.names[i] || variables[i].size !== this.layout!.sizes[i])) {
      throw new Error(`${L2OGpsOptimizer.className} keeps one history over the variables it first stepped ([${this.layout.names.join(', ')}]); this call steps [${names.join(', ')}]: use one optimizer per set of variables`);
    }
    return this.layout;
  }

  /** Frees the network's cached weight tensors (if any); the optimizer holds no other tensors. */
  override dispose(): void {
    this.network.disposeTensors();
    super.dispose();
  }

  /** The network, H, the gradient scaling and the feature set: everything `fromConfig` needs to take the same steps. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      historyLength: this.historyLength,
      gradientScaling: this.gradientScaling,
      features: this.features,
      network: this.network.toJSON() as unknown as tf.serialization.ConfigDict,
    };
  }

  /** An optimizer with a fresh history from `getConfig`'s output (the tf.serialization protocol). */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    const network = reviveDistilledPolicy(config.network as unknown as DistilledPolicyJson);
    // Configs written before the feature sets existed are the history features.
    const features = (config.features ?? 'history') as FeatureSet;
    return new (cls as unknown as typeof L2OGpsOptimizer)(network, config.historyLength as number, config.gradientScaling as GradientScaling, features) as unknown as T;
  }
}

tf.serialization.registerClass(L2OGpsOptimizer);
