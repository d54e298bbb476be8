/**
 * The frame writer (RFC 6455 §5.2, §5.4): server frames are unmasked, lengths take the shortest
 * form, messages split at maxFrameSize keep the opcode and RSV bits on the first frame only, and
 * the short-text fast path writes the very bytes of the generic path.
 */
import fc from 'fast-check';
import { Opcode, Rsv1, Rsv2 } from '@ws/core';
import {
  FrameCollector,
  frameHeaderLength,
  writeControlFrame,
  writeFrameHeader,
  writeMessage,
  encodeText,
  writeText,
} from '../../src/protocol/frame-writer';
import { expectSameBytes } from '../helpers/bytes';
import { hex, prng, randomBytes, serverFrames } from '../helpers/sans-io-frames';
import { ArraySink } from '../helpers/sans-io-harness';

function message(
  opcode: typeof Opcode.Text | typeof Opcode.Binary,
  payload: Buffer,
  rsv: number,
  maxFrameSize: number,
): ArraySink {
  const sink = new ArraySink();
  writeMessage(sink, opcode, payload, rsv, maxFrameSize);
  return sink;
}

const summary = (sink: ArraySink): [number, boolean, number, number][] =>
  serverFrames(sink.bytes()).map((f) => [f.opcode, f.fin, f.rsv, f.payload.length]);

describe('RFC 6455 §5.2: payload length forms', () => {
  it.each([
    [0, '82 00'],
    [1, '82 01'],
    [125, '82 7d'],
    [126, '82 7e 00 7e'],
    [127, '82 7e 00 7f'],
    [65535, '82 7e ff ff'],
    [65536, '82 7f 00 00 00 00 00 01 00 00'],
    [65537, '82 7f 00 00 00 00 00 01 00 01'],
  ])('writes %i bytes behind header %s', (length, header) => {
    const payload = randomBytes(length, prng(length));
    expectSameBytes(message(Opcode.Binary, payload, 0, 1 << 20).bytes(), Buffer.concat([hex(header), payload]));
  });

  it.each([
    [0, 2],
    [125, 2],
    [126, 4],
    [65535, 4],
    [65536, 10],
    [2 ** 32, 10],
  ])('frameHeaderLength(%i) is %i', (length, expected) => {
    expect(frameHeaderLength(length)).toBe(expected);
  });

  it('writes a 64-bit length above 2^32 in both halves', () => {
    const header = Buffer.alloc(10);
    expect(writeFrameHeader(header, 0, Opcode.Binary, true, 0, 2 ** 32 + 5)).toBe(10);
    expect(header).toEqual(hex('82 7f 00 00 00 01 00 00 00 05'));
  });

  it('writes a header at an offset and leaves the rest alone', () => {
    const target = Buffer.alloc(8, 0xee);
    expect(writeFrameHeader(target, 3, Opcode.Text, false, Rsv1, 5)).toBe(2);
    expect(target).toEqual(hex('ee ee ee 41 05 ee ee ee'));
  });

  it('never sets the mask bit (RFC 6455 §5.1)', () => {
    for (const length of [0, 125, 126, 65536]) {
      const [frame] = serverFrames(message(Opcode.Binary, Buffer.alloc(length), 0, 1 << 20).bytes());
      expect(frame.masked).toBe(false);
    }
  });
});

describe('RFC 6455 §5.4: splitting at maxFrameSize', () => {
  it('puts opcode and RSV on the first frame, RSV 0 on continuations, FIN on the last only', () => {
    const sink = message(Opcode.Binary, Buffer.alloc(10), Rsv1, 4);
    expect(summary(sink)).toEqual([
      [Opcode.Binary, false, Rsv1, 4],
      [Opcode.Continuation, false, 0, 4],
      [Opcode.Continuation, true, 0, 2],
    ]);
  });

  it('writes the first byte of each frame exactly (0x42, 0x00, 0x80)', () => {
    const frames = serverFrames(message(Opcode.Binary, Buffer.alloc(10), Rsv1, 4).bytes());
    const firstBytes = frames.map((f) => ((f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode).toString(16));
    expect(firstBytes).toEqual(['42', '0', '80']);
  });

  it('keeps text payload bytes in order across frames', () => {
    const sink = message(Opcode.Text, Buffer.from('abcdefghij'), Rsv2, 3);
    expect(serverFrames(sink.bytes()).map((f) => f.payload.toString())).toEqual(['abc', 'def', 'ghi', 'j']);
  });

  it('splits an exact multiple into full frames with no empty tail', () => {
    expect(summary(message(Opcode.Binary, Buffer.alloc(8), 0, 4))).toEqual([
      [Opcode.Binary, false, 0, 4],
      [Opcode.Continuation, true, 0, 4],
    ]);
  });

  it.each([
    ['shorter than', 3],
    ['equal to', 4],
  ])('writes one frame with FIN and RSV when the payload is %s maxFrameSize', (_name, length) => {
    expect(summary(message(Opcode.Binary, Buffer.alloc(length), Rsv1, 4))).toEqual([
      [Opcode.Binary, true, Rsv1, length],
    ]);
  });

  it('writes an empty message as one empty frame', () => {
    expect(message(Opcode.Text, Buffer.alloc(0), 0, 4).bytes()).toEqual(hex('81 00'));
  });

  it('uses the right length form per frame (65536 split at 65535)', () => {
    const payload = randomBytes(65536, prng(7));
    const sink = message(Opcode.Binary, payload, 0, 65535);
    const bytes = sink.bytes();
    expect(bytes.subarray(0, 4)).toEqual(hex('02 7e ff ff'));
    expect(bytes.subarray(4 + 65535, 4 + 65535 + 3)).toEqual(
      hex('80 01 ' + payload[65535].toString(16).padStart(2, '0')),
    );
    expect(bytes.length).toBe(4 + 65535 + 3);
  });

  it('corks once around all frames of a message', () => {
    const sink = message(Opcode.Binary, Buffer.alloc(10), 0, 4);
    expect(sink.calls[0]).toBe('cork');
    expect(sink.calls[sink.calls.length - 1]).toBe('uncork');
    expect(sink.calls.filter((c) => c === 'cork')).toHaveLength(1);
  });

  it('gives the callback with the last chunk only', () => {
    const sink = new ArraySink();
    const callback = (): void => {};
    writeMessage(sink, Opcode.Binary, Buffer.alloc(20_000), 0, 9_000, callback);
    expect(sink.callbacks.filter((c) => c !== undefined)).toEqual([callback]);
    expect(sink.callbacks[sink.callbacks.length - 1]).toBe(callback);
  });

  it('sends a large payload as the same bytes, however it is chunked', () => {
    const payload = randomBytes(100_000, prng(9));
    const sink = message(Opcode.Binary, payload, 0, 1 << 20);
    expectSameBytes(serverFrames(sink.bytes())[0].payload, payload);
  });
});

describe('RFC 6455 §5.5: control frames', () => {
  it.each([
    ['close', Opcode.Close, hex('03 e8'), '88 02 03 e8'],
    ['ping', Opcode.Ping, Buffer.from('Hi'), '89 02 48 69'],
    ['pong', Opcode.Pong, Buffer.alloc(0), '8a 00'],
  ] as const)('writes %s as one final frame', (_name, opcode, payload, bytes) => {
    const sink = new ArraySink();
    writeControlFrame(sink, opcode, payload);
    expect(sink.bytes()).toEqual(hex(bytes));
  });

  it('writes an empty payload by default', () => {
    const sink = new ArraySink();
    writeControlFrame(sink, Opcode.Ping);
    expect(sink.bytes()).toEqual(hex('89 00'));
  });
});

describe('writeText: the text fast path', () => {
  function generic(text: string, maxFrameSize: number): Buffer {
    return message(Opcode.Text, Buffer.from(text, 'utf8'), 0, maxFrameSize).bytes();
  }

  function fast(text: string, maxFrameSize: number): { taken: boolean; bytes: Buffer } {
    const sink = new ArraySink();
    const taken = writeText(sink, text, maxFrameSize);
    return { taken, bytes: sink.bytes() };
  }

  it.each([
    ['empty', ''],
    ['ASCII', 'Hello'],
    ['125 bytes', 'a'.repeat(125)],
    ['126 bytes', 'a'.repeat(126)],
    ['126 bytes of multi-byte text', 'é'.repeat(63)],
    ['4-byte code points', '😀'.repeat(20)],
    ['a lone surrogate (written as U+FFFD)', 'a\ud800b'],
    ['2730 units', 'x'.repeat(2730)],
    ['64 KiB of ASCII (16-bit length)', 'x'.repeat(0xffff)],
    ['1 MiB of ASCII (64-bit length)', 'x'.repeat(1 << 20)],
    ['768 KiB of Latin-1 (not ASCII: written as UTF-8)', '\u00e9x'.repeat(1 << 18)],
    ['one non-ASCII unit at the very end', 'x'.repeat(70000) + '\u00ff'],
  ])('writes %s exactly as the generic path does', (_name, text) => {
    const result = fast(text, 1 << 20);
    expect(result.taken).toBe(true);
    expectSameBytes(result.bytes, generic(text, 1 << 20));
  });

  it('matches the generic path for any string (fast-check)', () => {
    // A short random string repeated: long inputs without the cost of generating them (a cut
    // may leave a lone surrogate, which is worth checking too).
    const texts = fc
      .tuple(fc.string({ unit: 'binary', maxLength: 24 }), fc.integer({ min: 1, max: 4000 }))
      .map(([unit, times]) => unit.repeat(times).slice(0, 70000));
    fc.assert(
      fc.property(texts, (text) => {
        const result = fast(text, 1 << 20);
        expect(result.taken).toBe(true);
        expect(result.bytes.equals(generic(text, 1 << 20))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('declines text whose UTF-8 does not fit in one frame of maxFrameSize, writing nothing', () => {
    expect(fast('abcde', 4)).toEqual({ taken: false, bytes: Buffer.alloc(0) });
    expect(fast('\u00e9\u00e9\u00e9', 5)).toEqual({ taken: false, bytes: Buffer.alloc(0) });
    expect(fast('abcd', 4).taken).toBe(true);
  });

  it('gives the callback with its one chunk', () => {
    const sink = new ArraySink();
    const callback = (): void => {};
    writeText(sink, 'hi', 100, callback);
    expect(sink.callbacks).toEqual([callback]);
  });
});

describe('encodeText', () => {
  it.each([
    ['empty', ''],
    ['ASCII', 'x'.repeat(100000)],
    ['Latin-1', '\u00e9'.repeat(1000)],
    ['4-byte code points', '\u{1F600}'.repeat(1000)],
    ['a lone surrogate (written as U+FFFD)', 'a\ud800b'],
  ])('encodes %s as Buffer.from does', (_name, text) => {
    expect(encodeText(text).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });
});

describe('FrameCollector', () => {
  it('keeps the frames of a message for writing many times', () => {
    const collector = new FrameCollector();
    writeMessage(collector, Opcode.Text, Buffer.from('Hello'), 0, 3);
    expect(Buffer.concat(collector.chunks)).toEqual(hex('01 03 48 65 6c 80 02 6c 6f'));
  });
});
