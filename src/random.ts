// Every random draw in the project goes through an Rng built from a seed string, so that the same
// --seed reproduces a run bit for bit. Streams are derived by name (`fork`) rather than by drawing
// from a parent, so adding a draw in one place never shifts the numbers seen elsewhere.
import seedrandom from 'seedrandom';

/** A seeded random stream; fork(label) derives an independent stream, so every draw is a function of the seed and its path of labels. */
export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spareNormal: number | null = null;

  constructor(readonly seed: string) {
    this.prng = seedrandom(seed);
  }

  /** An independent stream whose numbers depend only on this seed and the label. */
  fork(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Uniform in [0, 1), 53 bits. */
  uniform(): number {
    return this.prng.double();
  }

  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal by the Box–Muller transform (both draws used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  normalVector(n: number, std = 1, mean = 0): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fisher–Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
