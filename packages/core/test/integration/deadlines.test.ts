/**
 * `handshakeTimeout` as a total deadline (issue #12): a slowloris client, which keeps its socket
 * busy with one byte of its upgrade request every 500 ms, is dropped at the deadline, not when
 * it falls silent; and thousands of them do not keep a healthy client from being served.
 */
import type * as net from 'node:net';
import { Server } from '@ws/core';
import { delay, until, withTimeout } from '../helpers/events';
import { useHarness } from '../helpers/harness';
import { connectTcp, readResponse, socketClosed, upgradeRequest } from '../helpers/raw-http';

const h = useHarness();
const DEADLINE = 1500;
/** The deadline is never early; it may be late by up to two wheel ticks and a loaded loop. */
const LATE_MARGIN = 1000;

/** Sends `request` one byte every `everyMs` until the socket closes; returns a stop function. */
function drip(socket: net.Socket, request: string, everyMs = 500): () => void {
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= request.length) return;
    socket.write(request[sent++]);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return () => clearInterval(timer);
}

describe('handshakeTimeout in standalone mode: a deadline, not an idle timeout', () => {
  it('drops a slowloris client (a byte every 500 ms) at the deadline, with 408', async () => {
    const { port } = await h.server({ handshakeTimeout: DEADLINE });
    const socket = await connectTcp(port, h.trackSocket);
    const started = performance.now();
    drip(socket, upgradeRequest());
    const response = await readResponse(socket, DEADLINE + LATE_MARGIN + 1000);
    expect(response.status).toBe(408);
    await withTimeout(socketClosed(socket), 1000, 'the slowloris socket to close');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE - 50); // measured from our side of the connect
    expect(elapsed).toBeLessThanOrEqual(DEADLINE + LATE_MARGIN);
  });

  it('counts from the accept: time spent sending the request leaves less for an async verifyClient', async () => {
    const { port } = await h.server({
      handshakeTimeout: DEADLINE,
      verifyClient: () => new Promise<boolean>(() => undefined), // never answers
    });
    const socket = await connectTcp(port, h.trackSocket);
    const started = performance.now();
    await delay(900);
    socket.write(upgradeRequest());
    const response = await readResponse(socket, DEADLINE + LATE_MARGIN + 1000);
    expect(response.status).toBe(408);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE - 50);
    expect(elapsed).toBeLessThanOrEqual(DEADLINE + LATE_MARGIN); // not 900 ms + handshakeTimeout
  });

  it('ends at the 101: a connection that took most of the deadline to open stays open past it', async () => {
    const { port, server } = await h.server({ handshakeTimeout: DEADLINE });
    const socket = await connectTcp(port, h.trackSocket);
    const request = upgradeRequest();
    socket.write(request.slice(0, 10));
    await delay(DEADLINE - 600);
    socket.write(request.slice(10));
    expect((await readResponse(socket)).status).toBe(101);
    await delay(DEADLINE);
    expect(socket.destroyed).toBe(false);
    expect(server.clients.size).toBe(1);
    expect(server.handshakeDeadlines.size).toBe(0);
  });
});

describe('handshakeTimeout in attached mode: only the async verifyClient', () => {
  it('answers 408 when verifyClient has not answered within handshakeTimeout of the upgrade', async () => {
    const { httpServer, port } = await h.httpServer();
    h.adopt(
      new Server({ server: httpServer, handshakeTimeout: 600, verifyClient: () => new Promise(() => undefined) }),
    );
    const socket = await connectTcp(port, h.trackSocket);
    const started = performance.now();
    socket.write(upgradeRequest());
    expect((await readResponse(socket, 3000)).status).toBe(408);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThanOrEqual(600 + LATE_MARGIN);
  });
});

describe('2,000 slowloris sockets at once', () => {
  const COUNT = 2000;
  const BATCH = 100;

  it('do not keep a healthy client from connecting and echoing, and each is dropped at its deadline', async () => {
    const timeout = 6000;
    const { server, port, url } = await h.server({ handshakeTimeout: timeout });
    server.on('message', (data, connection, isBinary) => connection.send(data, { binary: isBinary }));

    // Opened in batches, so the listen backlog (511) does not drop SYNs and stretch the test.
    const sockets: net.Socket[] = [];
    const lifetimes: number[] = [];
    for (let i = 0; i < COUNT; i += BATCH) {
      const opening = Array.from({ length: BATCH }, () =>
        connectTcp(port, h.trackSocket).then((socket) => {
          const openedAt = performance.now();
          socket.resume(); // read the 408 so that the server's FIN is seen
          socket.once('close', () => lifetimes.push(performance.now() - openedAt));
          sockets.push(socket);
        }),
      );
      await Promise.all(opening);
    }
    // One timer drips a byte into every socket every 500 ms (a timer per socket would load jest, not the server).
    const request = upgradeRequest();
    let position = 0;
    const dripping = setInterval(() => {
      const byte = request[position++ % request.length];
      for (const socket of sockets) if (!socket.destroyed) socket.write(byte);
    }, 500);
    try {
      await until(() => server.handshakeDeadlines.size === COUNT, 'the server to have accepted every slowloris', 2000);

      const healthyStarted = performance.now();
      const client = await h.ws(url);
      client.ws.send('still served');
      expect((await client.message(0, 2000)).data).toBe('still served');
      expect(performance.now() - healthyStarted).toBeLessThan(2000);
      expect(lifetimes).toEqual([]); // all 2,000 were still there meanwhile

      await until(
        () => lifetimes.length === COUNT,
        'every slowloris socket to be dropped',
        timeout + 3 * LATE_MARGIN + 1000,
      );
      expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(timeout - 50);
      // Wider than for one socket: this process also plays the 2,000 clients, and shares the machine.
      expect(Math.max(...lifetimes)).toBeLessThanOrEqual(timeout + 3 * LATE_MARGIN);
      expect(server.handshakeDeadlines.size).toBe(0);
      // The healthy connection outlives them all.
      client.ws.send('after');
      expect((await client.message(1, 2000)).data).toBe('after');
    } finally {
      clearInterval(dripping);
    }
  }, 30_000);
});
