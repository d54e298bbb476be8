/**
 * Mutators: each turns a valid stream into a hostile one and says what the server must answer.
 * Where RFC 6455 decides the code, the expectation names it (a cleared mask bit → 1002, bad
 * UTF-8 in text → 1007, a length past maxPayload → 1009); where a mutation's effect is not
 * decided (most bit flips, noise), any code a server may send, or none, is allowed, but the
 * messages before the mutation must still arrive intact.
 *
 *   planStream ─▶ mutate plan (message-level) ─▶ frameStream ─▶ mutate frames ─▶ bytes
 */
import { closeBody } from '../helpers/sans-io-frames';
import { bitFlip } from './bit-flip';
import { NO_CLOSE } from './expectation';
import {
  INVALID_PAYLOAD,
  MESSAGE_TOO_BIG,
  PROTOCOL_ERROR,
  failsAt,
  insertAt,
  intact,
  newFrame,
  pickIndex,
  replaceAt,
  undecided,
  type Context,
  type Mutated,
  type Mutator,
} from './mutation-kit';
import type { Random } from './random';
import {
  OP,
  RSV1,
  frameStream,
  inMessage,
  insertLimit,
  messagesBefore,
  type MessagePlan,
  type Profile,
  type Stream,
  type StreamPlan,
} from './streams';
import { encodeFrames, type WireFrame } from './wire';

export type { Mutated } from './mutation-kit';

/** Byte sequences invalid in UTF-8 whatever precedes them (Unicode §3.9 table 3-7). */
const INVALID_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80],
];
/** Codes no close frame may carry (§7.4.1-2): the server fails with 1002. */
const BAD_CLOSE_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

/** Replaces frame `index` with a changed copy; the server fails there with `code`. */
function frameFault(
  label: string,
  code: number,
  change: (frame: WireFrame, context: Context) => Partial<WireFrame> | null,
): Mutator {
  return (context) => {
    const frames = context.stream.frames;
    const index = pickIndex(context.random, frames.length, (i) => change(frames[i], context) !== null);
    if (index < 0) return null;
    return failsAt(context, replaceAt(frames, index, change(frames[index], context)!), index, code, label);
  };
}

/** Inserts a frame where `where` allows; the server fails there with `code`. */
function insertFault(
  label: string,
  code: number,
  where: (frames: readonly WireFrame[], index: number) => boolean,
  make: (context: Context, index: number) => WireFrame,
): Mutator {
  return (context) => {
    const frames = context.stream.frames;
    const index = pickIndex(context.random, insertLimit(context.stream) + 1, (i) => where(frames, i));
    if (index < 0) return null;
    return failsAt(context, insertAt(frames, index, make(context, index)), index, code, label);
  };
}

const anywhere = (): boolean => true;

/** A message-level change: the plan's message `index` is replaced and the stream framed again. */
function messageFault(
  label: string,
  code: number,
  change: (message: MessagePlan, context: Context) => MessagePlan | null,
): Mutator {
  return (context) => {
    const { plan, random } = context;
    const candidates = plan.items.flatMap((item, i) =>
      item.kind === 'message' && change(item, context) !== null ? [i] : [],
    );
    if (candidates.length === 0) return null;
    const at = random.pick(candidates);
    const items = plan.items.map((item, i) => (i === at && item.kind === 'message' ? change(item, context)! : item));
    const stream = frameStream({ ...plan, items }, random);
    const failing = plan.items.slice(0, at).filter((item) => item.kind === 'message').length;
    const index = stream.frames.findIndex((frame) => frame.message === failing);
    return failsAt({ ...context, stream }, stream.frames, index, code, label);
  };
}

const mutators: Record<string, Mutator> = {
  valid: ({ stream }) => ({ bytes: encodeFrames(stream.frames).bytes, expect: intact(stream, 'valid') }),

  truncated: ({ random, stream }) => {
    const { bytes, starts } = encodeFrames(stream.frames);
    if (bytes.length === 0) return null;
    const cut = random.int(0, bytes.length - 1);
    let complete = 0;
    stream.frames.forEach((frame, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : bytes.length;
      if (frame.completes && end <= cut) complete++;
    });
    return {
      bytes: bytes.subarray(0, cut),
      expect: { label: 'truncated', closes: [NO_CLOSE], messages: stream.messages.slice(0, complete), exact: true },
    };
  },

  unmasked: frameFault('unmasked', PROTOCOL_ERROR, () => ({ masked: false })),

  'reserved-opcode': frameFault('reserved-opcode', PROTOCOL_ERROR, (_frame, { random }) => ({
    opcode: random.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]),
  })),

  rsv: frameFault('rsv', PROTOCOL_ERROR, (frame, { random, profile }) => {
    const firstData = frame.opcode === OP.text || frame.opcode === OP.binary;
    // permessage-deflate allows RSV1 on a message's first frame only (RFC 7692 §6); nothing else is negotiated.
    const bits = profile.deflate && firstData ? random.pick([1, 2, 3]) : random.int(1, 7);
    return { rsv: frame.rsv | bits };
  }),

  'non-minimal-length': frameFault('non-minimal-length', PROTOCOL_ERROR, (frame, { random }) => {
    const length = frame.payload.length;
    if (length >= 0x10000) return null;
    return { lengthForm: length < 126 ? random.pick([16, 64] as const) : 64 };
  }),

  'length-msb': frameFault('length-msb', PROTOCOL_ERROR, (_frame, { random }) => ({
    lengthForm: 64,
    claimedLength: (1n << 63n) | BigInt(random.int(0, 0x7fffffff)),
  })),

  'control-too-long': insertFault('control-too-long', PROTOCOL_ERROR, anywhere, ({ random }) =>
    newFrame(random, random.pick([OP.ping, OP.pong, OP.close]), random.bytes(random.int(126, 300))),
  ),

  'fragmented-control': insertFault('fragmented-control', PROTOCOL_ERROR, anywhere, ({ random }) =>
    newFrame(random, random.pick([OP.ping, OP.pong, OP.close]), random.bytes(random.int(0, 125)), false),
  ),

  'unexpected-continuation': insertFault(
    'unexpected-continuation',
    PROTOCOL_ERROR,
    (frames, i) => !inMessage(frames, i),
    ({ random }) => newFrame(random, OP.continuation, random.bytes(random.int(0, 50)), random.chance(0.5)),
  ),

  'expected-continuation': insertFault('expected-continuation', PROTOCOL_ERROR, inMessage, ({ random }) =>
    newFrame(random, random.pick([OP.text, OP.binary]), random.bytes(random.int(0, 50)), random.chance(0.5)),
  ),

  // A header claiming more than maxPayload is refused before any payload is held.
  'oversized-length': insertFault(
    'oversized-length',
    MESSAGE_TOO_BIG,
    anywhere,
    ({ random, profile, stream }, index) => {
      const open = inMessage(stream.frames, index);
      const claimed = random.chance(0.5)
        ? BigInt(profile.maxPayload + random.int(1, 3 * profile.maxPayload))
        : BigInt(random.int(1, 0x7fffffff)) * BigInt(random.int(1, 0x7fffffff)) + BigInt(profile.maxPayload);
      const opcode = open ? OP.continuation : random.pick([OP.text, OP.binary]);
      const rsv = !open && profile.deflate && random.chance(0.5) ? RSV1 : 0;
      return {
        ...newFrame(random, opcode, random.bytes(random.int(0, 20)), random.chance(0.5), rsv),
        claimedLength: claimed,
      };
    },
  ),

  'bad-close': (context) => {
    const { random } = context;
    const variant = random.int(0, 2);
    const body =
      variant === 0
        ? random.bytes(1)
        : variant === 1
          ? closeBody(random.pick(BAD_CLOSE_CODES), random.text(random.int(0, 20)))
          : closeBody(1000, Buffer.concat([random.text(random.int(0, 20)), Buffer.from(random.pick(INVALID_UTF8))]));
    const code = variant === 2 ? INVALID_PAYLOAD : PROTOCOL_ERROR;
    return insertFault('bad-close', code, anywhere, () => newFrame(random, OP.close, body))(context);
  },

  'early-close': ({ random, stream }) => {
    const index = random.int(0, insertLimit(stream));
    const code = random.pick([1000, 1001, 1003, 1008, 3000 + random.int(0, 1999)]);
    const frames = insertAt(stream.frames, index, newFrame(random, OP.close, closeBody(code, random.text(10))));
    const expect = {
      label: 'early-close',
      closes: [code],
      messages: stream.messages.slice(0, messagesBefore(frames, index)),
      exact: true,
    };
    return { bytes: encodeFrames(frames).bytes, expect };
  },

  'bit-flip': (context) => bitFlip(context),

  'random-header': ({ random, stream }) => {
    const index = random.int(0, insertLimit(stream));
    const junk = random.bytes(random.int(2, 14) + random.int(0, 200));
    const { bytes, starts } = encodeFrames(stream.frames);
    const at = index < starts.length ? starts[index] : bytes.length;
    return undecided(
      stream.frames,
      index,
      stream,
      'random-header',
      Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]),
    );
  },

  noise: ({ random, stream }) => {
    const index = random.int(0, stream.frames.length);
    const prefix = encodeFrames(stream.frames.slice(0, index)).bytes;
    return undecided(stream.frames, index, stream, 'noise', Buffer.concat([prefix, random.bytes(random.int(1, 300))]));
  },

  'invalid-utf8': messageFault('invalid-utf8', INVALID_PAYLOAD, (message, { random }) => {
    if (message.binary) return null;
    const bad = Buffer.from(random.pick(INVALID_UTF8));
    const data = Buffer.from(message.data);
    if (data.length < bad.length) return { ...message, data: Buffer.concat([data, bad]) };
    // Overwritten in place, so the message stays within maxPayload; or, a sequence cut short at the end.
    if (random.chance(0.2))
      data.set([0xe2, 0x82].slice(0, Math.min(2, data.length)), data.length - Math.min(2, data.length));
    else bad.copy(data, random.int(0, data.length - bad.length));
    return { ...message, data };
  }),

  // Past maxPayload across fragments, or (compressed) only once inflated: the decompression bomb;
  // or incompressible data of exactly maxPayload bytes, which deflate makes longer on the wire.
  'oversized-message': messageFault('oversized-message', MESSAGE_TOO_BIG, (message, { random, profile }) => {
    if (message.compressed && random.chance(0.3))
      return { ...message, binary: true, data: random.bytes(profile.maxPayload) };
    const size = profile.maxPayload + random.int(1, 4096);
    const data = message.compressed
      ? Buffer.alloc(size, random.pick(['a', '\0', 'ab']))
      : message.binary
        ? random.bytes(size)
        : random.text(size);
    return { ...message, data };
  }),

  // BTYPE 11 is reserved (RFC 1951 §3.2.3): zlib refuses the first block.
  'corrupt-deflate': messageFault('corrupt-deflate', INVALID_PAYLOAD, (message, { random, profile }) => {
    if (!profile.deflate) return null;
    const first = 0x06 | random.int(0, 1) | (random.int(0, 31) << 3);
    return {
      ...message,
      compressed: true,
      wireOverride: Buffer.concat([Buffer.from([first]), random.bytes(random.int(0, 60))]),
    };
  }),
};

const WEIGHTS: readonly (readonly [number, string])[] = [
  [10, 'valid'],
  [8, 'truncated'],
  [20, 'bit-flip'],
  [4, 'unmasked'],
  [4, 'reserved-opcode'],
  [4, 'rsv'],
  [4, 'non-minimal-length'],
  [2, 'length-msb'],
  [3, 'control-too-long'],
  [3, 'fragmented-control'],
  [3, 'unexpected-continuation'],
  [3, 'expected-continuation'],
  [4, 'oversized-length'],
  [4, 'bad-close'],
  [3, 'early-close'],
  [4, 'random-header'],
  [4, 'noise'],
  [6, 'invalid-utf8'],
  [4, 'oversized-message'],
  [4, 'corrupt-deflate'],
];

export const MUTATION_LABELS: readonly string[] = WEIGHTS.map(([, label]) => label);

/** A hostile stream for `profile` and what the server must make of it. */
export function mutate(random: Random, profile: Profile, plan: StreamPlan, stream: Stream): Mutated {
  const context = { random, profile, plan, stream };
  for (;;) {
    const mutated = mutators[random.weighted(WEIGHTS)](context);
    if (mutated !== null) return mutated;
  }
}
