/**
 * The text codec's fast routes (Latin-1 for ASCII, the remembered length of the last large
 * string) must give exactly what the plain routes (`toString('utf8')`, `Buffer.byteLength`) give.
 */
import { decodeText, forgetText, receivedBytesOf, utf8Length, writeUtf8 } from '../../src/protocol/text-codec';

const LARGE = 70000;

describe('decodeText', () => {
  it.each([
    ['small ASCII', Buffer.from('hello')],
    ['small non-ASCII', Buffer.from('h\u00e9llo \u{1F600}')],
    ['large ASCII', Buffer.alloc(LARGE, 'a')],
    ['ASCII of several 64 KiB slices and a rest', Buffer.from('0123456789abcdef'.repeat(12289))],
    ['ASCII of exactly two slices', Buffer.alloc(2 * 65536, 'q')],
    ['ASCII past the rope size, one string', Buffer.alloc(3 * 1024 * 1024, 'r')],
    ['large non-ASCII', Buffer.from('\u0436'.repeat(LARGE))],
    ['bytes 0x80-0xFF as UTF-8, never as Latin-1', Buffer.from('\u00e9\u00ff')],
  ])('decodes %s as toString("utf8") does', (_name, bytes) => {
    expect(decodeText(bytes, false)).toBe(bytes.toString('utf8'));
  });
});

describe('utf8Length', () => {
  it.each([
    ['empty', ''],
    ['ASCII', 'abc'],
    ['2-, 3- and 4-byte code points', '\u00e9\u20ac\u{1F600}'],
    ['a lone surrogate, 3 bytes like U+FFFD', 'a\ud800'],
    ['large ASCII', 'x'.repeat(LARGE)],
    ['large non-ASCII', '\u00e9'.repeat(LARGE)],
  ])('measures %s as Buffer.byteLength does', (_name, text) => {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text));
  });

  it('gives the remembered length of a decoded large message, and only for that text', () => {
    const bytes = Buffer.from('\u00e9'.repeat(LARGE));
    const text = decodeText(bytes, false);
    expect(utf8Length(text)).toBe(bytes.length);
    // Same length in units, other content: measured, not remembered.
    const other = 'x'.repeat(LARGE);
    expect(utf8Length(other)).toBe(LARGE);
    expect(utf8Length(text)).toBe(bytes.length);
  });
});

describe('receivedBytesOf', () => {
  it('gives the bytes of the large message decoded last, for that text only, until forgetText', () => {
    const bytes = Buffer.from('\u00e9'.repeat(LARGE));
    const text = decodeText(bytes, false);
    expect(receivedBytesOf(text)).toBe(bytes);
    expect(receivedBytesOf('\u00e8'.repeat(LARGE))).toBeNull();
    forgetText();
    expect(receivedBytesOf(text)).toBeNull();
  });

  it('gives nothing for a small message, nor for a string only measured', () => {
    const small = decodeText(Buffer.from('small'), false);
    expect(receivedBytesOf(small)).toBeNull();
    const measured = 'm'.repeat(LARGE);
    utf8Length(measured);
    expect(receivedBytesOf(measured)).toBeNull();
  });
});

describe('writeUtf8', () => {
  it.each([
    ['ASCII (the Latin-1 copy)', 'plain'],
    ['Latin-1 range (must go as UTF-8)', '\u00e9\u00ff'],
    ['two-byte units', '\u0142\u0436'],
  ])('writes %s as Buffer.from does', (_name, text) => {
    const length = utf8Length(text);
    const target = Buffer.alloc(length + 2);
    writeUtf8(target, 2, text, length);
    expect(target.subarray(2).equals(Buffer.from(text))).toBe(true);
  });
});
