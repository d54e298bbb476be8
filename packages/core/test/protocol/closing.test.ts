/**
 * RFC 6455 §5.5.1 and §7: the closing handshake. A received close frame is echoed (code and
 * reason; close-answer.test.ts has the application's own answer) and ends input; Protocol.close() validates what it is asked to send; _Fail the WebSocket Connection_
 * writes one close frame at most.
 */
import { CloseCode, Opcode, WebSocketError } from '@ws/core';
import { closeBody, hex, masked } from '../helpers/sans-io-frames';
import { SansIo, expectCloseSent, expectFailure, expectNoFailure } from '../helpers/sans-io-harness';

const closeFrame = (code?: number, reason: string | number[] = []): Buffer =>
  masked(Opcode.Close, code === undefined ? [] : closeBody(code, reason));

describe('RFC 6455 §5.5.1: receiving a close frame', () => {
  it('reports 1005 for an empty close and echoes an empty close (88 00)', () => {
    const io = new SansIo().receive(closeFrame());
    expect(io.events).toEqual([{ type: 'peerClose', code: 1005, reason: '' }, { type: 'closeWritten' }]);
    expect(io.sink.bytes()).toEqual(hex('88 00'));
  });

  it('echoes 1000 as 88 02 03 e8', () => {
    const io = new SansIo().receive(closeFrame(1000));
    expect(io.sink.bytes()).toEqual(hex('88 02 03 e8'));
  });

  it('echoes 1000 "bye" as 88 05 03 e8 62 79 65', () => {
    const io = new SansIo().receive(closeFrame(1000, 'bye'));
    expect(io.sink.bytes()).toEqual(hex('88 05 03 e8 62 79 65'));
  });

  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])(
    'accepts code %i, reports it and echoes it',
    (code) => {
      const io = new SansIo().receive(closeFrame(code));
      expect(io.events).toContainEqual({ type: 'peerClose', code, reason: '' });
      expectCloseSent(io, code);
      expectNoFailure(io);
    },
  );

  it.each([
    ['ASCII', 'going away'],
    ['multi-byte UTF-8', 'au revoir 👋 é'],
    ['123 bytes, the most that fits', 'r'.repeat(123)],
  ])('reports a %s reason', (_name, reason) => {
    const io = new SansIo().receive(closeFrame(1001, reason));
    expect(io.events).toContainEqual({ type: 'peerClose', code: 1001, reason });
  });

  it('ignores everything after the close frame, in the same chunk', () => {
    const io = new SansIo().receive(
      Buffer.concat([closeFrame(1000), masked(Opcode.Text, 'late'), masked(Opcode.Ping, 'p'), hex('81 00')]),
    );
    expect(io.events.map((e) => e.type)).toEqual(['peerClose', 'closeWritten']);
    expect(io.sent()).toHaveLength(1);
  });

  it('ignores every later chunk, even invalid bytes', () => {
    const io = new SansIo().receive(closeFrame(1000));
    const before = io.outcome();
    io.receive(masked(Opcode.Text, 'late'), hex('ff ff ff ff'), closeFrame(1002));
    expect(io.outcome()).toEqual(before);
    expect(io.protocol.bufferedInput).toBe(0);
  });

  it('marks the protocol as closing with the close received and written', () => {
    const { protocol } = new SansIo().receive(closeFrame(1000));
    expect([protocol.isClosing, protocol.hasReceivedClose, protocol.hasWrittenClose]).toEqual([true, true, true]);
  });

  it('does not echo when our close frame went out first', () => {
    const io = new SansIo();
    io.protocol.close(1000, 'done');
    io.receive(closeFrame(1000));
    expect(io.sent().filter((f) => f.opcode === Opcode.Close)).toHaveLength(1);
    expect(io.events).toEqual([{ type: 'closeWritten' }, { type: 'peerClose', code: 1000, reason: '' }]);
  });

  it('still delivers messages that arrive after our close, until the peer closes (§7.1.2)', () => {
    const io = new SansIo();
    io.protocol.close(1000);
    io.receive(masked(Opcode.Text, 'in flight'), closeFrame(1000));
    expect(io.messages()).toEqual(['in flight']);
  });
});

describe('RFC 6455 §7.1.2: Protocol.close()', () => {
  it.each([
    ['no code', [] as unknown[], hex('88 00')],
    ['1000', [1000], hex('88 02 03 e8')],
    ['4000 "bye"', [4000, 'bye'], hex('88 05 0f a0 62 79 65')],
    ['3000 "é"', [3000, 'é'], hex('88 04 0b b8 c3 a9')],
    ['1001 ""', [1001, ''], hex('88 02 03 e9')],
  ])('writes the close frame for %s', (_name, args, bytes) => {
    const io = new SansIo();
    (io.protocol.close as (...a: unknown[]) => void)(...args);
    expect(io.sink.bytes()).toEqual(bytes);
  });

  it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535, -1, 1000.5, NaN, Infinity])(
    'throws RangeError for code %p and writes nothing',
    (code) => {
      const io = new SansIo();
      expect(() => io.protocol.close(code)).toThrow(RangeError);
      expect(io.sink.chunks).toEqual([]);
      expect(io.protocol.isClosing).toBe(false);
    },
  );

  it.each([
    ['a reason without a code', undefined, 'why'],
    ['a reason that is not a string', 1000, 42 as unknown as string],
  ])('throws TypeError for %s', (_name, code, reason) => {
    const io = new SansIo();
    expect(() => io.protocol.close(code, reason)).toThrow(TypeError);
    expect(io.sink.chunks).toEqual([]);
  });

  it.each([
    ['124 ASCII bytes', 'a'.repeat(124)],
    ['124 bytes of é', 'é'.repeat(62)],
    ['125 bytes of mixed text', '€'.repeat(41) + 'ab'],
  ])('throws RangeError for a reason of %s', (_name, reason) => {
    const io = new SansIo();
    expect(() => io.protocol.close(1000, reason)).toThrow(RangeError);
    expect(io.sink.chunks).toEqual([]);
  });

  it.each([
    ['123 ASCII bytes', 'a'.repeat(123)],
    ['123 bytes of €', '€'.repeat(41)],
  ])('accepts a reason of %s', (_name, reason) => {
    const io = new SansIo();
    io.protocol.close(1000, reason);
    expectCloseSent(io, 1000, reason);
    expect(io.sent()[0].payload.length).toBe(125);
  });

  it('writes one close frame however often it is called', () => {
    const io = new SansIo();
    io.protocol.close(1000);
    io.protocol.close(1001);
    io.protocol.close();
    expect(io.sink.bytes()).toEqual(hex('88 02 03 e8'));
    expect(io.events).toEqual([{ type: 'closeWritten' }]);
  });

  it('writes nothing after the peer closed and we echoed', () => {
    const io = new SansIo().receive(closeFrame(1000));
    io.protocol.close(1001);
    expect(io.sent()).toHaveLength(1);
  });
});

describe('RFC 6455 §7.1.7: failing the connection', () => {
  it('writes nothing more when our close frame is already out', () => {
    const io = new SansIo();
    io.protocol.close(1000);
    io.receive(hex('81 00'));
    expect(io.sent().map((f) => f.payload.readUInt16BE(0))).toEqual([1000]);
    expect(io.failures().map((e) => e.code)).toEqual(['WS_ERR_UNMASKED_FRAME']);
  });

  it('reports one failure however many bad frames follow', () => {
    const io = new SansIo().receive(hex('81 00'), hex('81 00'));
    io.protocol.fail(new WebSocketError('WS_ERR_INVALID_UTF8', 'again'));
    expectFailure(io, 'WS_ERR_UNMASKED_FRAME', 1002);
  });

  it('makes close() a no-op afterwards', () => {
    const io = new SansIo().receive(hex('81 00'));
    io.protocol.close(1000);
    expectFailure(io, 'WS_ERR_UNMASKED_FRAME', 1002);
  });

  it.each([
    ['200 bytes of é', 'é'.repeat(100)],
    ['emoji cut mid code point', 'x'.repeat(121) + '😀😀'],
    ['emoji cut after three bytes', 'x'.repeat(120) + '😀😀'],
    ['ASCII', 'y'.repeat(500)],
  ])('truncates a long error message to a valid reason of at most 123 bytes (%s)', (_name, message) => {
    const io = new SansIo();
    io.protocol.fail(new WebSocketError('WS_ERR_EXTENSION_FAILED', message));
    expectFailure(io, 'WS_ERR_EXTENSION_FAILED', CloseCode.InternalError);
    const reason = io.sent()[0].payload.subarray(2);
    expect(reason.length).toBeLessThanOrEqual(123);
    expect(reason.toString('utf8').includes('\ufffd')).toBe(false);
    expect(message.startsWith(reason.toString('utf8'))).toBe(true);
  });

  it('discards a partial message so nothing of it is delivered', () => {
    const io = new SansIo().receive(masked(Opcode.Text, 'part', { fin: false }));
    io.protocol.fail(new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', 'too big'));
    io.receive(masked(Opcode.Continuation, 'rest'));
    expect(io.messages()).toEqual([]);
    expectFailure(io, 'WS_ERR_MESSAGE_TOO_BIG', 1009);
  });

  it('discards input that arrives after a failure before any byte was received', () => {
    // The parser is made on the first byte: one made after the failure must not parse either.
    const io = new SansIo();
    expect(io.protocol.bufferedInput).toBe(0);
    expect(io.protocol.isInputPaused).toBe(false);
    io.protocol.fail(new WebSocketError('WS_ERR_EXTENSION_FAILED', 'codec broke'));
    io.receive(masked(Opcode.Text, 'late'), masked(Opcode.Ping, 'p'));
    expect(io.messages()).toEqual([]);
    expect(io.events.map((e) => e.type)).toEqual(['closeWritten', 'fail']);
    expect(io.sent()).toHaveLength(1);
    expect(io.protocol.bufferedInput).toBe(0);
  });
});
