import { isAscii } from 'node:buffer';
import { endianness } from 'node:os';

const LITTLE_ENDIAN = endianness() === 'LE';
/**
 * Below this, a plain byte loop: it allocates nothing, where the word loop needs a typed-array
 * view, and is about as fast for so few bytes.
 */
const WORD_THRESHOLD = 128;
/** From this size a native unmask (if installed) beats the JS word loop, call cost included. */
const NATIVE_THRESHOLD = 1024;

type NativeUnmask = (buffer: Buffer, mask: Buffer) => void;
type NativeMask = (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;

/**
 * `bufferutil`, when the application has installed it (an optional peer, as for `ws`), unmasks
 * large payloads with SIMD about four times faster than the JS word loop.
 */
const native: { unmask: NativeUnmask; mask: NativeMask } | null = (() => {
  if (process.env.WS_NO_BUFFERUTIL) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('bufferutil') as { unmask: NativeUnmask; mask: NativeMask };
  } catch {
    return null;
  }
})();
const nativeUnmask: NativeUnmask | null = native?.unmask ?? null;

const nativeMask = Buffer.alloc(4);

/** Unmasks a whole frame payload in place, natively when that is available and worth it. */
export function unmaskPayload(payload: Buffer, mask: number): void {
  if (mask === 0) return; // a server frame (no key), or the rare all-zero key
  if (nativeUnmask !== null && payload.length >= NATIVE_THRESHOLD) {
    nativeMask.writeUInt32BE(mask, 0);
    nativeUnmask(payload, nativeMask);
    return;
  }
  unmask(payload, mask);
}

/**
 * Unmasks `length` bytes of `chunk` from `start` in place (a frame still in the socket's chunk);
 * true when they are all ASCII, false when not or not known (a mask of 0). Below
 * NATIVE_THRESHOLD, `unmask` tells ASCII on its way with no view; from it, a view, the native
 * unmask and `isAscii` cost less (1 KiB echo: 3.6 -> 2.6 us a message of server CPU; 256 and
 * 512 B: 1.9 and 2.0 us in JS against 2.0 and 2.1 natively, 8 alternated rounds).
 */
export function unmaskInPlaceIsAscii(chunk: Buffer, mask: number, start: number, length: number): boolean {
  if (nativeUnmask !== null && length >= NATIVE_THRESHOLD && mask !== 0) {
    const view = chunk.subarray(start, start + length);
    nativeMask.writeUInt32BE(mask, 0);
    nativeUnmask(view, nativeMask);
    return isAscii(view);
  }
  return isAsciiBits(unmask(chunk, mask, start, length));
}

/**
 * Client frames: writes `source` masked with `mask` into `target` at `offset`, in one pass when
 * the native module is there (the caller's buffer is left as it was).
 */
export function maskInto(source: Buffer, mask: number, target: Buffer, offset: number): void {
  if (native !== null && source.length >= NATIVE_THRESHOLD) {
    nativeMask.writeUInt32BE(mask, 0);
    native.mask(source, nativeMask, target, offset, source.length);
    return;
  }
  copyUnmasking(source, mask, target, offset);
}

/**
 * Copies received bytes into `target` at `offset` and unmasks them there (`mask` as seen from
 * their first byte), leaving `source` as it was. A copy and then an unmask of the copy while it
 * is in cache, not the native one-pass `mask`: on fresh memory that byte-word loop is slower
 * than memcpy's (64 KiB echo, perf: 20.8% of the server's time against 13.9% + 3.0%).
 */
export function copyUnmasking(source: Buffer, mask: number, target: Buffer, offset: number): void {
  source.copy(target, offset);
  if (mask === 0) return; // a server frame (no key), or the rare all-zero key
  if (nativeUnmask !== null && source.length >= NATIVE_THRESHOLD) {
    nativeMask.writeUInt32BE(mask, 0);
    nativeUnmask(target.subarray(offset, offset + source.length), nativeMask);
  } else {
    unmask(target, mask, offset, source.length);
  }
}

/** Unmasks a frame payload in place from byte `from` on, where the bytes before are unmasked already. */
export function unmaskPayloadFrom(payload: Buffer, mask: number, from: number): void {
  if (from === 0) {
    unmaskPayload(payload, mask); // the usual case: no view to make
    return;
  }
  const rotated = rotateMask(mask, from);
  if (nativeUnmask !== null && payload.length - from >= NATIVE_THRESHOLD)
    unmaskPayload(payload.subarray(from), rotated);
  else unmask(payload, rotated, from);
}

/**
 * Unmasks in place a frame payload held as `pieces` (in order), from payload byte `from` on:
 * the bytes before are unmasked already.
 */
export function unmaskPiecesFrom(pieces: readonly Buffer[], mask: number, from: number): void {
  if (mask === 0) return;
  let position = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const end = position + piece.length;
    if (end > from) unmaskPayloadFrom(piece, rotateMask(mask, position), from > position ? from - position : 0);
    position = end;
  }
}

/**
 * XORs `length` bytes of `buffer` from `offset` with the 4-byte mask in place (RFC 6455 §5.3).
 * `mask` holds the mask bytes as a big-endian uint32 (the order they come on the wire).
 * Large payloads are unmasked a 32-bit word at a time over their 4-byte-aligned middle.
 *
 * Returns the OR of the unmasked bytes (and words): `isAsciiBits` of it tells whether they are
 * all ASCII, for free while they pass through anyway; -1 (not ASCII, as far as it knows) when
 * the mask is 0 and nothing was looked at.
 */
export function unmask(buffer: Buffer, mask: number, offset = 0, length = buffer.length - offset): number {
  if (mask === 0) return -1;
  const end = offset + length;
  let i = offset;
  let seen = 0;

  if (length >= WORD_THRESHOLD) {
    // Byte-wise until the memory address is 4-aligned, then whole words.
    const address = buffer.byteOffset + i;
    const head = (4 - (address & 3)) & 3;
    for (let k = 0; k < head; k++, i++) seen |= buffer[i] ^= maskByte(mask, i - offset);
    // The word mask starts at mask byte (i - offset) % 4; rotate so it lines up.
    const rotated = rotateMask(mask, i - offset);
    const word = LITTLE_ENDIAN ? swap32(rotated) : rotated;
    const words = (end - i) >>> 2;
    const view = new Uint32Array(buffer.buffer, buffer.byteOffset + i, words);
    let w = 0;
    // Unrolled: about twice the speed of the plain word loop in V8.
    for (; w + 8 <= words; w += 8) {
      seen |= view[w] ^= word;
      seen |= view[w + 1] ^= word;
      seen |= view[w + 2] ^= word;
      seen |= view[w + 3] ^= word;
      seen |= view[w + 4] ^= word;
      seen |= view[w + 5] ^= word;
      seen |= view[w + 6] ^= word;
      seen |= view[w + 7] ^= word;
    }
    for (; w < words; w++) seen |= view[w] ^= word;
    i += words << 2;
  } else {
    // Four bytes a step with the key's bytes in locals: small frames are most frames, and
    // working each byte's key out again (`maskByte`) cost twice as much (64 B echo: 7% of CPU).
    const b0 = mask >>> 24;
    const b1 = (mask >>> 16) & 0xff;
    const b2 = (mask >>> 8) & 0xff;
    const b3 = mask & 0xff;
    for (const stop = end - 3; i < stop; i += 4) {
      seen |= buffer[i] ^= b0;
      seen |= buffer[i + 1] ^= b1;
      seen |= buffer[i + 2] ^= b2;
      seen |= buffer[i + 3] ^= b3;
    }
  }
  for (; i < end; i++) seen |= buffer[i] ^= maskByte(mask, i - offset);
  return seen;
}

/** True when `seen` (from `unmask`) has no byte's high bit set: every byte was ASCII. */
export function isAsciiBits(seen: number): boolean {
  return (seen & 0x80808080) === 0;
}

/**
 * The mask as seen from payload byte `position` on: byte `position % 4` of the key comes first,
 * so bytes from there can be unmasked as a buffer of their own.
 */
export function rotateMask(mask: number, position: number): number {
  const shift = (position & 3) * 8;
  return shift === 0 ? mask : ((mask << shift) | (mask >>> (32 - shift))) >>> 0;
}

function maskByte(mask: number, index: number): number {
  return (mask >>> ((3 - (index & 3)) * 8)) & 0xff;
}

function swap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}
