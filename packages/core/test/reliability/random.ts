/**
 * The fuzzer's one source of randomness: mulberry32 (from sans-io-frames.ts) behind a few
 * helpers, so a whole run is reproduced from one integer seed.
 */
import { prng, randomBytes, randomKey, randomText } from '../helpers/sans-io-frames';

export class Random {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = prng(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let at = this.next() * total;
    for (const [weight, value] of choices) {
      at -= weight;
      if (at < 0) return value;
    }
    return choices[choices.length - 1][1];
  }

  bytes(length: number): Buffer {
    return randomBytes(length, this.next);
  }

  /** Valid UTF-8 of about `byteLength` bytes, with 1- to 4-byte code points. */
  text(byteLength: number): Buffer {
    return Buffer.from(randomText(byteLength, this.next), 'utf8');
  }

  maskKey(): Buffer {
    return randomKey(this.next);
  }

  /** A size that is usually small, sometimes medium, rarely up to `max`. */
  size(max: number): number {
    return this.weighted([
      [2, 0],
      [10, this.int(1, 125)],
      [5, this.int(126, Math.min(2000, max))],
      [1, this.int(0, max)],
    ]);
  }

  /** Cut points splitting `length` bytes into the pieces of separate TCP writes. */
  cuts(length: number): number[] {
    if (length <= 1) return [];
    const count = this.weighted([
      [3, 0],
      [6, this.int(1, 4)],
      [3, this.int(5, 24)],
      [1, Math.min(length - 1, 400)], // close to a byte at a time
    ]);
    const cuts = new Set<number>();
    for (let i = 0; i < count; i++) cuts.add(this.int(1, length - 1));
    return [...cuts].sort((a, b) => a - b);
  }
}
