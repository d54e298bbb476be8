import { CloseCode, Server, type Connection } from '@ws/core';
import { heartbeat } from '@ws/heartbeat';
import type WebSocket from 'ws';
import { closeOf, sleep, wsClient } from './helpers/sockets';

/**
 * `heartbeat().watch(connection)`: one connection kept alive without the server plugin, over
 * real sockets. Here the watched connections are a plain server's (no plugin), against `ws`
 * clients; client.test.ts watches our own client's connections. Bounds carry slack for a loaded
 * machine.
 */
const INTERVAL = 80;
const SLACK = 250;

let server: Server | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await server?.close();
  server = undefined;
});

/** A server without plugins, and a `ws` client connected to it; resolves with both ends. */
async function pair(options: WebSocket.ClientOptions = {}): Promise<{ connection: Connection; ws: WebSocket }> {
  server = new Server({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server!.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const accepted = new Promise<Connection>((resolve) => server!.once('connection', resolve));
  const ws = await wsClient(`ws://127.0.0.1:${address.port}/`, options);
  clients.push(ws);
  return { connection: await accepted, ws };
}

describe('heartbeat().watch(connection)', () => {
  it('pings the connection every interval and reports the round trip on it', async () => {
    const { connection, ws } = await pair();
    let pings = 0;
    ws.on('ping', () => pings++);
    const latencies: number[] = [];
    connection.on('latency', (ms) => latencies.push(ms));
    const watch = heartbeat({ interval: INTERVAL }).watch(connection);
    expect(watch.isWatching).toBe(true);
    expect(watch.connection).toBe(connection);
    await sleep(INTERVAL * 4 + SLACK / 2);
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(connection.isOpen).toBe(true);
    watch.close();
  });

  it('closes a peer that stops answering with 1011 "heartbeat timeout" within interval + timeout', async () => {
    const { connection, ws } = await pair({ autoPong: false });
    const timedOut = new Promise<number>((resolve) =>
      connection.once('heartbeatTimeout', () => resolve(performance.now())),
    );
    const watched = performance.now();
    const watch = heartbeat({ interval: INTERVAL, timeout: 60 }).watch(connection);
    const { code, reason } = await closeOf(ws);
    expect(code).toBe(CloseCode.InternalError);
    expect(reason).toBe('heartbeat timeout');
    expect((await timedOut) - watched).toBeLessThan(INTERVAL + 60 + SLACK);
    await new Promise((resolve) => (connection.readyState === 3 ? resolve(null) : connection.once('close', resolve)));
    // The connection's close ends the watch by itself.
    expect(watch.isWatching).toBe(false);
  });

  it('close() stops the pings and leaves the connection open', async () => {
    const { connection, ws } = await pair({ autoPong: false });
    let pings = 0;
    ws.on('ping', () => pings++);
    const watch = heartbeat({ interval: INTERVAL, timeout: 60 }).watch(connection);
    watch.close();
    watch.close();
    expect(watch.isWatching).toBe(false);
    await sleep(INTERVAL * 3);
    expect(pings).toBe(0);
    expect(connection.isOpen).toBe(true);
  });

  it('with countActivity, messages count as signs of life: a chatty peer is not pinged', async () => {
    const { connection, ws } = await pair({ autoPong: false });
    let pings = 0;
    ws.on('ping', () => pings++);
    const watch = heartbeat({ interval: INTERVAL, countActivity: true }).watch(connection);
    const chatter = setInterval(() => ws.send('alive'), INTERVAL / 4);
    try {
      await sleep(INTERVAL * 4);
    } finally {
      clearInterval(chatter);
    }
    expect(pings).toBe(0);
    expect(connection.isOpen).toBe(true);
    watch.close();
  });

  it('refuses to watch one connection twice, and ignores one already closed', async () => {
    const { connection, ws } = await pair();
    const plugin = heartbeat({ interval: INTERVAL });
    const watch = plugin.watch(connection);
    expect(() => plugin.watch(connection)).toThrow(/already watched/);
    // Another plugin has its own heartbeat: it may watch the same connection.
    heartbeat({ interval: INTERVAL }).watch(connection).close();
    const closed = new Promise((resolve) => connection.once('close', resolve));
    ws.close();
    await closed;
    expect(watch.isWatching).toBe(false);
    expect(plugin.watch(connection).isWatching).toBe(false);
  });
});
