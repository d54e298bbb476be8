/**
 * Our client against our server over real sockets: messages of every kind and size, pings,
 * and every way a connection ends, seen from both ends.
 */
import type { Connection } from '@ws/core';
import { expectSameBytes } from '../helpers/bytes';
import { useClients } from '../helpers/client';
import { useHarness } from '../helpers/harness';
import { prng, randomBytes } from '../helpers/sans-io-frames';

const h = useHarness();
const c = useClients();

/** A server that echoes every message with its type. */
async function echoServer(options: Parameters<typeof h.server>[0] = {}) {
  const started = await h.server(options);
  started.server.on('connection', (connection: Connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  return started;
}

describe('messages', () => {
  it('sends and receives text and binary', async () => {
    const { url } = await echoServer();
    const { connection, events } = await c.connect(url);
    expect(connection.role).toBe('client');
    expect(connection.readyState).toBe(1);
    connection.send('héllo ✓');
    connection.send(Buffer.from([0, 1, 2, 255]));
    connection.send(new Uint8Array([9, 8]));
    connection.send('as binary', { binary: true });
    expect(await events.nth('message', 0)).toEqual(['héllo ✓', false]);
    expect(await events.nth('message', 1)).toEqual([Buffer.from([0, 1, 2, 255]), true]);
    expect(await events.nth('message', 2)).toEqual([Buffer.from([9, 8]), true]);
    expect(await events.nth('message', 3)).toEqual([Buffer.from('as binary'), true]);
  });

  it('carries 16 MiB both ways', async () => {
    const { url } = await echoServer();
    const { connection, events } = await c.connect(url);
    const big = randomBytes(16 * 1024 * 1024, prng(16));
    connection.send(big);
    const [echo, isBinary] = await events.nth('message', 0, 20_000);
    expect(isBinary).toBe(true);
    expectSameBytes(echo, big);
  }, 30_000);

  it('reassembles a message the server sends in many frames', async () => {
    const { url, connection: serverSide } = await h.server({ maxFrameSize: 100 });
    const { events } = await c.connect(url);
    const text = 'fragmented '.repeat(100);
    (await serverSide()).connection.send(text);
    expect(await events.nth('message')).toEqual([text, false]);
  });

  it('sends a message in many frames with its own maxFrameSize', async () => {
    const { url, connection: serverSide } = await h.server();
    const { connection } = await c.connect(url, { maxFrameSize: 10 });
    const server = await serverSide();
    connection.send('a message cut into frames of ten bytes');
    expect(await server.events.nth('message')).toEqual(['a message cut into frames of ten bytes', false]);
  });

  it('receives frames the server sent right behind its 101', async () => {
    const { url, server } = await h.server();
    server.on('connection', (connection: Connection) => connection.send('welcome'));
    const { events } = await c.connect(url);
    expect(await events.nth('message')).toEqual(['welcome', false]);
  });
});

describe('ping and pong', () => {
  it('answers the server’s ping and hears the pong of its own', async () => {
    const { url, connection: serverSide } = await h.server();
    const { connection, events } = await c.connect(url);
    const server = await serverSide();
    server.connection.ping('from server');
    expect(String((await events.nth('ping'))[0])).toBe('from server');
    expect(String((await server.events.nth('pong'))[0])).toBe('from server');
    connection.ping('from client');
    expect(String((await events.nth('pong'))[0])).toBe('from client');
    expect(String((await server.events.nth('ping'))[0])).toBe('from client');
    expect(connection.latency).toBeGreaterThanOrEqual(0);
    connection.pong('unsolicited');
    expect(String((await server.events.nth('pong', 1))[0])).toBe('unsolicited');
  });
});

describe('closing', () => {
  it('client closes: code and reason reach the server, both ends clean', async () => {
    const { url, connection: serverSide } = await h.server();
    const { connection, events } = await c.connect(url);
    const server = await serverSide();
    connection.close(4001, 'client done');
    expect(connection.readyState).toBe(2);
    expect(await server.events.nth('closing')).toEqual([4001, 'client done']);
    expect(await server.events.nth('close')).toEqual([4001, 'client done', true]);
    expect(await events.nth('close')).toEqual([4001, 'client done', true]);
    expect(connection.readyState).toBe(3);
  });

  it('server closes: the client echoes, hears closing then close', async () => {
    const { url, connection: serverSide } = await h.server();
    const { events } = await c.connect(url);
    const server = await serverSide();
    server.connection.close(1001, 'shutting down');
    expect(await events.nth('closing')).toEqual([1001, 'shutting down']);
    expect(await events.nth('close')).toEqual([1001, 'shutting down', true]);
    expect(await server.events.nth('close')).toEqual([1001, 'shutting down', true]);
    expect(events.log.map((e) => e.event)).toEqual(['closing', 'close']);
  });

  it('close() with no code sends 1000', async () => {
    const { url, connection: serverSide } = await h.server();
    const { connection, events } = await c.connect(url);
    const server = await serverSide();
    connection.close();
    expect(await server.events.nth('close')).toEqual([1000, '', true]);
    expect(await events.nth('close')).toEqual([1000, '', true]);
  });

  it('answers from a closing listener with its own code', async () => {
    const { url, connection: serverSide } = await h.server();
    const { connection, events } = await c.connect(url);
    connection.on('closing', () => connection.close(4002, 'my answer'));
    const server = await serverSide();
    server.connection.close(4000, 'server');
    expect(await server.events.nth('closing')).toEqual([4002, 'my answer']);
    expect(await events.nth('close')).toEqual([4000, 'server', true]);
  });

  it('terminate(): 1006 on both ends', async () => {
    const { url, connection: serverSide } = await h.server();
    const { connection, events } = await c.connect(url);
    const server = await serverSide();
    connection.terminate();
    expect(await events.nth('close')).toEqual([1006, '', false]);
    expect(await server.events.nth('close')).toEqual([1006, '', false]);
  });

  it('server terminates: the client reports 1006 (abnormal)', async () => {
    const { url, connection: serverSide } = await h.server();
    const { events } = await c.connect(url);
    (await serverSide()).connection.terminate();
    expect(await events.nth('close')).toEqual([1006, '', false]);
  });

  it('refuses to send once closing', async () => {
    const { url } = await h.server();
    const { connection } = await c.connect(url);
    connection.close();
    const error = await new Promise<Error | null | undefined>((resolve) => connection.send('late', resolve));
    expect(error?.message).toMatch(/not open/);
    expect(connection.send('late')).toBe('not-open');
  });
});

describe('a client connection', () => {
  it('has no server: no topics, no upgrade request', async () => {
    const { url } = await h.server();
    const { connection } = await c.connect(url);
    expect(connection.subscribe('news')).toBe(false);
    expect(connection.isSubscribed('news')).toBe(false);
    expect(connection.topics.size).toBe(0);
    expect(connection.acceptsRawFrames).toBe(false);
    expect(connection.url).toBe('');
    expect(connection.remoteAddress).toBe('127.0.0.1');
  });

  it('reports bufferedAmount and drain', async () => {
    const { url } = await h.server();
    const { connection, events } = await c.connect(url, { sendHighWaterMark: 1024 });
    expect(connection.send(Buffer.alloc(64 * 1024))).toBe('backpressure');
    await events.nth('drain', 0, 10_000);
    expect(connection.bufferedAmount).toBe(0);
  });

  it('takes the subprotocol the server picks from its offer', async () => {
    const { url, connection: serverSide } = await h.server({ protocols: ['b', 'c'] });
    const { connection } = await c.connect(url, { protocols: ['a', 'c', 'b'] });
    expect(connection.protocol).toBe('b'); // the server's preference
    expect((await serverSide()).connection.protocol).toBe('b');
  });

  it('sends its headers and origin', async () => {
    const { url, connection: serverSide } = await h.server();
    await c.connect(`${url}/path?q=1`, { headers: { 'X-Token': 'abc' }, origin: 'https://example.com' });
    const { request } = await serverSide();
    expect(request.url).toBe('/path?q=1');
    expect(request.headers['x-token']).toBe('abc');
    expect(request.headers.origin).toBe('https://example.com');
  });

  it('sends URL credentials as Basic authorization', async () => {
    const { port, connection: serverSide } = await h.server();
    await c.connect(`ws://user:p%40ss@127.0.0.1:${port}/`);
    const { request } = await serverSide();
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });
});
