// A labelled dataset in memory, as every loader returns it and the classifier objectives read it.
export interface ClassificationData {
  inputs: Float32Array; // row-major [count, inputDim]
  labels: Int32Array;
  inputDim: number;
  classes: number;
}

/** The examples of `a` followed by those of `b` (the same input size and classes). */
export function joinData(a: ClassificationData, b: ClassificationData): ClassificationData {
  if (a.inputDim !== b.inputDim || a.classes !== b.classes) throw new Error(`cannot join data of ${a.inputDim} inputs and ${a.classes} classes with ${b.inputDim} and ${b.classes}`);
  const inputs = new Float32Array(a.inputs.length + b.inputs.length);
  inputs.set(a.inputs);
  inputs.set(b.inputs, a.inputs.length);
  const labels = new Int32Array(a.labels.length + b.labels.length);
  labels.set(a.labels);
  labels.set(b.labels, a.labels.length);
  return { inputs, labels, inputDim: a.inputDim, classes: a.classes };
}
