/**
 * Small one-frame text and binary messages that sit whole in one chunk take a shortcut past the
 * header states (frame-parser.ts `takeWholeMessage`). Whatever shortcut a frame takes, the
 * outcome must be the one the states give: fed a byte at a time, no frame is ever whole in a
 * chunk, so that run is the reference. Frames that break a rule must reach the states, which
 * name the error. A listener that throws out of such a frame is messages.test.ts's case (its
 * frames qualify).
 */
import { ExtensionChain, FrameParser, Opcode, Rsv1, type FrameHandler, type WebSocketError } from '@ws/core';
import { xorBytes, xorCodec } from '../helpers/sans-io-codecs';
import { SansIo, expectFailure, expectNoFailure } from '../helpers/sans-io-harness';
import { frameHeader } from '../helpers/frames';
import { hex, masked, oneByteAtATime } from '../helpers/sans-io-frames';

const KEY = hex('37 fa 21 3d');
const ascii = (length: number): string =>
  'The quick brown fox, 0123456789. '.repeat(Math.ceil(length / 33)).slice(0, length);
const text = (payload: string | Buffer, options: { fin?: boolean; rsv?: number } = {}): Buffer =>
  masked(Opcode.Text, payload, { key: KEY, ...options });
const binary = (payload: string | Buffer, options: { fin?: boolean; rsv?: number } = {}): Buffer =>
  masked(Opcode.Binary, payload, { key: KEY, ...options });
/** Bytes of every value, so a binary payload is not ASCII by accident. */
const bytes = (length: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff));

/** A frame of `length` bytes (under 126) with a 16-bit length field: not the shortest encoding. */
function nonMinimal(length: number, opcode: number = Opcode.Text): Buffer {
  const frame = Buffer.alloc(4 + 4 + length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | 126;
  frame.writeUInt16BE(length, 2);
  KEY.copy(frame, 4);
  for (let i = 0; i < length; i++) frame[8 + i] = 0x61 ^ KEY[i & 3];
  return frame;
}

/** A binary frame of `length` bytes (under 65,536) with a 64-bit length field: not the shortest encoding. */
function nonMinimal64(length: number): Buffer {
  const frame = Buffer.alloc(10 + 4 + length);
  frame[0] = 0x82;
  frame[1] = 0x80 | 127;
  frame.writeUInt32BE(length, 6);
  KEY.copy(frame, 10);
  return frame;
}

/** A frame as a server sends it: no mask (RFC 6455 §5.1). */
const unmasked = (opcode: number, payload: Buffer): Buffer =>
  Buffer.concat([frameHeader(opcode, payload.length, { fin: true, rsv: 0, mask: false }), payload]);

/** The frame with its mask bit cleared (key and masked payload left in place). */
function unmaskedBit(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  copy[1] &= 0x7f;
  return copy;
}

function outcomes(bytes: Buffer, options: ConstructorParameters<typeof SansIo>[0] = {}): [unknown, unknown] {
  const whole = new SansIo(options).receive(bytes);
  const trickled = new SansIo(options).receive(...oneByteAtATime(bytes));
  return [whole.outcome(), trickled.outcome()];
}

/** Calls of `readHeader`, the first of the header states, while `run` runs. */
function headerReads(run: () => void): number {
  const readHeader = jest.spyOn(FrameParser.prototype as unknown as { readHeader(): boolean }, 'readHeader');
  try {
    run();
    return readHeader.mock.calls.length;
  } finally {
    readHeader.mockRestore();
  }
}

describe('a whole small text or binary frame in one chunk', () => {
  it.each([
    ['one byte', [text('a')]],
    ['125 bytes, the longest 7-bit length', [text(ascii(125))]],
    ['126 bytes, the shortest 16-bit length', [text(ascii(126))]],
    ['1 KiB', [text(ascii(1024))]],
    ['8 KiB - 1, the largest that qualifies', [text(ascii(8191))]],
    ['8 KiB, past the shortcut', [text(ascii(8192))]],
    ['sixteen pipelined', Array.from({ length: 16 }, (_, i) => text(ascii(i * 9 + 1)))],
    ['non-ASCII, validated', [text('h\u00e9llo \u{1f600}'), text('plain')]],
    ['empty, left to the states', [text(''), text('x')]],
    ['among control frames', [text('a'), masked(Opcode.Ping, 'p', { key: KEY }), text('b')]],
    [
      'after a fragmented message',
      [text('one ', { fin: false }), masked(Opcode.Continuation, 'two', { key: KEY }), text('three')],
    ],
    ['binary, one byte', [binary(bytes(1))]],
    ['binary, 125 and 126 bytes', [binary(bytes(125)), binary(bytes(126))]],
    ['binary, 8 KiB - 1 and 8 KiB', [binary(bytes(8191)), binary(bytes(8192))]],
    [
      'binary and text pipelined',
      Array.from({ length: 16 }, (_, i) => (i & 1 ? binary(bytes(i)) : text(ascii(i + 1)))),
    ],
    ['binary, empty, left to the states', [binary(''), binary(bytes(3))]],
    [
      'binary after a fragmented binary message',
      [binary(bytes(5), { fin: false }), masked(Opcode.Continuation, bytes(6), { key: KEY }), binary(bytes(7))],
    ],
  ])('%s: as the states would', (_name, frames) => {
    const [whole, trickled] = outcomes(Buffer.concat(frames));
    expect(whole).toEqual(trickled);
    expect((whole as { events: { type: string }[] }).events.some((e) => e.type === 'message')).toBe(true);
  });

  it('binary keeps its bytes as they were sent, every byte value', () => {
    const payloads = [bytes(1), bytes(64), bytes(125), bytes(126), bytes(1000), bytes(8191)];
    const io = new SansIo().receive(Buffer.concat(payloads.map((payload) => binary(payload))));
    expect(io.messages()).toEqual(payloads);
    expectNoFailure(io);
  });

  it.each([
    ['invalid UTF-8', Buffer.concat([text('ok'), text(Buffer.from([0x61, 0xff]))]), {}, 'WS_ERR_INVALID_UTF8', 1007],
    [
      'a text frame inside a fragmented message',
      Buffer.concat([text('ok'), text('a', { fin: false }), text('b')]),
      {},
      'WS_ERR_EXPECTED_CONTINUATION',
      1002,
    ],
    [
      'a binary frame inside a fragmented message',
      Buffer.concat([text('ok'), binary('a', { fin: false }), binary('b')]),
      {},
      'WS_ERR_EXPECTED_CONTINUATION',
      1002,
    ],
    ['no mask bit', Buffer.concat([text('ok'), unmaskedBit(text('abcdefgh'))]), {}, 'WS_ERR_UNMASKED_FRAME', 1002],
    [
      'binary, no mask bit',
      Buffer.concat([text('ok'), unmaskedBit(binary('abcdefgh'))]),
      {},
      'WS_ERR_UNMASKED_FRAME',
      1002,
    ],
    ['RSV1 not negotiated', Buffer.concat([text('ok'), text('abc', { rsv: 4 })]), {}, 'WS_ERR_UNEXPECTED_RSV', 1002],
    [
      'binary, RSV1 not negotiated',
      Buffer.concat([text('ok'), binary('abc', { rsv: 4 })]),
      {},
      'WS_ERR_UNEXPECTED_RSV',
      1002,
    ],
    ['a 16-bit length under 126', Buffer.concat([text('ok'), nonMinimal(100)]), {}, 'WS_ERR_INVALID_LENGTH', 1002],
    [
      'binary, a 16-bit length under 126',
      Buffer.concat([text('ok'), nonMinimal(100, Opcode.Binary)]),
      {},
      'WS_ERR_INVALID_LENGTH',
      1002,
    ],
    [
      'over maxPayload',
      Buffer.concat([text('ok'), text(ascii(101))]),
      { maxPayload: 100 },
      'WS_ERR_MESSAGE_TOO_BIG',
      1009,
    ],
    [
      'binary, a 64-bit length under 65,536',
      Buffer.concat([text('ok'), nonMinimal64(200)]),
      {},
      'WS_ERR_INVALID_LENGTH',
      1002,
    ],
    [
      'binary over maxPayload',
      Buffer.concat([text('ok'), binary(bytes(101))]),
      { maxPayload: 100 },
      'WS_ERR_MESSAGE_TOO_BIG',
      1009,
    ],
  ])('%s: the error the states name, and nothing after it', (_name, bytes, options, code, closeCode) => {
    const io = new SansIo(options).receive(Buffer.concat([bytes, text('never')]));
    expectFailure(io, code, closeCode);
    expect(io.messages()).toEqual(['ok']);
    const [whole, trickled] = outcomes(Buffer.concat([bytes, text('never')]), options);
    expect(whole).toEqual(trickled);
  });

  it('takes the shortcut: the header states never run for such frames', () => {
    const io = new SansIo();
    const frames = [
      text('a'),
      text(ascii(125)),
      text(ascii(126)),
      text(ascii(8191)),
      binary(bytes(1)),
      binary(bytes(8191)),
    ];
    expect(headerReads(() => io.receive(Buffer.concat(frames)))).toBe(0);
    expect(io.messages()).toEqual(['a', ascii(125), ascii(126), ascii(8191), bytes(1), bytes(8191)]);
    expect(headerReads(() => io.receive(text(ascii(8192)), text(''), binary(bytes(8192)), binary('')))).toBe(4);
    expectNoFailure(io);
  });

  it('text delivered as bytes goes through the states; binary still takes the shortcut', () => {
    const io = new SansIo({ textAsBuffer: true });
    expect(headerReads(() => io.receive(text('as bytes'), text('again')))).toBe(2);
    expect(headerReads(() => io.receive(binary(bytes(9))))).toBe(0);
    expect(io.messages()).toEqual([Buffer.from('as bytes'), Buffer.from('again'), bytes(9)]);
    expectNoFailure(io);
  });

  it('with an extension negotiated, binary frames without its bit pass it as the states would', () => {
    // xor extension on RSV1: a frame with RSV1 is its output (the states read it); one without is plain.
    const options = { extensions: new ExtensionChain([xorCodec(0x5a, { rsv: Rsv1 })]), allowedRsv: Rsv1 };
    const frames = Buffer.concat([
      binary(bytes(40)),
      binary(xorBytes(bytes(40), 0x5a), { rsv: Rsv1 }),
      binary(bytes(300)),
    ]);
    const io = new SansIo(options);
    expect(headerReads(() => io.receive(frames))).toBe(1);
    expect(io.messages()).toEqual([bytes(40), bytes(40), bytes(300)]);
    const [whole, trickled] = outcomes(frames, options);
    expect(whole).toEqual(trickled);
  });

  it('a frame cut at every offset: the part before the cut never takes the shortcut wrongly', () => {
    // Each cut leaves a frame (or its header) short by some bytes at the end of a chunk.
    const frames = [binary(bytes(130)), text(ascii(40)), binary(bytes(3))];
    const stream = Buffer.concat(frames);
    const [reference] = outcomes(stream);
    for (let cut = 1; cut < stream.length; cut++) {
      const io = new SansIo().receive(stream.subarray(0, cut), stream.subarray(cut));
      expect([cut, io.outcome()]).toEqual([cut, reference]);
    }
  });

  it('payloads handed out as views of a chunk stay as they were while later chunks arrive', () => {
    // The parser merges small chunks into blocks of its own (ChunkQueue): what it handed out must
    // not be written over, whether the handler keeps going or pauses on every frame.
    for (const pauseEveryFrame of [false, true]) {
      const kept: Buffer[] = [];
      const handler: FrameHandler = {
        onFrame(_opcode: number, _fin: boolean, _rsv: number, payload: Buffer): boolean {
          kept.push(payload); // kept as handed out, not copied
          return !pauseEveryFrame;
        },
        onParseError(error: WebSocketError): void {
          throw error;
        },
      };
      const parser = new FrameParser(handler, { maxPayload: 0, allowedRsv: 0 });
      const payloads = Array.from({ length: 200 }, (_, i) =>
        Buffer.from(bytes(1 + ((i * 37) % 300)).map((b) => b ^ i)),
      );
      const stream = Buffer.concat(payloads.map((payload) => binary(payload)));
      // Whole frames, frames cut across small chunks, and chunks of a few bytes, in turn.
      for (let at = 0, step = 0; at < stream.length; step++) {
        const size = [512, 7, 3, 1000, 1][step % 5];
        parser.push(stream.subarray(at, at + size));
        at += size;
        while (pauseEveryFrame && parser.isPaused) parser.resume();
      }
      expect(kept).toEqual(payloads);
    }
  });

  it('in the client role, unmasked server frames go through the states, and a masked one fails', () => {
    const client = new SansIo({ role: 'client' });
    expect(
      headerReads(() => client.receive(unmasked(Opcode.Binary, bytes(20)), unmasked(Opcode.Text, Buffer.from('hi')))),
    ).toBe(2);
    expect(client.messages()).toEqual([bytes(20), 'hi']);
    const [whole, trickled] = outcomes(unmasked(Opcode.Binary, bytes(20)), { role: 'client' });
    expect(whole).toEqual(trickled);
    const failing = new SansIo({ role: 'client' }).receive(binary(bytes(20)));
    expectFailure(failing, 'WS_ERR_MASKED_FRAME', 1002);
  });

  it('a frame cut across chunks is read by the states, the next whole one is not', () => {
    const bytes = Buffer.concat([text('first'), text('second')]);
    const io = new SansIo().receive(bytes.subarray(0, 5), bytes.subarray(5));
    expect(io.messages()).toEqual(['first', 'second']);
    expectNoFailure(io);
  });

  it('a handler that pauses stops the parser until resume(), the rest kept', () => {
    const seen: string[] = [];
    let answer = false;
    const handler: FrameHandler = {
      onFrame(opcode: number, _fin: boolean, _rsv: number, payload: Buffer): boolean {
        seen.push(`${opcode}:${payload.toString('latin1')}`);
        return answer;
      },
      onAsciiText(bytes: Buffer, start: number, end: number): boolean {
        seen.push(bytes.toString('latin1', start, end));
        return answer;
      },
      onParseError(error: WebSocketError): void {
        throw error;
      },
    };
    const parser = new FrameParser(handler, { maxPayload: 0, allowedRsv: 0, asciiText: true });
    parser.push(Buffer.concat([text('one'), binary('two'), text('three')]));
    expect([seen, parser.isPaused, parser.bufferedBytes]).toEqual([['one'], true, 2 * 6 + 3 + 5]);
    answer = true;
    parser.resume();
    expect([seen, parser.isPaused, parser.bufferedBytes]).toEqual([['one', '2:two', 'three'], false, 0]);
  });

  it('a binary frame whose handler pauses waits with the rest of the chunk kept', () => {
    const seen: string[] = [];
    let answer = false;
    const handler: FrameHandler = {
      onFrame(opcode: number, fin: boolean, rsv: number, payload: Buffer, reported: number): boolean {
        seen.push(`${opcode} ${fin} ${rsv} ${reported} ${payload.toString('latin1')}`);
        return answer;
      },
      onParseError(error: WebSocketError): void {
        throw error;
      },
    };
    // Without asciiText (an extension, or text as bytes), binary still takes the shortcut.
    const parser = new FrameParser(handler, { maxPayload: 0, allowedRsv: 0 });
    parser.push(Buffer.concat([binary('ab'), binary('cd')]));
    expect([seen, parser.isPaused, parser.bufferedBytes]).toEqual([['2 true 0 0 ab'], true, 8]);
    answer = true;
    parser.resume();
    expect([seen, parser.isPaused, parser.bufferedBytes]).toEqual([['2 true 0 0 ab', '2 true 0 0 cd'], false, 0]);
  });
});
