// The IDX format of the MNIST files (LeCun): a big-endian header — two zero bytes, a type code,
// the number of dimensions, then each dimension as uint32 — followed by the data. Only unsigned
// bytes (type 0x08) occur in MNIST, so only they are read; anything else is reported, not guessed.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors.ts';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parses an IDX buffer, checking the magic number, the expected rank and that no byte is missing. */
export function parseIdx(buffer: Uint8Array, source: string, expectedRank?: number): IdxArray {
  if (buffer.length < 4) throw new UserError(`${source}: ${buffer.length} bytes is too short for an IDX header`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const magic = view.getUint32(0);
  const type = buffer[2];
  const rank = buffer[3];
  if (buffer[0] !== 0 || buffer[1] !== 0 || type !== UNSIGNED_BYTE || rank < 1) {
    throw new UserError(`${source}: bad IDX magic number ${magic} (expected 0x0000 08 NN, e.g. 2049 for labels or 2051 for images)`);
  }
  if (expectedRank !== undefined && rank !== expectedRank) {
    throw new UserError(`${source}: IDX magic ${magic} has ${rank} dimensions, expected ${expectedRank}`);
  }
  const headerBytes = 4 + 4 * rank;
  if (buffer.length < headerBytes) throw new UserError(`${source}: truncated IDX header (${buffer.length} of ${headerBytes} bytes)`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = headerBytes + shape.reduce((a, b) => a * b, 1);
  if (buffer.length < expected) {
    throw new UserError(`${source}: truncated IDX file: the header announces shape [${shape.join(', ')}] (${expected} bytes), the file has ${buffer.length}`);
  }
  if (buffer.length > expected) throw new UserError(`${source}: ${buffer.length - expected} unexpected bytes after the IDX data`);
  return { shape, data: buffer.subarray(headerBytes, expected) };
}

/** Reads an IDX file, gunzipping it when its name ends in .gz. */
export function readIdxFile(path: string, expectedRank?: number): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new UserError(`${path}: not a complete gzip stream (${(err as Error).message})`);
    }
  }
  return parseIdx(bytes, path, expectedRank);
}
