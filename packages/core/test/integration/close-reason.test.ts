/**
 * RFC 6455 §5.5.1 over real sockets: the server answers a client's close frame with the
 * client's code and reason (as ws, python-websockets and browsers do), and an application can
 * answer with its own by calling close(code, reason) from a `closing` listener.
 */
import type { Connection } from '@ws/core';
import { useHarness } from '../helpers/harness';
import { close, closePayload, op } from '../helpers/frames';

const h = useHarness();

describe('RFC 6455 §5.5.1: the echo carries the client code and reason', () => {
  it.each([
    ['4000 "bye"', 4000, 'bye'],
    ['1000 with a 123-byte reason', 1000, 'é'.repeat(60) + 'abc'],
    ['4999 with a 123-byte ASCII reason', 4999, 'r'.repeat(123)],
    ['1001 with no reason', 1001, ''],
  ])('echoes %s byte for byte to a raw client', async (_name, code, reason) => {
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.sendClose(code, reason);
    const answer = await raw.closeInfoOrLoss();
    expect({ code: answer.code, reason: answer.reason }).toEqual({ code, reason });
    expect(answer.payload.toString('hex')).toBe(closePayload(code, reason).toString('hex'));
  });

  it('answers an empty close frame with an empty one', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(close());
    const answer = await raw.closeInfoOrLoss();
    expect([answer.code, answer.payload.length]).toEqual([1005, 0]);
  });

  it('gives the ws client its own reason back', async () => {
    const { url } = await h.server();
    const client = await h.ws(url);
    client.ws.close(4000, 'bye');
    expect(await client.closedWithin()).toEqual({ code: 4000, reason: 'bye' });
  });

  it('emits closing with the code and reason, then close, on the connection', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    const { events } = await connection();
    raw.sendClose(4000, 'bye');
    expect(await events.nth('close')).toEqual([4000, 'bye', true]);
    expect(events.log.map((e) => e.event).filter((e) => e === 'closing' || e === 'close')).toEqual([
      'closing',
      'close',
    ]);
    expect(events.all('closing')).toEqual([[4000, 'bye']]);
  });
});

describe('the application answers with its own code', () => {
  /** A server whose connections answer the peer's close with `answer(code, reason)`. */
  async function answering(answer: (connection: Connection, code: number, reason: string) => void) {
    const started = await h.server();
    started.server.on('connection', (connection) => {
      connection.on('closing', (code, reason) => answer(connection, code, reason));
    });
    return started;
  }

  it('sends the close() called from a closing listener instead of the echo', async () => {
    const { port, connection, events } = await answering((connection, code, reason) =>
      connection.close(4001, `got ${code} ${reason}`),
    );
    const raw = await h.raw(port);
    const { events: connectionEvents } = await connection();
    raw.sendClose(4000, 'bye');
    const answer = await raw.closeInfoOrLoss();
    expect({ code: answer.code, reason: answer.reason }).toEqual({ code: 4001, reason: 'got 4000 bye' });
    expect(raw.frames.filter((f) => f.opcode === op.close)).toHaveLength(1);
    // The close events still report what the peer sent (the seed's on_close).
    expect(await connectionEvents.nth('close')).toEqual([4000, 'bye', true]);
    expect((await events.nth('close')).slice(1)).toEqual([4000, 'bye', true]);
  });

  it('sends its own code to the ws client', async () => {
    const { url } = await answering((connection) => connection.close(1001, 'server going down'));
    const client = await h.ws(url);
    client.ws.close(4000, 'bye');
    expect(await client.closedWithin()).toEqual({ code: 1001, reason: 'server going down' });
  });

  it('sees the connection CLOSING in the listener', async () => {
    const states: number[] = [];
    const { port, connection } = await answering((connection) => states.push(connection.readyState));
    const raw = await h.raw(port);
    const { events } = await connection();
    raw.sendClose(1000);
    await events.nth('close');
    expect(states).toEqual([2]);
  });

  it('sends nothing more when the server closed first: closing reports the answer', async () => {
    const { port, connection } = await answering((connection) => connection.close(4002, 'ignored'));
    const raw = await h.raw(port); // echoes the server's code, without the reason
    const { connection: conn, events } = await connection();
    conn.close(4001, 'see you');
    expect(await events.nth('closing')).toEqual([4001, '']);
    expect(await events.nth('close')).toEqual([4001, '', true]);
    await raw.closed;
    const closes = raw.frames.filter((f) => f.opcode === op.close);
    expect(closes.map((f) => f.payload.toString('hex'))).toEqual([closePayload(4001, 'see you').toString('hex')]);
  });
});
