/**
 * What the mutators share: the context they work in, and the expectations they build (the
 * valid outcome, a failure at a frame, an undecided one).
 */
import type { Expectation } from './expectation';
import { NO_CLOSE } from './expectation';
import type { Random } from './random';
import { messagesBefore, type Message, type Profile, type Stream, type StreamPlan } from './streams';
import { encodeFrames, type WireFrame } from './wire';

export interface Mutated {
  readonly bytes: Buffer;
  readonly expect: Expectation;
}

export interface Context {
  readonly random: Random;
  readonly profile: Profile;
  readonly plan: StreamPlan;
  readonly stream: Stream;
}

export type Mutator = (context: Context) => Mutated | null;

export const PROTOCOL_ERROR = 1002;
export const INVALID_PAYLOAD = 1007;
export const MESSAGE_TOO_BIG = 1009;

export function newFrame(random: Random, opcode: number, payload: Buffer, fin = true, rsv = 0): WireFrame {
  return { opcode, fin, rsv, payload, key: random.maskKey(), message: -1, completes: false, messageOffset: 0 };
}

/** The outcome of the valid stream: every message, then the echo of its close (or nothing). */
export function intact(stream: Stream, label: string, messages: readonly Message[] = stream.messages): Expectation {
  return { label, closes: [stream.closeCode ?? NO_CLOSE], messages, exact: true };
}

/** The connection fails at frame `index` with `code`; junk may follow, since input is discarded (§7.1.7). */
export function failsAt(
  context: Context,
  frames: readonly WireFrame[],
  index: number,
  code: number,
  label: string,
): Mutated {
  const { random, stream } = context;
  const { bytes } = encodeFrames(frames);
  const tail = random.chance(0.3) ? random.bytes(random.int(1, 200)) : Buffer.alloc(0);
  const expect: Expectation = {
    label,
    closes: [code],
    messages: stream.messages.slice(0, messagesBefore(frames, index)),
    exact: true,
  };
  return { bytes: Buffer.concat([bytes, tail]), expect };
}

export function undecided(
  frames: readonly WireFrame[],
  index: number,
  stream: Stream,
  label: string,
  bytes: Buffer,
): Mutated {
  return {
    bytes,
    expect: { label, closes: null, messages: stream.messages.slice(0, messagesBefore(frames, index)), exact: false },
  };
}

export function insertAt(frames: readonly WireFrame[], index: number, frame: WireFrame): WireFrame[] {
  return [...frames.slice(0, index), frame, ...frames.slice(index)];
}

export function replaceAt(frames: readonly WireFrame[], index: number, change: Partial<WireFrame>): WireFrame[] {
  return frames.map((frame, i) => (i === index ? { ...frame, ...change } : frame));
}

/** An index among those where `accept` holds, or -1. */
export function pickIndex(random: Random, count: number, accept: (index: number) => boolean): number {
  const eligible: number[] = [];
  for (let i = 0; i < count; i++) if (accept(i)) eligible.push(i);
  return eligible.length === 0 ? -1 : random.pick(eligible);
}
