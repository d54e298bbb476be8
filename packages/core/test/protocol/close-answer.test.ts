/**
 * RFC 6455 §5.5.1: the answer to the peer's close frame. By default it echoes the peer's code
 * and reason (as ws, python-websockets and browsers do); the handler's `onPeerClose` runs before
 * it is written, and a `close(code, reason)` from there answers with that instead.
 */
import fc from 'fast-check';
import { ExtensionChain, Opcode, Rsv1 } from '@ws/core';
import { Deferred, tagCodec } from '../helpers/sans-io-codecs';
import { closeBody, cutAt, hex, masked, oneByteAtATime } from '../helpers/sans-io-frames';
import { SansIo, expectNoFailure, expectNothingSent } from '../helpers/sans-io-harness';

const closeFrame = (code?: number, reason = ''): Buffer =>
  masked(Opcode.Close, code === undefined ? [] : closeBody(code, reason));

/** The one close frame written, as its payload's hex. */
function answer(io: SansIo): string {
  const closes = io.sent().filter((f) => f.opcode === Opcode.Close);
  expect(closes).toHaveLength(1);
  return closes[0].payload.toString('hex');
}

describe('RFC 6455 §5.5.1: the echo carries the peer code and reason', () => {
  it.each([
    ['4000 "bye"', 4000, 'bye'],
    ['1000 with no reason', 1000, ''],
    ['1001 "going away"', 1001, 'going away'],
    ['3000 multi-byte UTF-8', 3000, 'au revoir 👋 é'],
    ['4999 with 123 bytes, the most that fits', 4999, 'r'.repeat(123)],
    ['1000 with 123 bytes of €', 1000, '€'.repeat(41)],
  ])('echoes %s', (_name, code, reason) => {
    const io = new SansIo().receive(closeFrame(code, reason));
    expect(answer(io)).toBe(closeBody(code, reason).toString('hex'));
    expect(io.events).toEqual([{ type: 'peerClose', code, reason }, { type: 'closeWritten' }]);
    expectNoFailure(io);
  });

  it('answers an empty close frame with an empty one (88 00)', () => {
    const io = new SansIo().receive(closeFrame());
    expect(io.sink.bytes()).toEqual(hex('88 00'));
  });

  it('writes 88 05 0f a0 62 79 65 for 4000 "bye", byte for byte', () => {
    const io = new SansIo().receive(closeFrame(4000, 'bye'));
    expect(io.sink.bytes()).toEqual(hex('88 05 0f a0 62 79 65'));
  });

  it('echoes the same bytes fed one byte at a time', () => {
    const reason = 'ß'.repeat(61) + 'x';
    const io = new SansIo().receive(...oneByteAtATime(closeFrame(4321, reason)));
    expect(answer(io)).toBe(closeBody(4321, reason).toString('hex'));
  });

  it('echoes the same bytes however the frame is cut (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3000, max: 4999 }),
        fc.string({ maxLength: 30 }).filter((r) => Buffer.byteLength(r) <= 123),
        fc.array(fc.nat({ max: 130 }), { maxLength: 6 }),
        (code, reason, cuts) => {
          const io = new SansIo().receive(...cutAt(closeFrame(code, reason), cuts));
          expect(answer(io)).toBe(closeBody(code, reason).toString('hex'));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('echoes after the messages still being encoded, with the reason', () => {
    const deferred = new Deferred();
    const io = new SansIo({
      extensions: new ExtensionChain([tagCodec('A', { deferred, rsv: Rsv1 })]),
      allowedRsv: Rsv1,
    });
    io.protocol.sendText('reply', true);
    io.receive(closeFrame(4000, 'bye'));
    expectNothingSent(io);
    deferred.releaseAll();
    const frames = io.takeSent();
    expect(frames.map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Close]);
    expect(frames[1].payload.toString('hex')).toBe(closeBody(4000, 'bye').toString('hex'));
  });

  it('does not answer at all when our close frame went out first, and still reports the reason', () => {
    const io = new SansIo();
    io.protocol.close(1000, 'done');
    io.receive(closeFrame(4000, 'ok then'));
    expect(answer(io)).toBe(closeBody(1000, 'done').toString('hex'));
    expect(io.events).toEqual([{ type: 'closeWritten' }, { type: 'peerClose', code: 4000, reason: 'ok then' }]);
  });
});

describe('RFC 6455 §5.5.1: the application answers with its own code', () => {
  it('writes the close() called from onPeerClose instead of the echo', () => {
    const io = new SansIo();
    io.handler.onPeerCloseHook = () => io.protocol.close(4001, 'mine');
    io.receive(closeFrame(4000, 'bye'));
    expect(answer(io)).toBe(closeBody(4001, 'mine').toString('hex'));
    expect(io.events).toEqual([{ type: 'peerClose', code: 4000, reason: 'bye' }, { type: 'closeWritten' }]);
  });

  it('answers with an empty close frame when close() is called without a code', () => {
    const io = new SansIo();
    io.handler.onPeerCloseHook = () => io.protocol.close();
    io.receive(closeFrame(4000, 'bye'));
    expect(io.sink.bytes()).toEqual(hex('88 00'));
  });

  it('writes its own answer after the messages still being encoded', () => {
    const deferred = new Deferred();
    const io = new SansIo({
      extensions: new ExtensionChain([tagCodec('A', { deferred, rsv: Rsv1 })]),
      allowedRsv: Rsv1,
    });
    io.handler.onPeerCloseHook = () => io.protocol.close(1001, 'later');
    io.protocol.sendText('reply', true);
    io.receive(closeFrame(1000));
    deferred.releaseAll();
    const frames = io.takeSent();
    expect(frames.map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Close]);
    expect(frames[1].payload.toString('hex')).toBe(closeBody(1001, 'later').toString('hex'));
  });

  it('ignores a close() once onPeerClose has returned: the echo is already written', () => {
    const io = new SansIo().receive(closeFrame(4000, 'bye'));
    io.protocol.close(4001, 'too late');
    expect(answer(io)).toBe(closeBody(4000, 'bye').toString('hex'));
  });

  it('still echoes when onPeerClose throws, and lets the error out', () => {
    const io = new SansIo();
    io.handler.onPeerCloseHook = () => {
      throw new Error('listener bug');
    };
    expect(() => io.receive(closeFrame(4000, 'bye'))).toThrow('listener bug');
    expect(answer(io)).toBe(closeBody(4000, 'bye').toString('hex'));
    expect(io.protocol.hasWrittenClose).toBe(true);
  });

  it('still echoes when the close() in onPeerClose is refused (RangeError)', () => {
    const io = new SansIo();
    io.handler.onPeerCloseHook = () => io.protocol.close(1005);
    expect(() => io.receive(closeFrame(4000, 'bye'))).toThrow(RangeError);
    expect(answer(io)).toBe(closeBody(4000, 'bye').toString('hex'));
  });

  it('does not answer twice when the hook calls close() after our close went out', () => {
    const io = new SansIo();
    io.protocol.close(1000);
    io.handler.onPeerCloseHook = () => io.protocol.close(4001, 'mine');
    io.receive(closeFrame(4000));
    expect(answer(io)).toBe(closeBody(1000).toString('hex'));
  });
});
