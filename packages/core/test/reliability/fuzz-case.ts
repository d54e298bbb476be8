/**
 * One fuzz case from one seed: a valid stream for the profile, a mutation of it, the cuts of
 * its TCP writes, and what the server must answer. Case `i` of a run with seed `s` is made from
 * `caseSeed(s, i)` alone, so any failing case is reproduced on its own.
 */
import type { Expectation } from './expectation';
import { mutate } from './mutations';
import { Random } from './random';
import { frameStream, planStream, type Profile } from './streams';

export interface FuzzCase {
  readonly seed: number;
  readonly bytes: Buffer;
  readonly cuts: readonly number[];
  readonly expect: Expectation;
  /** The case's own generator, for choices made while it runs (timing, offers). */
  readonly random: Random;
}

export function caseSeed(runSeed: number, index: number): number {
  return (Math.imul(runSeed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

export function makeCase(seed: number, profile: Profile): FuzzCase {
  const random = new Random(seed);
  const plan = planStream(random, profile);
  const stream = frameStream(plan, random);
  const { bytes, expect } = mutate(random, profile, plan, stream);
  return { seed, bytes, cuts: random.cuts(bytes.length), expect, random };
}
