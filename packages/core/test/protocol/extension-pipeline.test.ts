/**
 * RFC 6455 §9 through the Protocol: negotiated RSV bits reach the codecs, messages go through
 * the chain in wire order even when codecs answer later, the close frame waits behind messages
 * still being encoded, and codec failures fail the connection.
 */
import { ExtensionChain, Opcode, Rsv1, WebSocketError, type ExtensionCodec } from '@ws/core';
import {
  Deferred,
  failingCodec,
  tagCodec,
  throwingCodec,
  xorBytes,
  xorCodec,
  type CallRecord,
} from '../helpers/sans-io-codecs';
import { closeBody, hex, masked } from '../helpers/sans-io-frames';
import { SansIo, expectCloseSent, expectFailure, expectNoFailure, expectNothingSent } from '../helpers/sans-io-harness';

const KEY = 0x5a;

function withCodecs(codecs: ExtensionCodec[], allowedRsv = Rsv1): SansIo {
  return new SansIo({ extensions: new ExtensionChain(codecs), allowedRsv });
}

/** A client frame whose payload the xor extension transformed (RSV1 set). */
const xorFrame = (opcode: number, text: string, fin = true): Buffer =>
  masked(opcode, xorBytes(Buffer.from(text), KEY), { fin, rsv: opcode === Opcode.Continuation ? 0 : Rsv1 });

describe('RFC 6455 §9: inbound through the chain', () => {
  it('decodes a message that bears the claimed RSV bit', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1 })]).receive(xorFrame(Opcode.Text, 'secret'));
    expect(io.messages()).toEqual(['secret']);
  });

  it('passes a message without the bit through unchanged', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1 })]).receive(masked(Opcode.Binary, 'plain'));
    expect(io.messages()).toEqual([Buffer.from('plain')]);
  });

  it("gives every frame of a message the first frame's RSV bits, and fin on the last", () => {
    const log: CallRecord[] = [];
    const io = withCodecs([tagCodec('A', { log })]).receive(
      masked(Opcode.Text, 'a', { fin: false, rsv: Rsv1 }),
      masked(Opcode.Continuation, 'b'),
    );
    expect(log.map((c) => [c.payload, c.rsv, c.fin])).toEqual([
      ['a', Rsv1, false],
      ['b', Rsv1, true],
    ]);
    expect(io.messages()).toEqual(['aAbA']);
  });

  it('decodes a fragmented transformed message', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1 })]).receive(
      xorFrame(Opcode.Text, 'frag', false),
      xorFrame(Opcode.Continuation, 'mented'),
    );
    expect(io.messages()).toEqual(['fragmented']);
  });

  it('checks UTF-8 after decoding, not before', () => {
    // 'é' XOR 0x5a is not UTF-8 on the wire; decoded it is.
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1 })]).receive(xorFrame(Opcode.Text, 'é'));
    expect(io.messages()).toEqual(['é']);
  });

  it('checks maxPayload against the decoded size (1009)', () => {
    // 5 bytes on the wire fit maxPayload 5; the codec makes them 6.
    const io = new SansIo({ extensions: new ExtensionChain([tagCodec('A')]), allowedRsv: Rsv1, maxPayload: 5 });
    io.receive(masked(Opcode.Binary, '12345', { rsv: Rsv1 }));
    expectFailure(io, 'WS_ERR_MESSAGE_TOO_BIG', 1009);
  });

  it('does not swallow a listener that throws behind a synchronous codec', () => {
    // Without extensions the listener's error leaves receive() (see messages.test.ts); the
    // chain must not catch it as if the codec had failed. STYLE.md: "User code that throws
    // is not swallowed."
    const io = withCodecs([tagCodec('A')]);
    io.handler.onMessageHook = () => {
      throw new Error('listener bug');
    };
    expect(() => io.receive(masked(Opcode.Text, 'one'))).toThrow('listener bug');
    expectNoFailure(io);
  });

  it('fails with 1007 when the decoded text is not UTF-8', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1 })]).receive(
      masked(Opcode.Text, xorBytes(hex('c0 80'), KEY), { rsv: Rsv1 }),
    );
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });
});

describe('RFC 6455 §9: asynchronous decoding keeps order', () => {
  it('pauses input while a frame is being decoded', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred })]).receive(
      Buffer.concat([masked(Opcode.Text, 'one'), masked(Opcode.Text, 'two')]),
    );
    expect(io.messages()).toEqual([]);
    expect(io.protocol.isInputPaused).toBe(true);
    expect(io.protocol.bufferedInput).toBe(masked(Opcode.Text, 'two').length);
  });

  it('delivers the messages in order once decoded, and reports input resumed', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred })]).receive(
      Buffer.concat([masked(Opcode.Text, 'one'), masked(Opcode.Text, 'two')]),
    );
    io.receive(masked(Opcode.Text, 'three'));
    deferred.releaseAll();
    expect(io.messages()).toEqual(['oneA', 'twoA', 'threeA']);
    expect(io.protocol.isInputPaused).toBe(false);
    expect(io.events[io.events.length - 1]).toEqual({ type: 'inputResumed' });
  });

  it('answers a ping that waited behind a decoding frame after it', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred })]).receive(
      Buffer.concat([masked(Opcode.Text, 'x'), masked(Opcode.Ping, 'p')]),
    );
    expectNothingSent(io);
    deferred.releaseAll();
    expect(io.events.filter((e) => e.type !== 'inputResumed').map((e) => e.type)).toEqual(['message', 'ping']);
    expect(io.sent().map((f) => f.opcode)).toEqual([Opcode.Pong]);
  });

  it('drops a decode that finishes after the connection failed', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred })]).receive(masked(Opcode.Text, 'late'));
    io.protocol.fail(new WebSocketError('WS_ERR_EXTENSION_FAILED', 'gave up'));
    deferred.releaseAll();
    expect(io.messages()).toEqual([]);
    expectFailure(io, 'WS_ERR_EXTENSION_FAILED', 1011);
  });
});

describe('RFC 6455 §9: outbound through the chain', () => {
  it('encodes a message and sets the RSV bit on its first frame', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1 })]);
    io.protocol.send(Buffer.from('hidden'), false, true);
    const [frame] = io.sent();
    expect([frame.opcode, frame.rsv, frame.fin]).toEqual([Opcode.Text, Rsv1, true]);
    expect(xorBytes(frame.payload, KEY).toString()).toBe('hidden');
  });

  it('sends a message untouched with compress: false', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1 })]);
    io.protocol.send(Buffer.from('clear'), true, false);
    const [frame] = io.sent();
    expect([frame.opcode, frame.rsv, frame.payload.toString()]).toEqual([Opcode.Binary, 0, 'clear']);
  });

  it('puts RSV on the first frame only when the encoded message is split', () => {
    const io = new SansIo({
      extensions: new ExtensionChain([xorCodec(KEY, { rsv: Rsv1 })]),
      allowedRsv: Rsv1,
      maxFrameSize: 2,
    });
    io.protocol.sendText('abcde', true);
    expect(io.sent().map((f) => [f.opcode, f.rsv, f.fin])).toEqual([
      [Opcode.Text, Rsv1, false],
      [Opcode.Continuation, 0, false],
      [Opcode.Continuation, 0, true],
    ]);
  });

  it('does not accept pre-built frames, which would skip the extensions', () => {
    expect(withCodecs([tagCodec('A')]).protocol.acceptsRawFrames).toBe(false);
  });

  it('writes asynchronously encoded messages in the order they were sent', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred, rsv: Rsv1 })]);
    for (const text of ['1', '2', '3']) io.protocol.sendText(text, true);
    expect(io.protocol.pendingBytes).toBe(3);
    expectNothingSent(io);
    deferred.releaseOne();
    expect(io.sent().map((f) => f.payload.toString())).toEqual(['1A']);
    deferred.releaseAll();
    expect(io.sent().map((f) => f.payload.toString())).toEqual(['1A', '2A', '3A']);
    expect(io.protocol.pendingBytes).toBe(0);
  });

  it('calls the write callback with the error when encoding fails, and fails with 1011', () => {
    const io = withCodecs([failingCodec(null, new Error('no room'))]);
    const callback = jest.fn();
    io.protocol.send(Buffer.from('x'), true, true, callback);
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ message: 'no room' }));
    expectFailure(io, 'WS_ERR_EXTENSION_FAILED', 1011);
  });

  it('fails with 1011 when a codec throws while encoding', () => {
    const io = withCodecs([throwingCodec()]);
    io.protocol.send(Buffer.from('x'), true, true);
    expectFailure(io, 'WS_ERR_EXTENSION_FAILED', 1011);
  });
});

describe('RFC 6455 §7.1.2: closing with messages still being encoded', () => {
  it('writes the close frame after the message that was queued first', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred, rsv: Rsv1 })]);
    io.protocol.sendText('last words', true);
    io.protocol.close(1000, 'bye');
    expectNothingSent(io);
    expect(io.protocol.hasWrittenClose).toBe(false);
    deferred.releaseAll();
    const frames = io.sent();
    expect(frames.map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Close]);
    expect(frames[0].payload.toString()).toBe('last wordsA');
    expect(io.protocol.hasWrittenClose).toBe(true);
    // The queue, now empty, says so (the I/O layer owes a drain then).
    expect(io.events).toEqual([{ type: 'closeWritten' }, { type: 'outputFlushed' }]);
  });

  it('echoes a peer close after the messages queued before it', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred, rsv: Rsv1 })]);
    io.protocol.sendText('reply', true);
    io.receive(masked(Opcode.Close, closeBody(1001)));
    expectNothingSent(io);
    deferred.releaseAll();
    expect(io.takeSent().map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Close]);
  });

  it('writes one close frame, with the failure code, when the peer fails the connection meanwhile', () => {
    const deferred = new Deferred();
    const io = withCodecs([tagCodec('A', { deferred, rsv: Rsv1 })]);
    io.protocol.sendText('pending', true);
    io.protocol.close(1000);
    io.receive(hex('81 00')); // unmasked: _Fail the WebSocket Connection_ (RFC 6455 §7.1.7)
    deferred.releaseAll();
    // RFC 6455 §7.1.7: our close frame was not sent yet, so one goes out with the failure's code.
    expectFailure(io, 'WS_ERR_UNMASKED_FRAME', 1002);
    expect(io.protocol.hasWrittenClose).toBe(true);
  });
});

describe('RFC 6455 §9: codec failures on input', () => {
  it("fails with the codec's own close code (1009 for a decoded message too big)", () => {
    const io = withCodecs([failingCodec(new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', 'inflated too far'))]);
    io.receive(masked(Opcode.Binary, 'zip', { rsv: Rsv1 }), masked(Opcode.Text, 'after'));
    expectFailure(io, 'WS_ERR_MESSAGE_TOO_BIG', 1009);
    expect(io.messages()).toEqual([]);
  });

  it('fails with 1011 when a codec throws while decoding', () => {
    const io = withCodecs([throwingCodec('boom')]).receive(masked(Opcode.Binary, 'x'));
    expectFailure(io, 'WS_ERR_EXTENSION_FAILED', 1011);
    expect(io.failures()[0].message).toContain('boom');
  });

  it('fails with the error of an asynchronous decode, discarding what waited', () => {
    const deferred = new Deferred();
    const io = withCodecs([
      failingCodec(new WebSocketError('WS_ERR_INVALID_COMPRESSED_DATA', 'bad data'), null, deferred),
    ]);
    io.receive(masked(Opcode.Binary, 'x', { rsv: Rsv1 }), masked(Opcode.Text, 'queued'));
    expectNoFailure(io);
    deferred.releaseAll();
    expectFailure(io, 'WS_ERR_INVALID_COMPRESSED_DATA', 1007);
    expect(io.messages()).toEqual([]);
    expect(io.protocol.bufferedInput).toBe(0);
  });

  it('still refuses RSV on a continuation when an extension claimed it', () => {
    const io = withCodecs([tagCodec('A')]).receive(
      masked(Opcode.Text, 'a', { fin: false, rsv: Rsv1 }),
      masked(Opcode.Continuation, 'b', { rsv: Rsv1 }),
    );
    expectFailure(io, 'WS_ERR_UNEXPECTED_RSV', 1002);
  });
});

describe('Protocol.close with an extension and nothing queued', () => {
  it('writes the close frame at once', () => {
    const io = withCodecs([tagCodec('A')]);
    io.protocol.close(1001);
    expectCloseSent(io, 1001);
  });
});
