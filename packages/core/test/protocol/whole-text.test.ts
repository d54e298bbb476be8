/**
 * Small one-frame text messages that sit whole in one chunk take a shortcut past the header
 * states (frame-parser.ts `takeWholeText`). Whatever shortcut a frame takes, the outcome must be
 * the one the states give: fed a byte at a time, no frame is ever whole in a chunk, so that run
 * is the reference. Frames that break a rule must reach the states, which name the error. A
 * listener that throws out of such a frame is messages.test.ts's case (its frames qualify).
 */
import { FrameParser, Opcode, type FrameHandler, type WebSocketError } from '@ws/core';
import { SansIo, expectFailure, expectNoFailure } from '../helpers/sans-io-harness';
import { hex, masked, oneByteAtATime } from '../helpers/sans-io-frames';

const KEY = hex('37 fa 21 3d');
const ascii = (length: number): string =>
  'The quick brown fox, 0123456789. '.repeat(Math.ceil(length / 33)).slice(0, length);
const text = (payload: string | Buffer, options: { fin?: boolean; rsv?: number } = {}): Buffer =>
  masked(Opcode.Text, payload, { key: KEY, ...options });

/** A text frame of `length` bytes (under 126) with a 16-bit length field: not the shortest encoding. */
function nonMinimal(length: number): Buffer {
  const frame = Buffer.alloc(4 + 4 + length);
  frame[0] = 0x81;
  frame[1] = 0x80 | 126;
  frame.writeUInt16BE(length, 2);
  KEY.copy(frame, 4);
  for (let i = 0; i < length; i++) frame[8 + i] = 0x61 ^ KEY[i & 3];
  return frame;
}

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

describe('a whole small text frame in one chunk', () => {
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
    ['binary, left to the states', [masked(Opcode.Binary, ascii(64), { key: KEY }), text('t')]],
  ])('%s: as the states would', (_name, frames) => {
    const [whole, trickled] = outcomes(Buffer.concat(frames));
    expect(whole).toEqual(trickled);
    expect((whole as { events: { type: string }[] }).events.some((e) => e.type === 'message')).toBe(true);
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
    ['no mask bit', Buffer.concat([text('ok'), unmaskedBit(text('abcdefgh'))]), {}, 'WS_ERR_UNMASKED_FRAME', 1002],
    ['RSV1 not negotiated', Buffer.concat([text('ok'), text('abc', { rsv: 4 })]), {}, 'WS_ERR_UNEXPECTED_RSV', 1002],
    ['a 16-bit length under 126', Buffer.concat([text('ok'), nonMinimal(100)]), {}, 'WS_ERR_INVALID_LENGTH', 1002],
    [
      'over maxPayload',
      Buffer.concat([text('ok'), text(ascii(101))]),
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
    const readHeader = jest.spyOn(FrameParser.prototype as unknown as { readHeader(): boolean }, 'readHeader');
    try {
      const io = new SansIo().receive(
        Buffer.concat([text('a'), text(ascii(125)), text(ascii(126)), text(ascii(8191))]),
      );
      expect(io.messages()).toEqual(['a', ascii(125), ascii(126), ascii(8191)]);
      expect(readHeader).not.toHaveBeenCalled();
      io.receive(text(ascii(8192)), text(''));
      expect(readHeader).toHaveBeenCalledTimes(2);
      expectNoFailure(io);
    } finally {
      readHeader.mockRestore();
    }
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
      onFrame: () => true,
      onAsciiText(bytes: Buffer, start: number, end: number): boolean {
        seen.push(bytes.toString('latin1', start, end));
        return answer;
      },
      onParseError(error: WebSocketError): void {
        throw error;
      },
    };
    const parser = new FrameParser(handler, { maxPayload: 0, allowedRsv: 0, asciiText: true });
    parser.push(Buffer.concat([text('one'), text('two'), text('three')]));
    expect([seen, parser.isPaused, parser.bufferedBytes]).toEqual([['one'], true, 2 * 6 + 3 + 5]);
    answer = true;
    parser.resume();
    expect([seen, parser.isPaused, parser.bufferedBytes]).toEqual([['one', 'two', 'three'], false, 0]);
  });
});
