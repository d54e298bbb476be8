/**
 * A large message sent back or forwarded as it came, without a writev: the bytes just before a
 * received payload are the parser's own when the peer's frame header and key came right before
 * it in the same socket chunk (6 to 14 bytes), or when the parser copied the payload into a
 * Buffer of its own with `HEADROOM` spare bytes in front. Our header (2 to 10 bytes) fits in
 * either, so sending that very Buffer writes the header there and the frame leaves as one
 * Buffer: one plain write, where `ws` corks a header and a payload into a writev.
 *
 *   chunk  [ peer header + key | payload ]      → send(payload) →  [ . | our header | payload ]
 *                                                                       └──── one write ────┘
 *
 * One payload process-wide, as with the remembered text (text-codec.ts): offered by the parser
 * as a one-frame message goes out, taken (at most once: the bytes then belong to that write)
 * by the frame writer, let go when the `receive` call returns (`forgetHeadroom`).
 */

/** Spare bytes in front of a payload the parser allocates: the longest server frame header. */
export const HEADROOM = 10;
/** Smaller payloads are copied behind their header anyway (frame-writer.ts). */
export const HEADROOM_MIN_PAYLOAD = 8 * 1024;

let offered: Buffer | null = null;
let offeredBytes = 0;

/** `payload` has `bytes` free bytes right before it. */
export function offerHeadroom(payload: Buffer, bytes: number): void {
  offered = payload;
  offeredBytes = bytes;
}

/**
 * The frame of `payload` with `headerLength` bytes for its header in front, made in the free
 * bytes before it, or null when `payload` is not the offered one (or they are too few).
 */
export function takeHeadroom(payload: Buffer, headerLength: number): Buffer | null {
  if (offered !== payload || offeredBytes < headerLength) return null;
  offered = null;
  return Buffer.from(payload.buffer, payload.byteOffset - headerLength, headerLength + payload.length);
}

/** Lets go of the offered payload (at the end of each `receive`). */
export function forgetHeadroom(): void {
  offered = null;
}
