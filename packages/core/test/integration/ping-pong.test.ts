/** RFC 6455 §5.5.2 (ping) and §5.5.3 (pong). */
import { useHarness } from '../helpers/harness';
import { op, ping, pong } from '../helpers/frames';

const h = useHarness();

describe('RFC 6455 §5.5.2: pings from the client', () => {
  it.each<[string, Buffer]>([
    ['empty', Buffer.alloc(0)],
    ['"hello"', Buffer.from('hello')],
    ['125 bytes', Buffer.alloc(125, 9)],
  ])('answers a ping with payload %s with a pong carrying the same payload', async (_, payload) => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(ping(payload));
    const answer = await raw.nextOfOpcode(op.pong);
    expect(answer).toMatchObject({ fin: true, masked: false, payload });
  });

  it('emits ping on the connection and the server with the payload', async () => {
    const { port, connection, events } = await h.server();
    const raw = await h.raw(port);
    const { connection: conn, events: connectionEvents } = await connection();
    raw.send(ping('are you there'));
    expect(await connectionEvents.nth('ping')).toEqual([Buffer.from('are you there')]);
    expect(await events.nth('ping')).toEqual([conn, Buffer.from('are you there')]);
  });

  it('answers each of several pings', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(ping('1'), ping('2'), ping('3'));
    await raw.frameAt(3);
    expect(raw.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [op.pong, '1'],
      [op.pong, '2'],
      [op.pong, '3'],
    ]);
  });
});

describe('RFC 6455 §5.5.3: pongs', () => {
  it('emits pong for an unsolicited pong, sends nothing back, and stays open', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    const { connection: conn, events } = await connection();
    raw.send(pong('beat'), ping('after'));
    expect(await events.nth('pong')).toEqual([Buffer.from('beat')]);
    await raw.nextOfOpcode(op.pong);
    expect([raw.frames.length, conn.isOpen]).toEqual([1, true]);
  });

  it('connection.ping(payload) reaches the client, and its pong comes back as pong events', async () => {
    const { url, connection, events } = await h.server();
    const client = await h.ws(url);
    const { connection: conn, events: connectionEvents } = await connection();
    conn.ping('probe');
    expect((await client.recorder.nth('ping'))[0]).toEqual(Buffer.from('probe'));
    expect(await connectionEvents.nth('pong')).toEqual([Buffer.from('probe')]);
    expect(await events.nth('pong')).toEqual([conn, Buffer.from('probe')]);
  });

  it('sets latency to a number once a ping is answered', async () => {
    const { url, connection } = await h.server();
    await h.ws(url);
    const { connection: conn, events } = await connection();
    const before = conn.latency;
    conn.ping();
    await events.nth('pong');
    expect(before).toBeUndefined();
    expect(typeof conn.latency).toBe('number');
    expect(conn.latency).toBeGreaterThanOrEqual(0);
  });

  it('sends a server ping unmasked with its payload', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    (await connection()).connection.ping(Buffer.from([1, 2, 3]));
    expect(await raw.nextOfOpcode(op.ping)).toMatchObject({
      fin: true,
      masked: false,
      payload: Buffer.from([1, 2, 3]),
    });
  });

  it('connection.pong(payload) sends an unsolicited pong (§5.5.3: a unidirectional heartbeat)', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    (await connection()).connection.pong('alive');
    expect((await raw.nextOfOpcode(op.pong)).payload.toString()).toBe('alive');
  });

  it('refuses to ping with more than 125 bytes (RangeError, as misuse)', async () => {
    const { url, connection } = await h.server();
    await h.ws(url);
    const { connection: conn } = await connection();
    expect(() => conn.ping(Buffer.alloc(126))).toThrow(RangeError);
  });
});
