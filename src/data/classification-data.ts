// A labelled dataset in memory, as every loader returns it and the classifier objectives read it.
export interface ClassificationData {
  inputs: Float32Array; // row-major [count, inputDim]
  labels: Int32Array;
  inputDim: number;
  classes: number;
}
