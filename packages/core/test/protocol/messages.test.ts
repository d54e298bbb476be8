/**
 * RFC 6455 §6: sending and receiving data through the sans-I/O Protocol with no extension:
 * messages in, frames out, write callbacks, and a listener that throws.
 */
import { Opcode } from '@ws/core';
import { hex, masked, serverFrames } from '../helpers/sans-io-frames';
import { SansIo, expectFailure, expectFrameSent, expectNoFailure } from '../helpers/sans-io-harness';

describe('RFC 6455 §6.2: receiving data', () => {
  it('delivers text as a string', () => {
    const io = new SansIo().receive(masked(Opcode.Text, 'héllo'));
    expect(io.events).toEqual([{ type: 'message', data: 'héllo', isBinary: false }]);
  });

  it('delivers binary as a Buffer', () => {
    const io = new SansIo().receive(masked(Opcode.Binary, [0, 1, 255]));
    expect(io.events).toEqual([{ type: 'message', data: Buffer.from([0, 1, 255]), isBinary: true }]);
  });

  it('delivers an empty text message', () => {
    const io = new SansIo().receive(masked(Opcode.Text, ''));
    expect(io.messages()).toEqual(['']);
  });

  it('delivers several messages from one chunk, in order', () => {
    const io = new SansIo().receive(
      Buffer.concat([masked(Opcode.Text, 'a'), masked(Opcode.Binary, 'b'), masked(Opcode.Text, 'c')]),
    );
    expect(io.messages()).toEqual(['a', Buffer.from('b'), 'c']);
  });

  it('waits for the rest of a frame before delivering it', () => {
    const frame = masked(Opcode.Text, 'complete');
    const io = new SansIo().receive(frame.subarray(0, 9));
    expect(io.events).toEqual([]);
    expect(io.protocol.bufferedInput).toBe(3); // header and mask are read; 3 payload bytes wait
    io.receive(frame.subarray(9));
    expect(io.messages()).toEqual(['complete']);
  });
});

describe('text decoding: ASCII as Latin-1, the rest as UTF-8', () => {
  // ASCII is decoded by a faster route; these pin that every shape of message takes the right one.
  const cases: [string, string][] = [
    ['ASCII', 'plain ASCII text'],
    ['Latin-1 range, which must not be decoded as Latin-1', '\u00e9\u00ff\u0080'],
    ['ASCII then one 4-byte code point', 'x'.repeat(200) + '\u{1F600}'],
    // From 1 KiB a frame in one chunk is unmasked where it lies natively, then checked for ASCII.
    ['1 KiB of ASCII', 'k'.repeat(1024)],
    ['4 KiB of ASCII but its last character', 'm'.repeat(4095) + '\u00e9'],
    ['8 KiB less one byte of ASCII (the last size unmasked where it lies)', 'n'.repeat(8191)],
    ['64 KiB of ASCII', 'y'.repeat(65536)],
  ];

  it.each(cases)('delivers %s whole in one frame', (_name, text) => {
    expect(new SansIo().receive(masked(Opcode.Text, text)).messages()).toEqual([text]);
  });

  it('delivers a one-frame message with its one non-ASCII character at every place of 300 bytes', () => {
    // Unmasking tells ASCII from the rest as it goes: byte by byte at the ends, by words between.
    const io = new SansIo();
    const sent: string[] = [];
    for (let at = 0; at < 299; at++) sent.push('a'.repeat(at) + '\u00e9' + 'b'.repeat(298 - at));
    io.receive(Buffer.concat(sent.map((text) => masked(Opcode.Text, text))));
    expect(io.messages()).toEqual(sent);
  });

  it.each(cases)('delivers %s fragmented', (_name, text) => {
    const bytes = Buffer.from(text);
    const cut = Math.floor(bytes.length / 2);
    const io = new SansIo().receive(
      Buffer.concat([
        masked(Opcode.Text, bytes.subarray(0, cut), { fin: false }),
        masked(Opcode.Continuation, bytes.subarray(cut)),
      ]),
    );
    expect(io.messages()).toEqual([text]);
  });

  it.each(cases)('delivers %s arriving a few bytes at a time', (_name, text) => {
    const frame = masked(Opcode.Text, text);
    const io = new SansIo();
    for (let at = 0; at < frame.length; at += 4099) io.receive(frame.subarray(at, at + 4099));
    expect(io.messages()).toEqual([text]);
  });

  it('fails a 2 KiB frame that is not ASCII and not UTF-8, unmasked where it lies, with 1007', () => {
    const bytes = Buffer.alloc(2048, 0x61);
    bytes[1500] = 0xff;
    const io = new SansIo().receive(Buffer.concat([masked(Opcode.Text, bytes), masked(Opcode.Text, 'after')]));
    expect(io.messages()).toEqual([]);
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('decodes each message on its own: an ASCII one after a non-ASCII one, and back', () => {
    const io = new SansIo().receive(
      Buffer.concat([masked(Opcode.Text, '\u00e9'), masked(Opcode.Text, 'e'), masked(Opcode.Text, '\u00e9')]),
    );
    expect(io.messages()).toEqual(['\u00e9', 'e', '\u00e9']);
  });
});

describe('a listener that throws', () => {
  const twoMessages = (): Buffer => Buffer.concat([masked(Opcode.Text, 'first'), masked(Opcode.Text, 'second')]);

  it('lets the error out of receive()', () => {
    const io = new SansIo();
    io.handler.onMessageHook = () => {
      throw new Error('listener bug');
    };
    expect(() => io.receive(masked(Opcode.Text, 'x'))).toThrow('listener bug');
    expectNoFailure(io);
  });

  it('leaves the protocol sound: the next chunk is parsed normally', () => {
    const io = new SansIo();
    io.handler.onMessageHook = (data) => {
      if (data === 'first') throw new Error('listener bug');
    };
    expect(() => io.receive(masked(Opcode.Text, 'first'))).toThrow('listener bug');
    io.receive(masked(Opcode.Text, 'second'));
    expect(io.messages()).toEqual(['first', 'second']);
    expectNoFailure(io);
  });

  it('parses the rest of the chunk on resumeInput()', () => {
    const io = new SansIo();
    io.handler.onMessageHook = (data) => {
      if (data === 'first') throw new Error('listener bug');
    };
    expect(() => io.receive(twoMessages())).toThrow('listener bug');
    // resumeInput(): "Parses what is still buffered (after a listener threw out of receive)".
    io.protocol.resumeInput();
    expect(io.messages()).toEqual(['first', 'second']);
    expect(io.protocol.bufferedInput).toBe(0);
  });
});

describe('RFC 6455 §6.1: sending data', () => {
  it('sends text in one frame', () => {
    const io = new SansIo();
    io.protocol.sendText('héllo', false);
    expectFrameSent(io, Opcode.Text, 'héllo');
  });

  it('sends binary in one frame', () => {
    const io = new SansIo();
    io.protocol.send(Buffer.from([1, 2, 3]), true, false);
    expectFrameSent(io, Opcode.Binary, [1, 2, 3]);
  });

  it('sends a Buffer as text when asked', () => {
    const io = new SansIo();
    io.protocol.send(Buffer.from('txt'), false, false);
    expectFrameSent(io, Opcode.Text, 'txt');
  });

  it('sends long text (past the short-text path) in one frame', () => {
    const io = new SansIo();
    const text = 'é'.repeat(10_000);
    io.protocol.sendText(text, false);
    const [frame] = io.sent();
    expect(frame.opcode).toBe(Opcode.Text);
    expect(frame.payload.toString('utf8')).toBe(text);
  });

  it('splits text at maxFrameSize: first frame text, then continuations', () => {
    const io = new SansIo({ maxFrameSize: 4 });
    io.protocol.sendText('abcdefghij', false);
    expect(io.sent().map((f) => [f.opcode, f.fin, f.payload.toString()])).toEqual([
      [Opcode.Text, false, 'abcd'],
      [Opcode.Continuation, false, 'efgh'],
      [Opcode.Continuation, true, 'ij'],
    ]);
  });

  it('hands the write callback over with the last chunk only', () => {
    const io = new SansIo({ maxFrameSize: 2 });
    const callback = (): void => {};
    io.protocol.send(Buffer.from('12345'), true, false, callback);
    expect(io.sink.callbacks).toEqual([undefined, undefined, callback]);
  });

  it('writes pre-built frames as they are, corked, with the callback on the last', () => {
    const io = new SansIo();
    const callback = (): void => {};
    const frames = [hex('01 01 61'), hex('80 01 62')];
    io.protocol.sendFrames(frames, callback);
    expect(io.sink.bytes()).toEqual(hex('01 01 61 80 01 62'));
    expect(io.sink.calls).toEqual(['cork', 'push', 'push', 'uncork']);
    expect(io.sink.callbacks).toEqual([undefined, callback]);
    expect(serverFrames(io.sink.bytes()).map((f) => f.payload.toString())).toEqual(['a', 'b']);
  });

  it('accepts raw frames only without extensions', () => {
    expect(new SansIo().protocol.acceptsRawFrames).toBe(true);
  });

  it('has nothing pending without extensions', () => {
    const io = new SansIo();
    io.protocol.send(Buffer.alloc(100), true, false);
    expect(io.protocol.pendingBytes).toBe(0);
  });
});
