import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { CloseCode, connect, type Connection } from '@ws/core';
import { heartbeat } from '@ws/heartbeat';
import { WebSocketServer, type WebSocket } from 'ws';
import { sleep } from './helpers/sockets';

/**
 * The heartbeat on our own client's connection (`heartbeat().watch(await connect(url))`) over
 * real sockets: the client pings the server; a server that stops answering is closed, and one
 * that answers nothing at all (not even the close) gets the TCP connection terminated. Bounds
 * carry slack for a loaded machine.
 */
const INTERVAL = 80;
const TIMEOUT = 60;
const SLACK = 300;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function closeOf(connection: Connection): Promise<{ code: number; reason: string; wasClean: boolean; at: number }> {
  return new Promise((resolve) =>
    connection.once('close', (code, reason, wasClean) => resolve({ code, reason, wasClean, at: performance.now() })),
  );
}

/** A `ws` server; `autoPong: false` makes it ignore pings (it still answers a close). */
async function wsServer(autoPong: boolean): Promise<{ url: string; pings: () => number; closes: number[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  let pings = 0;
  const closes: number[] = [];
  wss.on('connection', (ws: WebSocket) => {
    ws.on('ping', () => pings++);
    ws.on('close', (code) => closes.push(code));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  const { port } = wss.address() as net.AddressInfo;
  return { url: `ws://127.0.0.1:${port}/`, pings: () => pings, closes };
}

async function client(url: string, closeTimeout?: number): Promise<Connection> {
  const connection = await connect(url, closeTimeout === undefined ? {} : { closeTimeout });
  cleanups.push(() => connection.terminate());
  return connection;
}

describe('heartbeat().watch() on a client connection', () => {
  it('pings a server that answers, reports latency, and keeps the connection open', async () => {
    const server = await wsServer(true);
    const connection = await client(server.url);
    const latencies: number[] = [];
    connection.on('latency', (ms) => latencies.push(ms));
    const watch = heartbeat({ interval: INTERVAL, timeout: TIMEOUT }).watch(connection);
    await sleep(INTERVAL * 4 + SLACK / 2);
    expect(server.pings()).toBeGreaterThanOrEqual(3);
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(connection.isOpen).toBe(true);
    watch.close();
  });

  it('a server that stops answering pongs is closed with 1011 "heartbeat timeout"', async () => {
    const server = await wsServer(false);
    const connection = await client(server.url);
    const timedOut = new Promise<number>((resolve) =>
      connection.once('heartbeatTimeout', () => resolve(performance.now())),
    );
    const closed = closeOf(connection);
    const watched = performance.now();
    const watch = heartbeat({ interval: INTERVAL, timeout: TIMEOUT }).watch(connection);
    expect((await timedOut) - watched).toBeLessThan(INTERVAL + TIMEOUT + SLACK);
    const { code, reason, wasClean } = await closed;
    // ws echoed our close frame: the closing handshake completed.
    expect([code, reason, wasClean]).toEqual([CloseCode.InternalError, 'heartbeat timeout', true]);
    expect(server.pings()).toBe(1);
    await sleep(50);
    expect(server.closes).toEqual([CloseCode.InternalError]);
    expect(watch.isWatching).toBe(false);
  });

  it('a server that answers nothing (no pong, no close) gets the TCP connection terminated', async () => {
    // A raw server that completes the upgrade, then reads nothing and answers nothing.
    const sockets: net.Socket[] = [];
    const deaf = net.createServer((socket) => {
      sockets.push(socket);
      socket.once('data', (head: Buffer) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(head.toString('latin1'))![1];
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        socket.pause();
      });
    });
    await new Promise<void>((resolve) => deaf.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => deaf.close(() => resolve()));
    });
    const { port } = deaf.address() as net.AddressInfo;
    // closeTimeout far longer than the heartbeat's own terminate(): the heartbeat ends it.
    const connection = await client(`ws://127.0.0.1:${port}/`, 10_000);
    const closed = closeOf(connection);
    const watched = performance.now();
    heartbeat({ interval: INTERVAL, timeout: TIMEOUT }).watch(connection);
    const { code, wasClean, at } = await closed;
    expect(code).toBe(CloseCode.Abnormal);
    expect(wasClean).toBe(false);
    // A ping, its timeout, the close frame, another timeout, then terminate().
    expect(at - watched).toBeLessThan(INTERVAL + 2 * TIMEOUT + SLACK);
  });
});
