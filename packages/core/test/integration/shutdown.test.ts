/** Graceful shutdown (issue #12): `close()` returns a promise, nothing sent is lost, late upgrades get 503. */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { type Connection, type Plugin, Server } from '@ws/core';
import { delay, withTimeout } from '../helpers/events';
import { useHarness } from '../helpers/harness';
import { connectTcp, readResponse, upgradeRequest } from '../helpers/raw-http';
import type { WsClient } from '../helpers/ws-client';

const h = useHarness();

describe('server.close() in standalone mode', () => {
  it('does not wait for a client stuck halfway through its HTTP request', async () => {
    const server = new Server({ host: '127.0.0.1', port: 0, handshakeTimeout: 10_000 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const client = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => {});
    client.resume(); // read the 503 the server answers with, so that its FIN is seen
    client.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'); // never finished
    await new Promise((resolve) => setTimeout(resolve, 50));

    const answer = readResponse(client);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000); // far below handshakeTimeout
    expect((await answer).status).toBe(503);
    await clientClosed;
  });
});

describe('server.close() returns a promise', () => {
  it('1,000 clients, 10,000 messages sent just before close(): every message arrives before the 1001', async () => {
    const CLIENTS = 1000;
    const PER_CLIENT = 10;
    const { server, url } = await h.server();
    const clients: WsClient[] = [];
    for (let i = 0; i < CLIENTS; i += 100) {
      clients.push(...(await Promise.all(Array.from({ length: 100 }, () => h.ws(url)))));
    }
    await withTimeout(
      (async () => {
        while (server.clients.size < CLIENTS) await delay(10);
      })(),
      5000,
      'every connection to be established',
    );
    // What each client saw, in order: its messages, then the close (recorded by the listeners'
    // order on the client side, as the bytes came off the socket).
    const seen = clients.map((client) => {
      const log: string[] = [];
      client.ws.on('message', (data) => log.push(String(data)));
      client.ws.on('close', (code) => log.push(`close ${code}`));
      return log;
    });
    let index = 0;
    const indexOf = new Map<Connection, number>();
    for (const connection of server.clients) indexOf.set(connection, index++);
    for (let k = 0; k < PER_CLIENT; k++) {
      for (const connection of server.clients) connection.send(`${indexOf.get(connection)}:${k}`);
    }
    const closing = server.close();
    expect(closing).toBeInstanceOf(Promise);
    await withTimeout(closing, 15_000, 'server.close() to resolve');
    expect(server.clients.size).toBe(0);
    await withTimeout(Promise.all(clients.map((client) => client.closed)), 5000, 'every client to see the close');

    const byConnection = new Map<string, string[]>();
    for (const log of seen) byConnection.set(log[0]?.split(':')[0] ?? 'none', log);
    expect(byConnection.size).toBe(CLIENTS);
    let delivered = 0;
    for (const [id, log] of byConnection) {
      const expected = [...Array.from({ length: PER_CLIENT }, (_, k) => `${id}:${k}`), 'close 1001'];
      if (log.join() !== expected.join()) expect(log).toEqual(expected); // one readable failure, not 1,000
      delivered += log.length - 1;
    }
    expect(delivered).toBe(CLIENTS * PER_CLIENT);
  }, 60_000);

  it('resolves with the callback form too, and again for a second call and after shutdown', async () => {
    const { server, url, events } = await h.server();
    const client = await h.ws(url);
    let calledBack = false;
    const first = server.close(() => {
      calledBack = true;
    });
    const second = server.close();
    await withTimeout(Promise.all([first, second]), 3000, 'both close() promises');
    expect(calledBack).toBe(true);
    expect(events.count('shutdown')).toBe(1);
    expect((await client.closedWithin()).code).toBe(1001);
    await expect(withTimeout(server.close(), 1000, 'close() after shutdown')).resolves.toBeUndefined();
  });

  it('waits for a client that never answers the close until closeTimeout, then terminates it', async () => {
    const closeTimeout = 800;
    const { server, port } = await h.server({ closeTimeout });
    const raw = await h.raw(port, { echoClose: false });
    const started = performance.now();
    await withTimeout(server.close(), closeTimeout + 2000, 'server.close()');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(closeTimeout - 50);
    expect(elapsed).toBeLessThan(closeTimeout + 1500);
    expect(await raw.closeCode()).toBe(1001); // the close frame came, then TCP was cut
  });

  it('answers 503 to upgrades that arrive while clients are still closing (attached mode)', async () => {
    const { httpServer, port } = await h.httpServer();
    const server = h.adopt(new Server({ server: httpServer, closeTimeout: 1500 }));
    await h.raw(port, { echoClose: false }); // holds the shutdown open until closeTimeout
    const closing = server.close();
    await delay(50);
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(upgradeRequest());
    expect((await readResponse(socket)).status).toBe(503);
    await withTimeout(closing, 3000, 'server.close()');
  });

  it('answers 503 to upgrades handed over while closing (no-server mode)', async () => {
    const server = h.adopt(new Server({ noServer: true, closeTimeout: 1500 }));
    const { httpServer, port } = await h.httpServer();
    httpServer.on('upgrade', (request, socket, head) => server.handleUpgrade(request, socket, head));
    await h.raw(port, { echoClose: false });
    const closing = server.close();
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(upgradeRequest());
    expect((await readResponse(socket)).status).toBe(503);
    await withTimeout(closing, 3000, 'server.close()');
  });
});

describe('plugins whose close() returns a promise', () => {
  const plugin = (close: () => void | Promise<void>): Plugin => ({ name: 'async-close', attach: () => ({ close }) });

  it('are waited for before close() resolves and shutdown fires', async () => {
    let released = false;
    const { server, events } = await h.server({
      plugins: [plugin(() => delay(300).then(() => void (released = true)))],
    });
    const started = performance.now();
    await withTimeout(server.close(), 3000, 'server.close()');
    expect(released).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(events.count('shutdown')).toBe(1);
  });

  it('report a rejection (or a throw) as the server’s error event, and close() still resolves', async () => {
    const rejection = new Error('redis quit failed');
    const thrown = new Error('sync close failed');
    const { server, events } = await h.server({
      plugins: [
        plugin(() => Promise.reject(rejection)),
        plugin(() => {
          throw thrown;
        }),
      ],
    });
    await withTimeout(server.close(), 3000, 'server.close()');
    expect(events.all('error').map(([error]) => error)).toEqual(expect.arrayContaining([rejection, thrown]));
    expect(events.count('shutdown')).toBe(1);
  });
});
