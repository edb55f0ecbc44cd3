// A labelled dataset in memory, as every loader returns it and the classifier objectives read it.
export interface ClassificationData {
  inputs: Float32Array; // row-major [count, inputDim]
  labels: Int32Array;
  inputDim: number;
  classes: number;
}

/** The parts' examples, in order, in one pair of arrays. */
export function concatenateExamples(parts: readonly { inputs: Float32Array; labels: Int32Array }[]): { inputs: Float32Array; labels: Int32Array } {
  const inputs = new Float32Array(parts.reduce((n, p) => n + p.inputs.length, 0));
  const labels = new Int32Array(parts.reduce((n, p) => n + p.labels.length, 0));
  let i = 0;
  let l = 0;
  for (const part of parts) {
    inputs.set(part.inputs, i);
    labels.set(part.labels, l);
    i += part.inputs.length;
    l += part.labels.length;
  }
  return { inputs, labels };
}

/** The examples of `a` followed by those of `b` (the same input size and classes). */
export function joinData(a: ClassificationData, b: ClassificationData): ClassificationData {
  if (a.inputDim !== b.inputDim || a.classes !== b.classes) throw new Error(`cannot join data of ${a.inputDim} inputs and ${a.classes} classes with ${b.inputDim} and ${b.classes}`);
  return { ...concatenateExamples([a, b]), inputDim: a.inputDim, classes: a.classes };
}
