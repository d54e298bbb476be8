/**
 * RFC 6455 §5.7 "Examples", byte for byte: the parser reads the masked client forms, the writer
 * produces the unmasked server forms exactly.
 */
import { Opcode } from '@ws/core';
import { writeControlFrame, writeMessage, FrameCollector } from '../../src/protocol/frame-writer';
import { expectSameBytes } from '../helpers/bytes';
import { RFC_MASK, hex, masked, randomBytes, prng } from '../helpers/sans-io-frames';
import { SansIo, expectFrameSent, expectNoFailure } from '../helpers/sans-io-harness';

const HELLO = Buffer.from('Hello');

function written(fn: (sink: FrameCollector) => void): Buffer {
  const sink = new FrameCollector();
  fn(sink);
  return Buffer.concat(sink.chunks);
}

describe('RFC 6455 §5.7: the parser reads the examples', () => {
  it('decodes the masked text "Hello" (81 85 37 fa 21 3d 7f 9f 4d 51 58)', () => {
    const io = new SansIo().receive(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'));
    expect(io.messages()).toEqual(['Hello']);
    expectNoFailure(io);
  });

  it('builds that very frame with the masking helper', () => {
    expect(masked(Opcode.Text, 'Hello', { key: RFC_MASK })).toEqual(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'));
  });

  it('joins the fragmented text "Hel" + "lo"', () => {
    const io = new SansIo().receive(masked(Opcode.Text, 'Hel', { fin: false }), masked(Opcode.Continuation, 'lo'));
    expect(io.messages()).toEqual(['Hello']);
  });

  it('joins "Hel" + "lo" when both frames arrive in one chunk', () => {
    const io = new SansIo().receive(
      Buffer.concat([masked(Opcode.Text, 'Hel', { fin: false }), masked(Opcode.Continuation, 'lo')]),
    );
    expect(io.messages()).toEqual(['Hello']);
  });

  it('answers the masked ping "Hello" (89 85 37 fa 21 3d …) with the unmasked pong 8a 05 "Hello"', () => {
    const io = new SansIo().receive(hex('89 85 37 fa 21 3d 7f 9f 4d 51 58'));
    expect(io.events).toEqual([{ type: 'ping', payload: HELLO }]);
    expect(io.sink.bytes()).toEqual(hex('8a 05 48 65 6c 6c 6f'));
  });

  it('reads the masked pong "Hello" (8a 85 37 fa 21 3d 7f 9f 4d 51 58)', () => {
    const io = new SansIo().receive(hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'));
    expect(io.events).toEqual([{ type: 'pong', payload: HELLO }]);
    expect(io.sink.bytes().length).toBe(0);
  });

  it('decodes 256 bytes of binary with a 16-bit length (82 fe 01 00 + mask)', () => {
    const payload = randomBytes(256, prng(256));
    const frame = masked(Opcode.Binary, payload, { key: hex('01 02 03 04') });
    expect(frame.subarray(0, 8)).toEqual(hex('82 fe 01 00 01 02 03 04'));
    const io = new SansIo().receive(frame);
    expectSameBytes(io.messages()[0], payload);
  });

  it('decodes 64 KiB of binary with a 64-bit length (82 ff 00 00 00 00 00 01 00 00 + mask)', () => {
    const payload = randomBytes(65536, prng(65536));
    const frame = masked(Opcode.Binary, payload, { key: hex('a1 b2 c3 d4') });
    expect(frame.subarray(0, 14)).toEqual(hex('82 ff 00 00 00 00 00 01 00 00 a1 b2 c3 d4'));
    const io = new SansIo().receive(frame);
    expectSameBytes(io.messages()[0], payload);
  });
});

describe('RFC 6455 §5.7: the writer produces the examples', () => {
  it('writes the unmasked text "Hello" as 81 05 48 65 6c 6c 6f', () => {
    expect(written((s) => writeMessage(s, Opcode.Text, HELLO, 0, 1024))).toEqual(hex('81 05 48 65 6c 6c 6f'));
  });

  it('sends "Hello" through Protocol.sendText as 81 05 48 65 6c 6c 6f', () => {
    const io = new SansIo();
    io.protocol.sendText('Hello', false);
    expect(io.sink.bytes()).toEqual(hex('81 05 48 65 6c 6c 6f'));
  });

  it('splits "Hello" into 01 03 "Hel" and 80 02 "lo" with maxFrameSize 3', () => {
    expect(written((s) => writeMessage(s, Opcode.Text, HELLO, 0, 3))).toEqual(hex('01 03 48 65 6c 80 02 6c 6f'));
  });

  it('writes the unmasked ping "Hello" as 89 05 48 65 6c 6c 6f', () => {
    expect(written((s) => writeControlFrame(s, Opcode.Ping, HELLO))).toEqual(hex('89 05 48 65 6c 6c 6f'));
  });

  it('sends a ping "Hello" through Protocol.ping', () => {
    const io = new SansIo();
    io.protocol.ping(HELLO);
    expectFrameSent(io, Opcode.Ping, 'Hello');
    expect(io.sink.bytes()).toEqual(hex('89 05 48 65 6c 6c 6f'));
  });

  it('writes 256 bytes of binary as 82 7e 01 00 + payload', () => {
    const payload = randomBytes(256, prng(1));
    expectSameBytes(
      written((s) => writeMessage(s, Opcode.Binary, payload, 0, 1 << 20)),
      Buffer.concat([hex('82 7e 01 00'), payload]),
    );
  });

  it('writes 64 KiB of binary as 82 7f 00 00 00 00 00 01 00 00 + payload', () => {
    const payload = randomBytes(65536, prng(2));
    expectSameBytes(
      written((s) => writeMessage(s, Opcode.Binary, payload, 0, 1 << 20)),
      Buffer.concat([hex('82 7f 00 00 00 00 00 01 00 00'), payload]),
    );
  });
});
