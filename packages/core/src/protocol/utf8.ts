/**
 * Incremental UTF-8 validation (Unicode §3.9, table 3-7), for text that arrives in fragments:
 * a code point may be split across frames, yet the first invalid byte must fail the message.
 * Whole messages are checked with `buffer.isUtf8` instead, which is native and faster.
 *
 * State is the number of continuation bytes still expected plus the bounds the next one must
 * fall in (tighter than 0x80-0xBF after E0, ED, F0 and F4, which rules out overlongs,
 * surrogates and code points above U+10FFFF).
 */
export class Utf8Validator {
  private needed = 0;
  private lower = 0x80;
  private upper = 0xbf;

  /** Feeds bytes; returns false at the first byte that cannot be part of valid UTF-8. */
  update(bytes: Buffer): boolean {
    let needed = this.needed;
    let lower = this.lower;
    let upper = this.upper;
    const length = bytes.length;
    for (let i = 0; i < length; i++) {
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

  /** True when no code point is left unfinished. */
  isComplete(): boolean {
    return this.needed === 0;
  }

  reset(): void {
    this.needed = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }

  private fail(): false {
    this.reset();
    return false;
  }
}
