// One truncated-BPTT unroll: run the LSTM optimizer for `steps` steps on a set of coordinates and
// return the meta-gradient of the meta-loss Σ_t ℓ_t(θ_{t+1}) with the optimizee's gradients held
// constant (no second derivatives, as in Andrychowicz et al.). ℓ_t is f for the 'sum' meta-objective,
// log(f − f*) for 'rate', and f at the unroll's last step only for 'final' (src/meta-objective.ts).
//
// Because ∇ℓ enters only as a constant, d ℓ_t(θ_{t+1})/dφ = ∇ℓ_t(θ_{t+1})ᵀ dθ_{t+1}/dφ, and with
// θ_{t+1} = θ_0 + Σ_{s≤t} Δ_s the meta-gradient is that of the surrogate Σ_s ⟨G_s, Δ_s⟩, where
// G_s = Σ_{u>s} ∇ℓ_u(θ_u) sums the meta-gradients seen after step s. The LSTM's input stays ∇f. The
// tape then holds only LSTM ops; the optimizee runs outside tfjs's autodiff (any Objective works,
// float64 or tfjs).
//
// Coordinates are independent given the gradients, so memory is bounded by taping one chunk of
// coordinates at a time: a forward pass over all chunks records the gradients, then each chunk is
// replayed under the tape and its meta-gradients summed. With one chunk the forward pass is skipped.
import { tf } from '../tf.ts';
import { disposeStates, type CoordinatewiseLstm, type LstmState } from '../../policies/coordinatewise-lstm.ts';

/** What the optimizee reports after a step. */
export interface StepOutcome {
  /** The meta-loss term ℓ at the new θ (summed over the target's objectives). */
  loss: number;
  /** ∇f at the new θ: the LSTM's next input. */
  gradient: Float32Array;
  /** ∇ℓ at the new θ when ℓ is not f itself (the rate meta-objective); absent: ∇f. */
  metaGradient?: Float32Array;
}

/** The optimizee side of an unroll: all coordinates of one or more objectives, concatenated. */
export interface UnrollTarget {
  readonly size: number;
  /** θ ← θ + update; returns the meta-loss term, ∇f and ∇ℓ at the new θ. */
  advance(update: Float32Array): StepOutcome;
}

/** How an unroll's steps enter its meta-loss: each one, or ('final') only the last. */
export interface UnrollOptions {
  lastStepOnly?: boolean;
}

export interface UnrollOutcome {
  /** Σ_t of the target's meta-loss term after each step (or the last step's, lastStepOnly): the meta-loss whose gradient `grads` is. */
  loss: number;
  /** Meta-gradient per LSTM variable, in `lstm.variables` order (the caller disposes). */
  grads: tf.Tensor[];
  /** Per chunk, the LSTM state after the unroll (the caller disposes). */
  states: LstmState[];
  /** ∇f at the final θ: the input of the next unroll. */
  gradient: Float32Array;
}

export interface Chunk {
  start: number;
  end: number;
}

export function chunksOf(size: number, chunkSize: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let start = 0; start < size; start += chunkSize) chunks.push({ start, end: Math.min(size, start + chunkSize) });
  return chunks;
}

/** ∇f (the LSTM's input) and ∇ℓ after each step: recorded by a forward pass, or obtained live (one chunk). */
type GradientSource = (t: number, update: tf.Tensor1D) => { gradient: Float32Array; metaGradient: Float32Array };

function tapedChunk(lstm: CoordinatewiseLstm, state: LstmState, gradient: Float32Array, steps: number, next: GradientSource, lastStepOnly: boolean) {
  let finalState: LstmState | null = null;
  const seen: Float32Array[] = [];
  let lastGradient = gradient;
  const { value, grads } = tf.variableGrads(() => {
    let current = state;
    let g = gradient;
    const updates: tf.Tensor1D[] = [];
    // Packed once: every step multiplies the same tensors (wasm packs a product's operand once per tensor).
    const weights = lstm.packedWeights();
    for (let t = 0; t < steps; t++) {
      const out = lstm.step(tf.tensor1d(g), current, weights);
      current = out.state;
      updates.push(out.update);
      const result = next(t, out.update);
      g = result.gradient;
      seen.push(result.metaGradient);
    }
    lastGradient = g;
    finalState = { h: current.h.map((x) => tf.keep(x)), c: current.c.map((x) => tf.keep(x)) };
    // Surrogate Σ_s ⟨G_s, Δ_s⟩ with G_s the suffix sums of the meta-gradients seen (with lastStepOnly,
    // the last one's alone: every step leads to the final θ).
    const suffix = new Float32Array(g.length);
    let surrogate: tf.Scalar = tf.scalar(0);
    for (let s = steps - 1; s >= 0; s--) {
      const gs = seen[s];
      if (!lastStepOnly || s === steps - 1) for (let i = 0; i < suffix.length; i++) suffix[i] += gs[i];
      surrogate = tf.add(surrogate, tf.sum(tf.mul(updates[s], tf.tensor1d(suffix.slice()))));
    }
    return surrogate;
  }, lstm.variables);
  value.dispose();
  return { grads: lstm.variables.map((v) => grads[v.name]), state: finalState as unknown as LstmState, gradient: lastGradient };
}

export function unroll(lstm: CoordinatewiseLstm, target: UnrollTarget, states: LstmState[], chunks: Chunk[], gradient: Float32Array, steps: number, options: UnrollOptions = {}): UnrollOutcome {
  const lastStepOnly = options.lastStepOnly ?? false;
  let loss = 0;
  const counted = (t: number, result: StepOutcome) => {
    if (!lastStepOnly || t === steps - 1) loss += result.loss;
    return { gradient: result.gradient, metaGradient: result.metaGradient ?? result.gradient };
  };
  if (chunks.length === 1) {
    const out = tapedChunk(lstm, states[0], gradient, steps, (t, update) => counted(t, target.advance(update.dataSync() as Float32Array)), lastStepOnly);
    return { loss, grads: out.grads, states: [out.state], gradient: out.gradient };
  }
  // Forward pass without a tape, recording ∇f and ∇ℓ after every step.
  const recorded: { gradient: Float32Array; metaGradient: Float32Array }[] = [];
  let current = states;
  let g = gradient;
  for (let t = 0; t < steps; t++) {
    const update = new Float32Array(target.size);
    const nextStates = chunks.map((chunk, k) => {
      const out = lstm.stepUntaped(g.subarray(chunk.start, chunk.end), current[k]);
      update.set(out.update, chunk.start);
      return out.state;
    });
    if (current !== states) disposeStates(current);
    current = nextStates;
    const result = counted(t, target.advance(update));
    g = result.gradient;
    recorded.push(result);
  }
  disposeStates(current);
  // Replay each chunk under the tape and sum the meta-gradients.
  let grads: tf.Tensor[] | null = null;
  const finalStates: LstmState[] = [];
  chunks.forEach((chunk, k) => {
    const out = tapedChunk(
      lstm,
      states[k],
      gradient.subarray(chunk.start, chunk.end),
      steps,
      (t) => ({ gradient: recorded[t].gradient.subarray(chunk.start, chunk.end), metaGradient: recorded[t].metaGradient.subarray(chunk.start, chunk.end) }),
      lastStepOnly,
    );
    finalStates.push(out.state);
    if (grads === null) grads = out.grads;
    else {
      const sum: tf.Tensor[] = grads.map((a, i) => tf.add(a, out.grads[i]));
      tf.dispose([...grads, ...out.grads]);
      grads = sum;
    }
  });
  return { loss, grads: grads as unknown as tf.Tensor[], states: finalStates, gradient: g };
}
