import { isUtf8 } from 'node:buffer';

/** Below this many bytes, the byte loop costs less than a call into native code. */
const NATIVE_MIN = 32;

/**
 * Incremental UTF-8 validation (Unicode §3.9, table 3-7), for text that arrives in pieces
 * (fragments, or a frame's payload as TCP delivers it): a code point may be split across
 * pieces, yet the piece holding the first invalid byte must fail the message.
 *
 * Each piece is checked mostly natively: the byte loop finishes a code point the previous
 * piece cut (at most 3 bytes), `buffer.isUtf8` checks the middle, and the byte loop takes the
 * code point this piece's end cuts (at most 3 bytes), so its state carries to the next piece.
 *
 * State is the number of continuation bytes still expected plus the bounds the next one must
 * fall in (tighter than 0x80-0xBF after E0, ED, F0 and F4, which rules out overlongs,
 * surrogates and code points above U+10FFFF).
 */
export class Utf8Validator {
  private needed = 0;
  private lower = 0x80;
  private upper = 0xbf;

  /** Feeds `bytes` from index `from` on; returns false when they cannot be part of valid UTF-8. */
  update(bytes: Buffer, from = 0): boolean {
    const length = bytes.length;
    let start = from;
    if (this.needed > 0) {
      start = Math.min(from + this.needed, length);
      if (!this.scan(bytes, from, start)) return false;
    }
    if (length - start < NATIVE_MIN) return this.scan(bytes, start, length);
    const tail = cutCodePointStart(bytes, start);
    const middle = start === 0 && tail === length ? bytes : bytes.subarray(start, tail);
    if (!isUtf8(middle)) return this.fail();
    return this.scan(bytes, tail, length);
  }

  /** True when no code point is left unfinished. */
  isComplete(): boolean {
    return this.needed === 0;
  }

  reset(): void {
    this.needed = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }

  /** The byte-at-a-time state machine over `bytes[from, to)`. */
  private scan(bytes: Buffer, from: number, to: number): boolean {
    let needed = this.needed;
    let lower = this.lower;
    let upper = this.upper;
    for (let i = from; i < to; i++) {
      const byte = bytes[i];
      if (needed === 0) {
        if (byte < 0x80) continue;
        if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          needed = 2;
          if (byte === 0xe0) lower = 0xa0;
          else if (byte === 0xed) upper = 0x9f;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          needed = 3;
          if (byte === 0xf0) lower = 0x90;
          else if (byte === 0xf4) upper = 0x8f;
        } else {
          return this.fail();
        }
        continue;
      }
      if (byte < lower || byte > upper) return this.fail();
      lower = 0x80;
      upper = 0xbf;
      needed--;
    }
    this.needed = needed;
    this.lower = lower;
    this.upper = upper;
    return true;
  }

  private fail(): false {
    this.reset();
    return false;
  }
}

/**
 * Where the code point that the end of `bytes` cuts short begins (`bytes.length` when none is
 * cut): a lead byte among the last three whose sequence needs more bytes than follow it.
 * Bytes that are not UTF-8 at all are left to the native check, which rejects them.
 */
function cutCodePointStart(bytes: Buffer, from: number): number {
  const length = bytes.length;
  for (let back = 1; back <= 3 && length - back >= from; back++) {
    const byte = bytes[length - back];
    if (byte < 0x80) return length;
    if (byte >= 0xc0) {
      const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return size > back ? length - back : length;
    }
  }
  return length;
}
