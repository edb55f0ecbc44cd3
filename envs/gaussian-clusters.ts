// Synthetic 2-D point clouds drawn from Gaussians, the data of Li & Malik's 2016 families.
import type { Rng } from '../src/random.ts';
import { UserError } from '../src/errors.ts';

/** Points an instance may draw in all: a typo past it would allocate past memory, not fail in one line. */
const MAX_POINTS = 10_000_000;

/** Refuses clusters × points per cluster past MAX_POINTS, naming the family. */
export function checkPointCount(family: string, clusters: number, perCluster: number): void {
  if (clusters * perCluster > MAX_POINTS) throw new UserError(`env '${family}' needs clusters × pointsPerCluster at most ${MAX_POINTS.toLocaleString('en-US')}, got ${clusters} × ${perCluster}`);
}

/** A 2×2 covariance L·Lᵀ with L lower triangular; returned as its factor L = [l00, l10, l11]. */
export function randomCovarianceFactor(rng: Rng, scale: number): [number, number, number] {
  // A·Aᵀ + 0.1·I with A ~ N(0, scale²) keeps every cloud elongated at a random angle but never flat.
  const a = [rng.normal() * scale, rng.normal() * scale, rng.normal() * scale, rng.normal() * scale];
  const s00 = a[0] * a[0] + a[1] * a[1] + 0.1;
  const s01 = a[0] * a[2] + a[1] * a[3];
  const s11 = a[2] * a[2] + a[3] * a[3] + 0.1;
  const l00 = Math.sqrt(s00);
  const l10 = s01 / l00;
  return [l00, l10, Math.sqrt(s11 - l10 * l10)];
}

/** `count` points from N(mean, L·Lᵀ), appended to `out` as x,y pairs. */
export function samplePoints(
  rng: Rng,
  count: number,
  mean: [number, number],
  factor: [number, number, number],
  out: number[],
): void {
  for (let i = 0; i < count; i++) {
    const z0 = rng.normal();
    const z1 = rng.normal();
    out.push(mean[0] + factor[0] * z0, mean[1] + factor[1] * z0 + factor[2] * z1);
  }
}

export const IDENTITY_FACTOR: [number, number, number] = [1, 0, 1];

export interface LabelledPoints {
  points: number[];
  labels: number[];
}

/** Clouds of points, each cloud one random binary class, the two classes both present. */
export function labelledClouds(rng: Rng, clusters: number, perCluster: number, meanStd: number): LabelledPoints {
  let clusterLabels: number[];
  do clusterLabels = Array.from({ length: clusters }, () => rng.int(2));
  while (clusterLabels.every((l) => l === clusterLabels[0]));
  const points: number[] = [];
  const labels: number[] = [];
  for (let k = 0; k < clusters; k++) {
    const mean: [number, number] = [rng.normal() * meanStd, rng.normal() * meanStd];
    samplePoints(rng, perCluster, mean, randomCovarianceFactor(rng, 0.5), points);
    for (let i = 0; i < perCluster; i++) labels.push(clusterLabels[k]);
  }
  return { points, labels };
}
