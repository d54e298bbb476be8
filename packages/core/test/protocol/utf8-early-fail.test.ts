/**
 * RFC 6455 §8.1 (and Autobahn 6.4.3-6.4.4): invalid UTF-8 fails with 1007 as soon as the bytes
 * that make the text invalid have arrived, whatever the frame and chunk boundaries: inside a
 * frame still arriving, as well as across fragments. Valid text cut anywhere is delivered intact
 * (the bytes checked early are unmasked once, in place, and the rest after them).
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { ExtensionChain, Opcode, Rsv1 } from '@ws/core';
import { tagCodec, xorCodec } from '../helpers/sans-io-codecs';
import { cutAt, hex, masked, oneByteAtATime, prng, randomKey, randomText } from '../helpers/sans-io-frames';
import { SansIo, expectFailure, expectNoFailure } from '../helpers/sans-io-harness';

/**
 * How many bytes of `text` it takes to know it is not UTF-8: the shortest prefix that no bytes
 * can complete into valid UTF-8 (found with the native `isUtf8` alone, trying every shape of
 * completion); 'end' when only its end is wrong (a code point cut short), 'valid' when it is.
 */
function bytesToKnowInvalid(text: Buffer): number | 'end' | 'valid' {
  if (isUtf8(text)) return 'valid';
  const completable = (length: number): boolean => {
    const prefix = text.subarray(0, length);
    if (isUtf8(prefix)) return true;
    for (const first of [0x80, 0x90, 0xa0]) {
      for (let extra = 0; extra < 3; extra++) {
        if (isUtf8(Buffer.concat([prefix, Buffer.from([first]), Buffer.alloc(extra, 0x80)]))) return true;
      }
    }
    return false;
  };
  // Completable prefixes are closed under shortening: binary search for the first that is not.
  let low = 0;
  let high = text.length;
  if (completable(high)) return 'end';
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (completable(middle)) low = middle;
    else high = middle;
  }
  return high;
}

interface Wire {
  bytes: Buffer;
  /** Wire offset of each payload byte of the message, in message order. */
  payloadAt: number[];
}

/** A message as frames of the given payload sizes, each with its own key. */
function wireOf(opcode: number, payload: Buffer, frameSizes: number[], random: () => number): Wire {
  const pieces: Buffer[] = [];
  const payloadAt: number[] = [];
  let offset = 0;
  let wireLength = 0;
  frameSizes.forEach((size, index) => {
    const last = index === frameSizes.length - 1;
    const end = last ? payload.length : Math.min(payload.length, offset + size);
    const frame = masked(index === 0 ? opcode : Opcode.Continuation, payload.subarray(offset, end), {
      fin: last,
      key: randomKey(random),
    });
    const headerLength = frame.length - (end - offset);
    for (let i = 0; i < end - offset; i++) payloadAt.push(wireLength + headerLength + i);
    pieces.push(frame);
    wireLength += frame.length;
    offset = end;
  });
  return { bytes: Buffer.concat(pieces), payloadAt };
}

/** Feeds the chunks one at a time; returns the index of the chunk after which the protocol failed (-1: never). */
function failingChunk(io: SansIo, chunks: Buffer[]): number {
  for (let i = 0; i < chunks.length; i++) {
    io.receive(chunks[i]);
    if (io.failures().length > 0) return i;
  }
  return -1;
}

/** The chunk that holds wire offset `at`. */
function chunkHolding(chunks: Buffer[], at: number): number {
  let end = 0;
  for (let i = 0; i < chunks.length; i++) {
    end += chunks[i].length;
    if (at < end) return i;
  }
  throw new Error(`offset ${at} past the wire`);
}

// Autobahn 6.4.3's text: valid Greek, then an invalid sequence (a surrogate here), then more.
const VALID_PART = Buffer.from('κόσμε', 'utf8');
const INVALID_PART = hex('ed a0 80');
const REST = Buffer.from('edited', 'utf8');

describe('RFC 6455 §8.1: invalid UTF-8 inside one frame fails before the frame is complete', () => {
  const payload = Buffer.concat([VALID_PART, INVALID_PART, REST]);
  const frame = masked(Opcode.Text, payload);
  const headerLength = frame.length - payload.length;
  // ED A0 is already impossible (ED allows only 80-9F next): the second byte of the sequence decides.
  const decidingByte = headerLength + VALID_PART.length + 1;

  it('fails with 1007 after the middle of three chunks (valid | invalid | rest)', () => {
    const io = new SansIo();
    const chunks = cutAt(frame, [
      headerLength + VALID_PART.length,
      headerLength + VALID_PART.length + INVALID_PART.length,
    ]);
    expect(failingChunk(io, chunks)).toBe(1);
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
    expect(io.messages()).toEqual([]);
  });

  it('does not fail while only valid bytes have come', () => {
    const io = new SansIo().receive(frame.subarray(0, decidingByte));
    expectNoFailure(io);
    expect(io.sent()).toEqual([]);
  });

  it('fails on the very byte that makes it invalid, fed one byte at a time', () => {
    const io = new SansIo();
    expect(failingChunk(io, oneByteAtATime(frame))).toBe(decidingByte);
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('fails with the chunk that holds the deciding byte, for every two-way cut', () => {
    for (let cut = 1; cut < frame.length; cut++) {
      const io = new SansIo();
      const chunks = cutAt(frame, [cut]);
      expect([cut, failingChunk(io, chunks)]).toEqual([cut, chunkHolding(chunks, decidingByte)]);
      expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
    }
  });

  it('fails inside a continuation frame still arriving', () => {
    const first = masked(Opcode.Text, 'start ', { fin: false });
    const second = masked(Opcode.Continuation, payload);
    const io = new SansIo().receive(first, second.subarray(0, second.length - REST.length));
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('fails when the invalid sequence straddles two chunks of a large frame (native unmask path)', () => {
    const big = Buffer.concat([Buffer.from('a'.repeat(5000)), INVALID_PART, Buffer.from('b'.repeat(5000))]);
    const wire = masked(Opcode.Text, big);
    const start = wire.length - big.length;
    const io = new SansIo();
    const chunks = cutAt(wire, [start + 1333, start + 5001, start + 8000]);
    expect(failingChunk(io, chunks)).toBe(2);
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('does not look inside binary frames: invalid UTF-8 there arrives intact, however cut', () => {
    const data = Buffer.concat([VALID_PART, INVALID_PART, REST, Buffer.alloc(3000, 0xff)]);
    const io = new SansIo().receive(...cutAt(masked(Opcode.Binary, data), [3, 9, 17, 2000]));
    expectNoFailure(io);
    expect(io.messages()).toEqual([data]);
  });

  it('with an extension negotiated, checks the frame once it is whole (a codec may transform any payload)', () => {
    const io = new SansIo({ extensions: new ExtensionChain([tagCodec('A', { rsv: Rsv1 })]), allowedRsv: Rsv1 });
    io.receive(frame.subarray(0, frame.length - 1));
    expectNoFailure(io);
    io.receive(frame.subarray(frame.length - 1));
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });
});

describe('RFC 6455 §8.1: any frame and chunk boundaries (fast-check)', () => {
  /** Text of up to 3000 bytes (past the 1 KiB native unmask and block thresholds), maybe damaged. */
  const message = fc.record({
    seed: fc.integer(),
    length: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3000 })),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 2 }),
    frameSizes: fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: 3 }),
    cuts: fc.array(fc.nat({ max: 3100 }), { maxLength: 8 }),
  });

  // The no-extension path, and a codec taking frames in pieces (an identity xor: key 0, so the
  // wire bytes are the text and the deciding byte is the same).
  const setups: [string, () => SansIo][] = [
    ['no extension', () => new SansIo()],
    [
      'a codec taking pieces',
      () =>
        new SansIo({ extensions: new ExtensionChain([xorCodec(0, { rsv: Rsv1, pieces: true })]), allowedRsv: Rsv1 }),
    ],
  ];

  it.each(setups)(
    '%s: fails with the chunk holding the first byte that makes the text invalid, else delivers it intact',
    (_, open) => {
      fc.assert(
        fc.property(message, ({ seed, length, edits, frameSizes, cuts }) => {
          const random = prng(seed);
          const text = Buffer.from(randomText(length, random), 'utf8');
          for (const [at, value] of edits) if (text.length > 0) text[at % text.length] = value;
          const wire = wireOf(Opcode.Text, text, frameSizes, random);
          const chunks = cutAt(wire.bytes, cuts);
          const io = open();
          const failedAt = failingChunk(io, chunks);
          const needed = bytesToKnowInvalid(text);
          if (needed === 'valid') {
            expect(failedAt).toBe(-1);
            expect(io.messages()).toEqual([text.toString('utf8')]);
            return;
          }
          // Only the end is wrong: known when the last frame is complete.
          const deciding = needed === 'end' ? wire.bytes.length - 1 : wire.payloadAt[needed - 1];
          expect(failedAt).toBe(chunkHolding(chunks, deciding));
          expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
          expect(io.messages()).toEqual([]);
        }),
        { numRuns: 400 },
      );
    },
  );

  it('gives the same outcome for valid text cut anywhere as for the frames fed whole', () => {
    fc.assert(
      fc.property(message, ({ seed, length, frameSizes, cuts }) => {
        const random = prng(seed);
        const text = Buffer.from(randomText(length, random), 'utf8');
        const wire = wireOf(Opcode.Text, text, frameSizes, random);
        const whole = new SansIo().receive(Buffer.from(wire.bytes));
        const cut = new SansIo().receive(...cutAt(wire.bytes, cuts));
        expect(cut.outcome()).toEqual(whole.outcome());
      }),
      { numRuns: 200 },
    );
  });
});

describe('a frame whose first pieces are ASCII (checked with isAscii alone, no validator state)', () => {
  const ascii = Buffer.alloc(200, 'a');

  it('delivers ASCII text cut anywhere intact', () => {
    const frame = masked(Opcode.Text, ascii);
    for (let cut = 1; cut < frame.length; cut++) {
      const io = new SansIo().receive(...cutAt(frame, [cut]));
      expectNoFailure(io);
      expect([cut, io.messages()]).toEqual([cut, [ascii.toString('latin1')]]);
    }
  });

  it('delivers ASCII followed by multi-byte code points cut anywhere intact', () => {
    const payload = Buffer.concat([ascii, Buffer.from('é€😀', 'utf8'), ascii]);
    const frame = masked(Opcode.Text, payload);
    for (let cut = 1; cut < frame.length; cut++) {
      const io = new SansIo().receive(...cutAt(frame, [cut, Math.min(frame.length - 1, cut + 3)]));
      expectNoFailure(io);
      expect([cut, io.messages()]).toEqual([cut, [payload.toString('utf8')]]);
    }
  });

  it('fails with the chunk that holds the deciding byte after an ASCII start, for every two-way cut', () => {
    const payload = Buffer.concat([ascii, INVALID_PART, REST]);
    const frame = masked(Opcode.Text, payload);
    const decidingByte = frame.length - payload.length + ascii.length + 1;
    for (let cut = 1; cut < frame.length; cut++) {
      const io = new SansIo();
      const chunks = cutAt(frame, [cut]);
      expect([cut, failingChunk(io, chunks)]).toEqual([cut, chunkHolding(chunks, decidingByte)]);
      expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
    }
  });
});
