/**
 * Failures stay with the connection that caused them (RFC 6455 §7.1.7: _Fail the WebSocket
 * Connection_), are reported as `error` events carrying a WebSocketError, and do not disturb
 * other clients. Errors thrown by application listeners are not swallowed.
 */
import { WebSocketError, type Connection } from '@ws/core';
import { useHarness } from '../helpers/harness';
import { binary, frame, frameHeader, op, text } from '../helpers/frames';
import { runFixture } from '../helpers/child-process';

const h = useHarness();

describe('RFC 6455 §7.1.7: a failed connection', () => {
  it.each<[string, string, number, Buffer]>([
    ['a reserved opcode', 'WS_ERR_INVALID_OPCODE', 1002, frame({ opcode: 3 })],
    ['an unmasked frame', 'WS_ERR_UNMASKED_FRAME', 1002, frame({ opcode: op.text, payload: 'x', mask: false })],
    ['unnegotiated RSV1', 'WS_ERR_UNEXPECTED_RSV', 1002, frame({ opcode: op.text, rsv: 0b100, payload: 'x' })],
    ['a fragmented ping', 'WS_ERR_FRAGMENTED_CONTROL', 1002, frame({ opcode: op.ping, fin: false })],
    ['a 126-byte ping', 'WS_ERR_CONTROL_TOO_LONG', 1002, frame({ opcode: op.ping, payload: Buffer.alloc(126) })],
    ['a continuation first', 'WS_ERR_UNEXPECTED_CONTINUATION', 1002, frame({ opcode: op.continuation, payload: 'x' })],
    ['a new message mid-message', 'WS_ERR_EXPECTED_CONTINUATION', 1002, Buffer.concat([text('a', false), text('b')])],
    [
      'a 64-bit length with the top bit set',
      'WS_ERR_INVALID_LENGTH',
      1002,
      Buffer.concat([frameHeader(op.binary, 2n ** 63n), Buffer.alloc(4)]),
    ],
    [
      'a 1-byte close payload',
      'WS_ERR_INVALID_CLOSE_PAYLOAD',
      1002,
      frame({ opcode: op.close, payload: Buffer.from([3]) }),
    ],
    [
      'close code 1005',
      'WS_ERR_INVALID_CLOSE_CODE',
      1002,
      frame({ opcode: op.close, payload: Buffer.from([0x03, 0xed]) }),
    ],
    ['invalid UTF-8', 'WS_ERR_INVALID_UTF8', 1007, text(Buffer.from([0xff]))],
    ['an oversized message', 'WS_ERR_MESSAGE_TOO_BIG', 1009, binary(Buffer.alloc(65))],
  ])('%s emits error (%s, closeCode %i) on the connection', async (_, code, closeCode, sent) => {
    const { port, connection } = await h.server({ maxPayload: 64 });
    const raw = await h.raw(port);
    const { events } = await connection();
    raw.send(sent);
    const [error] = await events.nth('error');
    expect(error).toBeInstanceOf(WebSocketError);
    expect([error.code, error.closeCode]).toEqual([code, closeCode]);
  });

  it('emits error on the server with the connection', async () => {
    const { port, connection, events } = await h.server();
    const raw = await h.raw(port);
    const { connection: conn } = await connection();
    raw.send(frame({ opcode: 3 }));
    const [error, from] = await events.nth('error');
    expect([error.closeCode, from]).toEqual([1002, conn]);
  });

  it('emits error, then close', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    const { events } = await connection();
    raw.send(frame({ opcode: 3 }));
    await events.nth('close');
    expect(events.log.map((e) => e.event).filter((e) => e === 'error' || e === 'close')).toEqual(['error', 'close']);
  });

  it('leaves other clients working', async () => {
    const { port, url, server, connection } = await h.server();
    server.on('message', (data: string | Buffer, c: Connection) => c.send(data));
    const good = await h.ws(url);
    const bad = await h.raw(port);
    await connection(1);
    bad.send(frame({ opcode: op.text, payload: 'x', mask: false }));
    expect(await bad.closeCode()).toBe(1002);
    good.ws.send('still here');
    expect(await good.message()).toEqual({ data: 'still here', isBinary: false });
  });
});

describe('application errors', () => {
  // The README does not say what happens when a listener throws. What we assert: the error is
  // not swallowed (it reaches an `error` event or propagates as an uncaught exception), and the
  // connection stays sound: the messages after it arrive intact and the client stays connected.
  // An uncaught exception would fail whatever jest test is running, so this runs in a child
  // process (helpers/fixtures/throwing-listener.ts).
  it('a message listener that throws is not silent, and the next messages still arrive', async () => {
    const result = (await runFixture('throwing-listener.ts')) as {
      uncaught: string[];
      errorEvents: string[];
      messages: Array<string | number[]>;
      clientStillOpen: boolean;
    };
    expect([...result.uncaught, ...result.errorEvents].join('; ')).toMatch(/listener bug/);
    expect(result.messages).toEqual(['first', 'second', [3]]);
    expect(result.clientStillOpen).toBe(true);
  });
});
