/**
 * RFC 6455 §5.5.1 and §7: the closing handshake from either side, the codes each side reports,
 * and the ways a connection ends without one.
 */
import { useHarness } from '../helpers/harness';
import { close, op } from '../helpers/frames';
import { withTimeout } from '../helpers/events';

const h = useHarness();

describe('RFC 6455 §7.4: valid close codes from the client', () => {
  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999])(
    'echoes code %i and the reason',
    async (code) => {
      const { port } = await h.server();
      const raw = await h.raw(port);
      raw.sendClose(code, 'bye');
      const { code: answered, reason } = await raw.closeInfoOrLoss();
      expect({ answered, reason }).toEqual({ answered: code, reason: 'bye' });
    },
  );

  it.each([1000, 1003, 3000, 4999])('reports code %i and the reason on the close events', async (code) => {
    const { port, connection, events } = await h.server();
    const raw = await h.raw(port);
    const { events: connectionEvents } = await connection();
    raw.sendClose(code, 'reason ✓');
    expect(await connectionEvents.nth('close')).toEqual([code, 'reason ✓', true]);
    expect((await events.nth('close')).slice(1)).toEqual([code, 'reason ✓', true]);
  });

  it('answers an empty close frame with a close frame and reports 1005', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    const { events } = await connection();
    raw.send(close());
    await raw.nextOfOpcode(op.close);
    expect((await events.nth('close')).slice(0, 1)).toEqual([1005]);
  });

  it('closes the TCP connection once the closing handshake is done (§7.1.1)', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.sendClose(1000);
    await raw.closeCode();
    await expect(withTimeout(raw.closed, 2000, 'the server to close TCP')).resolves.toBeUndefined();
  });

  it('delivers no message sent after the client close frame', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.sendClose(1000);
    raw.send(Buffer.from([0x81, 0x80, 0, 0, 0, 0]));
    await events.nth('close');
    expect(events.count('message')).toBe(0);
  });
});

describe('RFC 6455 §7: closing from the server', () => {
  it('sends the code and reason of connection.close() to the client', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    (await connection()).connection.close(4001, 'see you');
    expect(await client.closedWithin()).toEqual({ code: 4001, reason: 'see you' });
  });

  it('emits close on the connection and the server with wasClean true', async () => {
    const { url, connection, events } = await h.server();
    await h.ws(url);
    const { connection: conn, events: connectionEvents } = await connection();
    conn.close(1000, 'done');
    expect(await connectionEvents.nth('close')).toEqual([1000, 'done', true]);
    expect(await events.nth('close')).toEqual([conn, 1000, 'done', true]);
  });

  it('reports the ws client close code and reason', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    const { events } = await connection();
    client.ws.close(4002, 'client leaves');
    expect(await events.nth('close')).toEqual([4002, 'client leaves', true]);
  });

  it('echoes the ws client close code and reason (§5.5.1)', async () => {
    const { url } = await h.server();
    const client = await h.ws(url);
    client.ws.close(4002, 'client leaves');
    expect(await client.closedWithin()).toEqual({ code: 4002, reason: 'client leaves' });
  });

  it('goes OPEN → CLOSING → CLOSED', async () => {
    const { url, connection } = await h.server();
    await h.ws(url);
    const { connection: conn, events } = await connection();
    const states = [conn.readyState];
    conn.close(1000);
    states.push(conn.readyState);
    await events.nth('close');
    states.push(conn.readyState);
    expect(states).toEqual([1, 2, 3]);
  });

  it('is no longer open once close() is called', async () => {
    const { url, connection } = await h.server();
    await h.ws(url);
    const { connection: conn } = await connection();
    conn.close(1000);
    expect(conn.isOpen).toBe(false);
  });

  it('removes the connection from server.clients once closed', async () => {
    const { url, server, connection } = await h.server();
    const client = await h.ws(url);
    const { connection: conn, events } = await connection();
    const before = server.clients.has(conn);
    client.ws.close();
    await events.nth('close');
    expect([before, server.clients.has(conn)]).toEqual([true, false]);
  });

  it.each<[string, number, string]>([
    ['code 999', 999, ''],
    ['code 1004', 1004, ''],
    ['code 1005', 1005, ''],
    ['code 1006', 1006, ''],
    ['code 1015', 1015, ''],
    ['code 2999', 2999, ''],
    ['code 5000', 5000, ''],
    ['a 124-byte reason', 1000, 'x'.repeat(124)],
    ['a reason of 62 two-byte characters (124 bytes)', 1000, 'é'.repeat(62)],
  ])('close() with %s throws a RangeError', async (_, code, reason) => {
    const { url, connection } = await h.server();
    await h.ws(url);
    const { connection: conn } = await connection();
    expect(() => conn.close(code, reason)).toThrow(RangeError);
  });

  it('close() with a 123-byte reason is sent whole', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    (await connection()).connection.close(3000, 'r'.repeat(123));
    expect(await client.closedWithin()).toEqual({ code: 3000, reason: 'r'.repeat(123) });
  });
});

describe('RFC 6455 §7.1.1, §7.1.5: ends without a closing handshake', () => {
  it('destroys a client that never answers the close frame after closeTimeout', async () => {
    const { port, connection } = await h.server({ closeTimeout: 200 });
    const raw = await h.raw(port, { echoClose: false });
    const { connection: conn, events } = await connection();
    const started = Date.now();
    conn.close(1000);
    expect(await raw.closeCode()).toBe(1000);
    await withTimeout(raw.closed, 2000, 'the server to destroy the socket');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await events.nth('close'))[2]).toBe(false);
  });

  it('reports terminate() as 1006, not clean', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    const { connection: conn, events } = await connection();
    conn.terminate();
    expect(await events.nth('close')).toEqual([1006, '', false]);
    expect((await client.closedWithin()).code).toBe(1006);
  });

  it('reports a lost TCP connection as 1006 on the connection and the server', async () => {
    const { port, connection, events } = await h.server();
    const raw = await h.raw(port);
    const { connection: conn, events: connectionEvents } = await connection();
    raw.destroy();
    expect(await connectionEvents.nth('close')).toEqual([1006, '', false]);
    expect(await events.nth('close')).toEqual([conn, 1006, '', false]);
  });

  it('emits close exactly once when the client echoes and drops TCP at once', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port, { echoClose: false });
    const { connection: conn, events } = await connection();
    conn.close(1000);
    await raw.closeCode();
    raw.sendClose(1000);
    raw.destroy();
    await events.nth('close');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.count('close')).toBe(1);
  });
});
