/**
 * RFC 6455 §8.1 and Unicode §3.9 table 3-7: the incremental `Utf8Validator` must agree with
 * Node's native `buffer.isUtf8` however the bytes are cut, and fail at the first byte that
 * cannot start or continue a well-formed sequence.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { Utf8Validator } from '../../src/protocol/utf8';
import { cutAt, hex } from '../helpers/sans-io-frames';

/** Feeds the pieces in order: valid when every update passes and no code point is left open. */
function validate(pieces: readonly Buffer[]): boolean {
  const validator = new Utf8Validator();
  for (const piece of pieces) if (!validator.update(piece)) return false;
  return validator.isComplete();
}

/** Bytes that are often near-valid UTF-8: valid text with a few bytes overwritten. */
const nearUtf8 = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
  )
  .map(([text, edits]) => {
    const bytes = Buffer.from(text, 'utf8');
    for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
    return bytes;
  });

/** Random bytes weighted to the interesting lead and continuation ranges. */
const utf8ishBytes = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0x00, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff),
    ),
    { maxLength: 40 },
  )
  .map((bytes) => Buffer.from(bytes));

describe('Utf8Validator agrees with buffer.isUtf8', () => {
  it('on random bytes, whole (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        expect(validate([buffer])).toBe(isUtf8(buffer));
      }),
      { numRuns: 300 },
    );
  });

  it('on UTF-8-like bytes cut into random pieces (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(utf8ishBytes, nearUtf8),
        fc.array(fc.nat({ max: 250 }), { maxLength: 8 }),
        (buffer, cuts) => {
          expect(validate(cutAt(buffer, cuts))).toBe(isUtf8(buffer));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on random valid strings cut into random pieces (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 10 }),
        (text, cuts) => {
          const buffer = Buffer.from(text, 'utf8');
          expect(validate(cutAt(buffer, cuts))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  // Pieces of 32 bytes and more are checked natively in the middle, by the byte loop at the ends.
  it('on long near-valid text cut into random pieces, where the native middle check runs (fast-check)', () => {
    const longNearUtf8 = fc
      .tuple(
        fc.string({ unit: 'binary', minLength: 40, maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 2 }),
      )
      .map(([text, edits]) => {
        const bytes = Buffer.from(text, 'utf8');
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return bytes;
      });
    fc.assert(
      fc.property(longNearUtf8, fc.array(fc.nat({ max: 800 }), { maxLength: 4 }), (buffer, cuts) => {
        expect(validate(cutAt(buffer, cuts))).toBe(isUtf8(buffer));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['a 4-byte code point', 'f0 9f 98 80'],
    ['a 3-byte code point', 'e2 82 ac'],
    ['a 2-byte code point', 'c3 a9'],
  ])('carries %s cut at every position between two long pieces', (_name, bytes) => {
    const codePoint = hex(bytes);
    const text = Buffer.concat([Buffer.from('a'.repeat(40)), codePoint, Buffer.from('b'.repeat(40))]);
    for (let cut = 40; cut <= 40 + codePoint.length; cut++) expect(validate(cutAt(text, [cut]))).toBe(true);
  });

  it.each([
    ['E0 80 (overlong) at the end of a long piece', 'e0 80'],
    ['ED A0 (surrogate) at the end of a long piece', 'ed a0'],
    ['F4 90 (above U+10FFFF) at the end of a long piece', 'f4 90'],
    ['F5 at the end of a long piece', 'f5'],
  ])('rejects %s at once', (_name, bytes) => {
    const validator = new Utf8Validator();
    expect(validator.update(Buffer.concat([Buffer.from('x'.repeat(50)), hex(bytes)]))).toBe(false);
  });

  it('on every code point boundary case, one byte at a time', () => {
    for (const codePoint of [
      0x0, 0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x3ffff, 0x40000, 0xfffff,
      0x100000, 0x10ffff,
    ]) {
      const buffer = Buffer.from(String.fromCodePoint(codePoint), 'utf8');
      expect(validate(cutAt(buffer, [1, 2, 3]))).toBe(true);
    }
  });
});

describe('Unicode §3.9: ill-formed sequences', () => {
  it.each([
    ['overlong 2-byte C0 80', 'c0 80'],
    ['overlong 2-byte C1 BF', 'c1 bf'],
    ['overlong 3-byte E0 80 80', 'e0 80 80'],
    ['overlong 3-byte E0 9F BF', 'e0 9f bf'],
    ['overlong 4-byte F0 80 80 80', 'f0 80 80 80'],
    ['overlong 4-byte F0 8F BF BF', 'f0 8f bf bf'],
    ['high surrogate ED A0 80', 'ed a0 80'],
    ['low surrogate ED BF BF', 'ed bf bf'],
    ['surrogate pair encoded separately', 'ed a0 bd ed b8 80'],
    ['above U+10FFFF: F4 90 80 80', 'f4 90 80 80'],
    ['lead F5', 'f5 80 80 80'],
    ['lead F8 (5-byte form)', 'f8 88 80 80 80'],
    ['lead FC (6-byte form)', 'fc 84 80 80 80 80'],
    ['byte FE', 'fe'],
    ['byte FF', 'ff'],
    ['lone continuation 80', '80'],
    ['lone continuation BF after ASCII', '61 bf'],
    ['2-byte lead then ASCII', 'c3 41'],
    ['3-byte lead cut by a new lead', 'e2 82 e2 82 ac'],
    ['4-byte lead with 2 continuations then ASCII', 'f0 9f 98 41'],
  ])('rejects %s', (_name, bytes) => {
    const buffer = hex(bytes);
    expect(isUtf8(buffer)).toBe(false); // the reference agrees
    expect(validate([buffer])).toBe(false);
    expect(validate(cutAt(buffer, [1, 2, 3, 4, 5]))).toBe(false);
  });

  it.each([
    ['E2 82', 'e2 82'],
    ['F0 9F 98', 'f0 9f 98'],
    ['C3', 'c3'],
  ])('accepts the unfinished %s so far, but reports it incomplete', (_name, bytes) => {
    const validator = new Utf8Validator();
    expect(validator.update(hex(bytes))).toBe(true);
    expect(validator.isComplete()).toBe(false);
  });

  it.each([
    ['E0 | 80', 'e0', '80'],
    ['ED | A0', 'ed', 'a0'],
    ['F0 | 8F', 'f0', '8f'],
    ['F4 | 90', 'f4', '90'],
    ['F0 9F | 41', 'f0 9f', '41'],
  ])('fails on the very piece with the first bad byte (%s)', (_name, first, second) => {
    const validator = new Utf8Validator();
    expect(validator.update(hex(first))).toBe(true);
    expect(validator.update(hex(second))).toBe(false);
  });

  it('starts afresh after reset()', () => {
    const validator = new Utf8Validator();
    validator.update(hex('e2 82'));
    validator.reset();
    expect(validator.isComplete()).toBe(true);
    expect(validator.update(hex('41'))).toBe(true);
  });

  it('starts afresh after a failure', () => {
    const validator = new Utf8Validator();
    expect(validator.update(hex('e2 ff'))).toBe(false);
    expect(validator.update(hex('c3 a9'))).toBe(true);
    expect(validator.isComplete()).toBe(true);
  });

  it('accepts an empty piece in the middle of a code point', () => {
    expect(validate([hex('f0 9f'), Buffer.alloc(0), hex('98 80')])).toBe(true);
  });
});
