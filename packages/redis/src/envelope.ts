/**
 * The bytes one published message travels as, through a pub/sub channel or a stream entry.
 * Binary-safe: a fixed header, then the payload exactly as published (no base64, no JSON).
 *
 *   0        1        2                    10                   18
 *   +--------+--------+--------------------+--------------------+------------
 *   | version| flags  | origin (8 bytes)   | sequence (u64 BE)  | payload ...
 *   +--------+--------+--------------------+--------------------+------------
 *
 * - origin: the publishing adapter's random id, so a process skips its own messages coming back
 *   (its local subscribers were served directly).
 * - sequence: counts that origin's publishes (all topics); per topic it only grows, so a receiver
 *   drops an entry whose sequence it has already passed (streams mode's resends and re-reads).
 */
import { randomBytes } from 'node:crypto';

export const ENVELOPE_VERSION = 1;
/** The header's length: the payload starts at this offset. */
export const HEADER_BYTES = 18;
export const ORIGIN_BYTES = 8;

const FLAG_BINARY = 1;
const FLAG_COMPRESS = 2;
const TWO_32 = 0x1_0000_0000;

/** A decoded message: the header's fields and a view of the payload. */
export interface Envelope {
  /** The publishing adapter's id: 8 bytes, a view into the message. */
  origin: Buffer;
  /** Counts the origin's publishes; per topic it only grows, so one already passed is a duplicate. */
  sequence: number;
  /** Published as binary (true) or text (false). */
  binary: boolean;
  /** False when the publisher kept extensions from compressing it; delivered with the same flag. */
  compress: boolean;
  /** A view into the message: no copy. */
  payload: Buffer;
}

/** A fresh origin id for one adapter instance. */
export function newOrigin(): Buffer {
  return randomBytes(ORIGIN_BYTES);
}

/** Header and payload in one new Buffer (the payload is copied: the publisher may reuse its own). */
export function encodeEnvelope(
  origin: Buffer,
  sequence: number,
  payload: Buffer,
  binary: boolean,
  compress: boolean,
): Buffer {
  const message = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  message[0] = ENVELOPE_VERSION;
  message[1] = (binary ? FLAG_BINARY : 0) | (compress ? FLAG_COMPRESS : 0);
  origin.copy(message, 2);
  // Sequences stay below 2^53: split into two 32-bit halves.
  message.writeUInt32BE(Math.floor(sequence / TWO_32), 10);
  message.writeUInt32BE(sequence % TWO_32, 14);
  payload.copy(message, HEADER_BYTES);
  return message;
}

/** The envelope in `message`, or undefined when it is not one of ours (another version, too short). */
export function decodeEnvelope(message: Buffer): Envelope | undefined {
  if (message.length < HEADER_BYTES || message[0] !== ENVELOPE_VERSION) return undefined;
  const flags = message[1];
  return {
    origin: message.subarray(2, 10),
    sequence: message.readUInt32BE(10) * TWO_32 + message.readUInt32BE(14),
    binary: (flags & FLAG_BINARY) !== 0,
    compress: (flags & FLAG_COMPRESS) !== 0,
    payload: message.subarray(HEADER_BYTES),
  };
}

/** Whether `message` was published by `origin` (compared in place, no decode). */
export function isFrom(message: Buffer, origin: Buffer): boolean {
  return message.length >= HEADER_BYTES && message.compare(origin, 0, ORIGIN_BYTES, 2, 10) === 0;
}
