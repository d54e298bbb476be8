/**
 * Valid client streams: a plan (messages, how each is fragmented, control frames between and
 * inside them, an optional closing frame) and its frames. Message-level mutators change the
 * plan and frame it again; frame-level mutators change the frames.
 *
 *   planStream(random) → StreamPlan ──frameStream──▶ Stream { frames, messages, close }
 *
 * Compressed messages are deflated on their own with a sync flush and the trailer removed
 * (RFC 7692 §7.2.1), with RSV1 on the first frame: they never refer to an earlier message, so
 * they inflate the same with or without context takeover.
 */
import zlib from 'node:zlib';
import { closeBody } from '../helpers/sans-io-frames';
import { type Random } from './random';
import type { WireFrame } from './wire';

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
export const RSV1 = 0b100;

/** What the server under test accepts: the fuzzer shapes streams to it. */
export interface Profile {
  readonly deflate: boolean;
  readonly maxPayload: number;
}

export interface Message {
  readonly binary: boolean;
  /** The payload as the application sees it. */
  readonly data: Buffer;
}

export interface ControlPlan {
  readonly opcode: number;
  readonly payload: Buffer;
}

export interface MessagePlan extends Message {
  readonly kind: 'message';
  readonly compressed: boolean;
  /** Bytes sent instead of the deflated data (a corrupt stream). */
  readonly wireOverride?: Buffer;
  /** Fractions in (0, 1) where the wire payload is cut into frames. */
  readonly cuts: readonly number[];
  /** Control frames between fragments: `after` is the index of the fragment they follow. */
  readonly inside: readonly (ControlPlan & { after: number })[];
}

export type Item = MessagePlan | (ControlPlan & { kind: 'control' });

export interface StreamPlan {
  readonly items: readonly Item[];
  /** The client's close frame body at the end, when it sends one. */
  readonly close: Buffer | null;
}

export interface Stream {
  readonly frames: readonly WireFrame[];
  readonly messages: readonly Message[];
  /** The code of the client's closing frame (1005 when empty), or null when it sends none. */
  readonly closeCode: number | null;
}

/** Codes a client may close with (RFC 6455 §7.4.1-2); the server echoes them. */
const CLIENT_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];

export function deflateAlone(data: Buffer): Buffer {
  // Window 12: within the client window @ws/deflate asks for by default (client_max_window_bits=12).
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH, windowBits: 12 });
  return out.subarray(0, out.length - 4);
}

export function planMessage(random: Random, profile: Profile, data?: Buffer, binary?: boolean): MessagePlan {
  // Now and then a binary message of exactly maxPayload bytes: the limit itself is allowed.
  const atLimit = data === undefined && binary === undefined && random.chance(0.02);
  const isBinary = atLimit || (binary ?? random.chance(0.4));
  const size = atLimit ? profile.maxPayload : random.size(Math.min(profile.maxPayload - 3, 16 * 1024));
  const payload = data ?? (isBinary ? random.bytes(size) : random.text(size));
  const fragments = random.weighted([
    [5, 1],
    [3, random.int(2, 4)],
    [1, random.int(5, 12)],
  ]);
  const cuts = Array.from({ length: fragments - 1 }, () => random.float()).sort((a, b) => a - b);
  const inside: (ControlPlan & { after: number })[] = [];
  for (let after = 0; after < fragments - 1; after++) {
    if (random.chance(0.3)) inside.push({ ...planControl(random), after });
  }
  return {
    kind: 'message',
    binary: isBinary,
    data: payload,
    // At the limit only uncompressed: deflated, incompressible data is a little longer, over maxPayload on the wire.
    compressed: profile.deflate && !atLimit && random.chance(0.6),
    cuts,
    inside,
  };
}

export function planControl(random: Random): ControlPlan {
  return { opcode: random.chance(0.7) ? OP.ping : OP.pong, payload: random.bytes(random.int(0, 125)) };
}

export function planStream(random: Random, profile: Profile): StreamPlan {
  const count = random.weighted([
    [1, 0],
    [4, 1],
    [4, random.int(2, 4)],
    [1, random.int(5, 10)],
  ]);
  const items: Item[] = [];
  for (let i = 0; i < count; i++) {
    if (random.chance(0.2)) items.push({ kind: 'control', ...planControl(random) });
    items.push(planMessage(random, profile));
  }
  if (random.chance(0.1)) items.push({ kind: 'control', ...planControl(random) });
  return { items, close: random.chance(0.5) ? planClose(random) : null };
}

function planClose(random: Random): Buffer {
  if (random.chance(0.1)) return Buffer.alloc(0);
  const code = random.chance(0.7) ? random.pick(CLIENT_CODES) : random.int(3000, 4999);
  return closeBody(code, random.text(random.int(0, 40))); // at most 43 bytes: within §5.5's 123
}

/** The plan as frames, each with a fresh masking key. */
export function frameStream(plan: StreamPlan, random: Random): Stream {
  const frames: WireFrame[] = [];
  const messages: Message[] = [];
  const control = (opcode: number, payload: Buffer): WireFrame => ({
    opcode,
    fin: true,
    rsv: 0,
    payload,
    key: random.maskKey(),
    message: -1,
    completes: false,
    messageOffset: 0,
  });
  for (const item of plan.items) {
    if (item.kind === 'control') {
      frames.push(control(item.opcode, item.payload));
      continue;
    }
    const index = messages.length;
    messages.push({ binary: item.binary, data: item.data });
    const wire = item.wireOverride ?? (item.compressed ? deflateAlone(item.data) : item.data);
    const bounds = [0, ...item.cuts.map((cut) => Math.floor(cut * wire.length)), wire.length];
    for (let f = 0; f + 1 < bounds.length; f++) {
      const last = f + 2 === bounds.length;
      frames.push({
        opcode: f === 0 ? (item.binary ? OP.binary : OP.text) : OP.continuation,
        fin: last,
        rsv: f === 0 && item.compressed ? RSV1 : 0,
        payload: wire.subarray(bounds[f], bounds[f + 1]),
        key: random.maskKey(),
        message: index,
        completes: last,
        messageOffset: bounds[f],
      });
      for (const extra of item.inside)
        if (extra.after === f && !last) frames.push(control(extra.opcode, extra.payload));
    }
  }
  let closeCode: number | null = null;
  if (plan.close !== null) {
    frames.push(control(OP.close, plan.close));
    closeCode = plan.close.length === 0 ? 1005 : plan.close.readUInt16BE(0);
  }
  return { frames, messages, closeCode };
}

/** Messages completed by the frames before `index`. */
export function messagesBefore(frames: readonly WireFrame[], index: number): number {
  let count = 0;
  for (let i = 0; i < index && i < frames.length; i++) if (frames[i].completes) count++;
  return count;
}

/** True when a fragmented message is open after the frames before `index`. */
export function inMessage(frames: readonly WireFrame[], index: number): boolean {
  let open = false;
  for (let i = 0; i < index; i++) {
    const frame = frames[i];
    if (frame.message >= 0) open = !frame.fin;
  }
  return open;
}

/** Where a frame may be inserted so that it is parsed: anywhere up to the closing frame. */
export function insertLimit(stream: Stream): number {
  return stream.closeCode === null ? stream.frames.length : stream.frames.length - 1;
}
