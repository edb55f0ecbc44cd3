// FER2013 (48×48 grayscale faces, 7 expressions), the stand-in for the non-public Toronto Face
// Database. Two layouts: `fer2013-bin/{train,test}.bin` (record: label byte + 2304 pixel bytes) and
// Kaggle's canonical `fer2013.csv` (emotion,pixels,Usage). From the CSV, train = Usage "Training"
// and test = "PrivateTest", as in the shared subset; "PublicTest" (the challenge's validation
// rows) is in neither split.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { ClassificationData } from './classification-data.ts';
import type { DataSplit } from './cifar.ts';
import { labelledPixels, readFixedRecords } from './fixed-records.ts';

const PIXELS = 48 * 48;
const CLASSES = 7;
export const FER2013_DIR = 'fer2013-bin';
const CSV_USAGE: Record<DataSplit, string> = { train: 'Training', test: 'PrivateTest' };

export function parseFer2013Csv(text: string, split: DataSplit, source: string): ClassificationData {
  const lines = text.split(/\r?\n/);
  const header = lines[0].trim().split(',');
  if (header[0] !== 'emotion' || header[1] !== 'pixels' || header[2] !== 'Usage') {
    throw new UserError(`${source}: expected the header 'emotion,pixels,Usage', got '${lines[0].slice(0, 60)}'`);
  }
  const inputs: number[] = [];
  const labels: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const fields = lines[i].split(',');
    const label = Number(fields[0]);
    const pixels = (fields[1] ?? '').trim().split(' ');
    const usage = (fields[2] ?? '').trim();
    if (fields.length !== 3 || pixels.length !== PIXELS || !Number.isInteger(label) || label < 0 || label >= CLASSES) {
      throw new UserError(`${source}:${i + 1}: expected 'label 0–6,${PIXELS} pixel values,Usage' (${pixels.length} pixels read): truncated or malformed`);
    }
    if (usage !== CSV_USAGE[split]) continue;
    labels.push(label);
    for (const p of pixels) inputs.push(Number(p) / 255);
  }
  if (labels.length === 0) throw new UserError(`${source}: no rows with Usage '${CSV_USAGE[split]}'`);
  return { inputs: Float32Array.from(inputs), labels: Int32Array.from(labels), inputDim: PIXELS, classes: CLASSES };
}

export function loadFer2013(split: DataSplit, dataDir: string): ClassificationData {
  const binary = join(dataDir, FER2013_DIR, `${split}.bin`);
  if (existsSync(binary)) {
    const { count, bytes } = readFixedRecords(binary, 1 + PIXELS, 'FER2013');
    return { ...labelledPixels(bytes, count, 1, 0, PIXELS, CLASSES, binary), inputDim: PIXELS, classes: CLASSES };
  }
  for (const csv of [join(dataDir, 'fer2013.csv'), join(dataDir, 'fer2013', 'fer2013.csv')]) {
    if (existsSync(csv)) return parseFer2013Csv(readFileSync(csv, 'utf8'), split, csv);
  }
  throw new UserError(
    `FER2013: ${dataDir} has neither ${FER2013_DIR}/${split}.bin nor fer2013.csv. The CSV needs a Kaggle login ` +
      '(the "Challenges in Representation Learning: Facial Expression Recognition Challenge" data page); put it at ' +
      `${join(dataDir, 'fer2013', 'fer2013.csv')}`,
  );
}
