/**
 * Hand-built WebSocket frames for raw-socket tests (RFC 6455 §5.2), and a reader for the
 * frames a server sends back. Everything here is deliberately permissive: a test may build any
 * opcode, RSV combination or length, masked or not, to see how the server refuses it.
 *
 *    0                   1                   2                   3
 *   |F|R|R|R| opcode|M| len (7) |  extended len (16/64)  | mask key (0/4) | payload ...
 */

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** Default true. */
  fin?: boolean;
  /** RSV bits in the low nibble: RSV1 = 4, RSV2 = 2, RSV3 = 1. */
  rsv?: number;
  /** Default true: clients must mask (RFC 6455 §5.3). */
  mask?: boolean;
  /** Default random. */
  maskKey?: Buffer;
}

/** The first two bytes plus the extended length, for any length (even one never sent). */
export function frameHeader(
  opcode: number,
  length: number | bigint,
  options: { fin?: boolean; rsv?: number; mask?: boolean } = {},
): Buffer {
  const fin = options.fin ?? true;
  const rsv = options.rsv ?? 0;
  const mask = options.mask ?? true;
  const first = (fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xf);
  const maskBit = mask ? 0x80 : 0;
  const len = BigInt(length);
  if (len < 126n) return Buffer.from([first, maskBit | Number(len)]);
  if (len < 0x10000n) {
    const header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(len), 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = first;
  header[1] = maskBit | 127;
  header.writeBigUInt64BE(len, 2);
  return header;
}

/** A whole frame, masked unless `mask: false`. */
export function frame(spec: FrameSpec): Buffer {
  const payload = toBuffer(spec.payload);
  const mask = spec.mask ?? true;
  const header = frameHeader(spec.opcode, payload.length, { fin: spec.fin, rsv: spec.rsv, mask });
  if (!mask) return Buffer.concat([header, payload]);
  const key = spec.maskKey ?? Buffer.from([0x37, 0xfa, 0x21, 0x3d].map((b) => b ^ Math.floor(Math.random() * 256)));
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([header, key, masked]);
}

/** A close frame's payload: 2-byte code then the reason (RFC 6455 §5.5.1). */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, toBuffer(reason)]);
}

export const op = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** Shorthands for the common frames, all masked. */
export const text = (payload: Buffer | string, fin = true): Buffer => frame({ opcode: op.text, payload, fin });
export const binary = (payload: Buffer | string, fin = true): Buffer => frame({ opcode: op.binary, payload, fin });
export const continuation = (payload: Buffer | string, fin = true): Buffer =>
  frame({ opcode: op.continuation, payload, fin });
export const ping = (payload: Buffer | string = ''): Buffer => frame({ opcode: op.ping, payload });
export const pong = (payload: Buffer | string = ''): Buffer => frame({ opcode: op.pong, payload });
export const close = (code?: number, reason: Buffer | string = ''): Buffer =>
  frame({ opcode: op.close, payload: code === undefined ? Buffer.alloc(0) : closePayload(code, reason) });

function toBuffer(data: Buffer | string | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data) : data;
}

/** A frame as the server sent it. */
export interface ParsedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/**
 * Incremental parser of server-to-client frames. Lengths are bounded to what a test can hold;
 * anything past 2^32 is reported as an error, not allocated.
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns every frame completed by them. */
  push(chunk: Buffer): ParsedFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: ParsedFrame[] = [];
    for (;;) {
      const parsed = this.parseOne();
      if (parsed === null) return frames;
      frames.push(parsed);
    }
  }

  private parseOne(): ParsedFrame | null {
    const buf = this.buffered;
    if (buf.length < 2) return null;
    const masked = (buf[1] & 0x80) !== 0;
    let length = buf[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return null;
      length = buf.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return null;
      const big = buf.readBigUInt64BE(2);
      if (big > 0xffffffffn) throw new Error(`server sent a frame of ${big} bytes`);
      length = Number(big);
      offset = 10;
    }
    const keyOffset = offset;
    if (masked) offset += 4;
    if (buf.length < offset + length) return null;
    const payload = Buffer.from(buf.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buf[keyOffset + (i & 3)];
    this.buffered = buf.subarray(offset + length);
    return { fin: (buf[0] & 0x80) !== 0, rsv: (buf[0] >> 4) & 0x7, opcode: buf[0] & 0xf, masked, payload };
  }
}
