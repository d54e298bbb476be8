/**
 * Bytes for the sans-I/O unit tests: client frames masked with a chosen key (so RFC 6455 §5.7's
 * examples come out byte for byte), a whole message framed the way a client would split it,
 * cutting helpers, and a seeded random source so property tests can build large inputs cheaply.
 *
 *   client frame = |F|RSV|op|1|len| ext len | mask key (4) | payload XOR key[i % 4]
 */
import { createCipheriv, createHash } from 'node:crypto';
import { frameHeader, FrameReader, type ParsedFrame } from './frames';

/** The masking key of RFC 6455 §5.7's examples. */
export const RFC_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** Bytes from a spaced hex string: `hex('81 05')`. */
export function hex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${text}`);
  return Buffer.from(clean, 'hex');
}

export type Bytes = Buffer | string | readonly number[];

export function toBytes(data: Bytes): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data as Uint8Array);
}

export interface MaskedFrameOptions {
  /** Default true. */
  fin?: boolean;
  /** RSV bits in the low nibble (RSV1 = 4). */
  rsv?: number;
  /** Default RFC_MASK. */
  key?: Buffer;
}

/** One client frame, masked with `key` (RFC 6455 §5.3). */
export function masked(opcode: number, payload: Bytes = [], options: MaskedFrameOptions = {}): Buffer {
  const body = toBytes(payload);
  const key = options.key ?? RFC_MASK;
  const header = frameHeader(opcode, body.length, { fin: options.fin ?? true, rsv: options.rsv ?? 0, mask: true });
  const out = Buffer.allocUnsafe(header.length + 4 + body.length);
  header.copy(out, 0);
  key.copy(out, header.length, 0, 4);
  const start = header.length + 4;
  for (let i = 0; i < body.length; i++) out[start + i] = body[i] ^ key[i & 3];
  return out;
}

/** A close frame's body: the 2-byte code, then the reason (RFC 6455 §5.5.1). */
export function closeBody(code: number, reason: Bytes = []): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, toBytes(reason)]);
}

/**
 * A data message as a client sends it: frames of at most `maxFrameSize` bytes, the first with
 * the opcode, the rest continuations, FIN on the last (RFC 6455 §5.4), each with its own key.
 */
export function clientMessage(
  opcode: number,
  payload: Buffer,
  maxFrameSize: number,
  keyFor: (index: number) => Buffer = () => RFC_MASK,
): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  let index = 0;
  do {
    const end = Math.min(offset + maxFrameSize, payload.length);
    frames.push(
      masked(index === 0 ? opcode : 0, payload.subarray(offset, end), {
        fin: end === payload.length,
        key: keyFor(index),
      }),
    );
    offset = end;
    index++;
  } while (offset < payload.length);
  return frames;
}

/** Cuts `bytes` at the given positions (any order, out-of-range and duplicates ignored). */
export function cutAt(bytes: Buffer, positions: readonly number[]): Buffer[] {
  const cuts = [...new Set(positions.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Every byte on its own. */
export function oneByteAtATime(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) pieces.push(bytes.subarray(i, i + 1));
  return pieces;
}

/** All frames in a server's output (unmasked, RFC 6455 §5.1). */
export function serverFrames(bytes: Buffer): ParsedFrame[] {
  return new FrameReader().push(bytes);
}

/** mulberry32: a tiny seeded generator, so a property's big inputs come from one integer. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `length` bytes from a stream cipher keyed by one draw of `random`: deterministic for a seed,
 * and native, so a 200 KiB payload costs microseconds (a per-byte JS loop under jest does not).
 */
export function randomBytes(length: number, random: () => number): Buffer {
  const key = createHash('sha256').update(String(random())).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/**
 * Valid text of about `byteLength` bytes of UTF-8, mixing 1-, 2-, 3- and 4-byte code points so
 * frame boundaries fall inside multi-byte sequences.
 */
export function randomText(byteLength: number, random: () => number): string {
  const noise = randomBytes(byteLength * 2 + 8, random);
  // UTF-8 written by hand (Unicode §3.9 table 3-6), then decoded natively: cheaper than
  // building the string a code point at a time.
  const out = Buffer.allocUnsafe(byteLength + 3);
  let at = 0;
  for (let n = 0; at < byteLength; n = (n + 4) % (noise.length - 4)) {
    const kind = noise[n];
    const value = noise.readUInt32LE(n) >>> 8;
    if (kind < 102) {
      out[at++] = 0x20 + (value % 0x5f);
    } else if (kind < 154) {
      const cp = 0x80 + (value % 0x780);
      out[at++] = 0xc0 | (cp >> 6);
      out[at++] = 0x80 | (cp & 0x3f);
    } else if (kind < 218) {
      let cp = 0x800 + (value % 0xf800);
      if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800; // no surrogates
      out[at++] = 0xe0 | (cp >> 12);
      out[at++] = 0x80 | ((cp >> 6) & 0x3f);
      out[at++] = 0x80 | (cp & 0x3f);
    } else {
      const cp = 0x10000 + (value % 0x100000);
      out[at++] = 0xf0 | (cp >> 18);
      out[at++] = 0x80 | ((cp >> 12) & 0x3f);
      out[at++] = 0x80 | ((cp >> 6) & 0x3f);
      out[at++] = 0x80 | (cp & 0x3f);
    }
  }
  return out.toString('utf8', 0, at);
}

/** A masking key from one draw of `random`. */
export function randomKey(random: () => number): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeUInt32BE(Math.floor(random() * 0x100000000));
  return key;
}
