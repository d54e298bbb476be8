/**
 * RFC 6455 §5.3: masking. The word-at-a-time `unmask` must equal the plain byte loop
 * `out[i] = in[i] ^ key[i % 4]` for every length and every memory alignment, since the word
 * loop starts wherever the buffer's address happens to become 4-aligned.
 */
import fc from 'fast-check';
import { isAsciiBits, unmask, unmaskInPlaceIsAscii, unmaskPayload } from '../../src/protocol/mask';
import { prng, randomBytes } from '../helpers/sans-io-frames';

/** The definition: byte i is XORed with mask byte i % 4, the mask's bytes in wire order. */
function reference(data: Buffer, mask: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeUInt32BE(mask >>> 0);
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i] ^= key[i & 3];
  return out;
}

/** `length` bytes at `alignment` bytes into a fresh (8-aligned) ArrayBuffer, with guard bytes around. */
function placed(data: Buffer, alignment: number): { whole: Buffer; view: Buffer } {
  const whole = Buffer.alloc(data.length + 16, 0xa5);
  const view = whole.subarray(alignment, alignment + data.length);
  data.copy(view);
  return { whole, view };
}

const LENGTHS = [...Array.from({ length: 101 }, (_, i) => i), 127, 128, 255, 256, 1000, 1023, 1024, 1025, 4099, 65541];
const MASKS = [0x37fa213d, 0xffffffff, 0x00000001, 0x80000000, 0x01020304];

describe('RFC 6455 §5.3: unmask equals the byte loop', () => {
  it.each(MASKS.map((m) => [`0x${m.toString(16).padStart(8, '0')}`, m]))(
    'for every length 0..100 and several larger, at every alignment 0-7 (mask %s)',
    (_name, mask) => {
      const random = prng(mask);
      for (const length of LENGTHS) {
        const data = randomBytes(length, random);
        const expected = reference(data, mask);
        for (let alignment = 0; alignment < 8; alignment++) {
          const { whole, view } = placed(data, alignment);
          unmask(view, mask);
          if (!view.equals(expected)) throw new Error(`length ${length}, alignment ${alignment}: differs`);
          // Guard bytes on both sides are untouched.
          expect(whole.subarray(0, alignment).every((b) => b === 0xa5)).toBe(true);
          expect(whole.subarray(alignment + length).every((b) => b === 0xa5)).toBe(true);
        }
      }
    },
  );

  it('for random data, lengths, alignments and masks (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (bytes, alignment, mask) => {
          const data = Buffer.from(bytes);
          const { view } = placed(data, alignment);
          unmask(view, mask);
          expect(view.equals(reference(data, mask))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('works on small pooled Buffers, whatever their byteOffset', () => {
    for (let length = 0; length < 80; length++) {
      const data = randomBytes(length, prng(length));
      const pooled = Buffer.from(data); // from the shared pool: any byteOffset
      unmask(pooled, 0xdeadbeef);
      expect(pooled.equals(reference(data, 0xdeadbeef))).toBe(true);
    }
  });

  it('is its own inverse', () => {
    const data = randomBytes(1000, prng(1));
    const copy = Buffer.from(data);
    unmask(copy, 0x12345678);
    unmask(copy, 0x12345678);
    expect(copy.equals(data)).toBe(true);
  });

  it('leaves the bytes alone with a zero mask', () => {
    const data = randomBytes(100, prng(2));
    const copy = Buffer.from(data);
    unmask(copy, 0);
    expect(copy.equals(data)).toBe(true);
  });
});

describe('unmask with offset and length', () => {
  it('masks only the range, starting with mask byte 0 at offset (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 0xffffffff }),
        (bytes, a, b, mask) => {
          const data = Buffer.from(bytes);
          const offset = a % data.length;
          const length = b % (data.length - offset + 1);
          const buffer = Buffer.from(data);
          unmask(buffer, mask, offset, length);
          const expected = Buffer.concat([
            data.subarray(0, offset),
            reference(data.subarray(offset, offset + length), mask),
            data.subarray(offset + length),
          ]);
          expect(buffer.equals(expected)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('unmaskPayload (native when available)', () => {
  it.each([0, 1, 31, 32, 1023, 1024, 1025, 70_001])('equals the byte loop for %i bytes', (length) => {
    const data = randomBytes(length, prng(length + 1));
    for (let alignment = 0; alignment < 4; alignment++) {
      const { view } = placed(data, alignment);
      unmaskPayload(view, 0xcafebabe);
      expect(view.equals(reference(data, 0xcafebabe))).toBe(true);
    }
  });
});

describe('unmask tells whether the bytes it unmasked are all ASCII', () => {
  it('for random data, lengths, alignments and masks, one high bit anywhere (fast-check)', () => {
    fc.assert(
      fc.property(
        // Full-size arrays: most go through the word loop, not only the byte loop of small ones.
        fc.uint8Array({ maxLength: 600, size: 'max' }).map((bytes) => bytes.map((b) => b & 0x7f)),
        fc.nat(),
        fc.boolean(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        (ascii, where, high, alignment, mask) => {
          const plain = Buffer.from(ascii);
          if (high && plain.length > 0) plain[where % plain.length] |= 0x80;
          const { view } = placed(reference(plain, mask), alignment); // the bytes as masked on the wire
          const seen = unmask(view, mask);
          expect(view.equals(plain)).toBe(true);
          expect(isAsciiBits(seen)).toBe(!(high && plain.length > 0));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('knows nothing (not ASCII) when the mask is 0 and nothing was looked at', () => {
    expect(isAsciiBits(unmask(Buffer.from('plain'), 0))).toBe(false);
  });
});

describe('unmaskInPlaceIsAscii (a frame where it lies in its chunk; native from 1 KiB)', () => {
  it.each([1, 127, 128, 1023, 1024, 1025, 4099, 8191])(
    'unmasks %i bytes between others, untouched, and tells ASCII, one high bit anywhere',
    (length) => {
      const random = prng(length + 7);
      const ascii = randomBytes(length, random).map((b) => b & 0x7f);
      for (const where of [-1, 0, length >> 1, length - 1]) {
        const plain = Buffer.from(ascii);
        if (where >= 0) plain[where] |= 0x80;
        const before = randomBytes(5, random);
        const after = randomBytes(3, random);
        const chunk = Buffer.concat([before, reference(plain, 0x9e3779b9), after]);
        expect(unmaskInPlaceIsAscii(chunk, 0x9e3779b9, before.length, length)).toBe(where < 0);
        expect(chunk.equals(Buffer.concat([before, plain, after]))).toBe(true);
      }
    },
  );

  it('knows nothing (not ASCII) when the mask is 0, short or long', () => {
    expect(unmaskInPlaceIsAscii(Buffer.from('plain'), 0, 0, 5)).toBe(false);
    expect(unmaskInPlaceIsAscii(Buffer.alloc(2048, 0x41), 0, 0, 2048)).toBe(false);
  });
});
