// Headerless files of fixed-size records (CIFAR's and our FER2013 binary layout). The record count
// comes from the file size, never from the official counts, so subsets and full files read alike;
// a size that is not a whole number of records means a truncated or foreign file.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';

export function readFixedRecords(path: string, recordBytes: number, format: string): { count: number; bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
    const whole = Math.floor(bytes.length / recordBytes);
    throw new UserError(
      `${path}: ${bytes.length} bytes is not a whole number of ${format} records (${recordBytes} bytes each; ` +
        `${whole} whole records and ${bytes.length - whole * recordBytes} bytes left over): truncated or not a ${format} file`,
    );
  }
  return { count: bytes.length / recordBytes, bytes };
}

/** Splits records of `[label bytes…][pixels]` into pixels scaled to [0, 1] and one chosen label byte. */
export function labelledPixels(
  bytes: Uint8Array,
  count: number,
  labelBytes: number,
  labelIndex: number,
  pixelCount: number,
  classes: number,
  source: string,
): { inputs: Float32Array; labels: Int32Array } {
  const recordBytes = labelBytes + pixelCount;
  const inputs = new Float32Array(count * pixelCount);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const start = r * recordBytes;
    const label = bytes[start + labelIndex];
    if (label >= classes) throw new UserError(`${source}: record ${r} has label ${label}, expected 0–${classes - 1}`);
    labels[r] = label;
    for (let p = 0; p < pixelCount; p++) inputs[r * pixelCount + p] = bytes[start + labelBytes + p] / 255;
  }
  return { inputs, labels };
}
