/**
 * Client frames as the fuzzer builds them (RFC 6455 §5.2): each frame is a record that a
 * mutator may change (mask bit, RSV, opcode, the length's encoding, a length claimed but never
 * sent) before it is serialized, and that remembers which message it belongs to, so the
 * expected outcome can be worked out from the frames that came before a mutation.
 *
 *   |F|R|R|R| opcode |M| len 7 | ext len 0/16/64 | key 4 | payload XOR key
 */
import { frameHeader } from '../helpers/frames';

export interface WireFrame {
  readonly opcode: number;
  readonly fin: boolean;
  /** RSV bits in the low nibble (RSV1 = 4). */
  readonly rsv: number;
  /** The payload before masking. */
  readonly payload: Buffer;
  readonly key: Buffer;
  /** Default true: clients must mask (§5.3). */
  readonly masked?: boolean;
  /** How the length is written: 'minimal' (§5.2's rule), or forced into 16 or 64 bits. */
  readonly lengthForm?: 'minimal' | 16 | 64;
  /** A length the header claims instead of the payload's (the payload is sent as it is). */
  readonly claimedLength?: bigint;
  /** Index of the stream's message this data frame belongs to; -1 for control frames. */
  readonly message: number;
  /** True on a message's final frame: once it is parsed (and decoded), the message is delivered. */
  readonly completes: boolean;
  /** The byte offset of this frame's payload inside its message's wire payload. */
  readonly messageOffset: number;
}

export function isControl(opcode: number): boolean {
  return opcode >= 0x8;
}

function header(frame: WireFrame): Buffer {
  const length = frame.claimedLength ?? BigInt(frame.payload.length);
  const options = { fin: frame.fin, rsv: frame.rsv, mask: frame.masked !== false };
  const form = frame.lengthForm ?? 'minimal';
  if (form === 'minimal') return frameHeader(frame.opcode, length, options);
  // The length in more bytes than it needs, which §5.2 forbids: frameHeader never writes that.
  const [first, second] = frameHeader(frame.opcode, 0, options);
  const out = Buffer.alloc(form === 16 ? 4 : 10);
  out[0] = first;
  out[1] = (second & 0x80) | (form === 16 ? 126 : 127);
  if (form === 16) out.writeUInt16BE(Number(length), 2);
  else out.writeBigUInt64BE(length, 2);
  return out;
}

/** Header length of a serialized frame: where its key (or unmasked payload) starts. */
export function headerLength(frame: WireFrame): number {
  return header(frame).length;
}

export function encodeFrame(frame: WireFrame): Buffer {
  const head = header(frame);
  if (frame.masked === false) return Buffer.concat([head, frame.payload]);
  const out = Buffer.allocUnsafe(head.length + 4 + frame.payload.length);
  head.copy(out, 0);
  frame.key.copy(out, head.length, 0, 4);
  const start = head.length + 4;
  const payload = frame.payload;
  const key = frame.key;
  for (let i = 0; i < payload.length; i++) out[start + i] = payload[i] ^ key[i & 3];
  return out;
}

/** The frames serialized, with each frame's start offset. */
export function encodeFrames(frames: readonly WireFrame[]): { bytes: Buffer; starts: number[] } {
  const parts = frames.map(encodeFrame);
  const starts: number[] = [];
  let at = 0;
  for (const part of parts) {
    starts.push(at);
    at += part.length;
  }
  return { bytes: Buffer.concat(parts, at), starts };
}
