import * as net from 'node:net';
import fc from 'fast-check';
import { backoffDelay, reconnecting, Server, type Connection, type Reconnecting } from '@ws/core';

/**
 * The reconnect helper against a real server on 127.0.0.1 that is stopped and started again on
 * the same port. Delays are a few tens of ms; every wait is bounded by jest's timeout.
 */

const MIN = 10;
const MAX = 40;

/** An echo server on `port` (0: a free one). */
async function startServer(port = 0): Promise<{ server: Server; port: number }> {
  const server = new Server({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('message', (data, connection, isBinary) => connection.send(data, { binary: isBinary }));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, port: address.port };
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function next<T extends unknown[]>(
  emitter: Reconnecting,
  event: 'open' | 'close' | 'end' | 'attempt' | 'error',
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T)));
}

interface Log {
  attempts: [number, number][];
  errors: Error[];
  events: string[];
}

function record(client: Reconnecting): Log {
  const log: Log = { attempts: [], errors: [], events: [] };
  client.on('attempt', (attempt, delay) => {
    log.attempts.push([attempt, delay]);
    log.events.push(`attempt ${attempt}`);
  });
  client.on('error', (error) => {
    log.errors.push(error);
    log.events.push('error');
  });
  client.on('open', () => log.events.push('open'));
  client.on('close', (code) => log.events.push(`close ${code}`));
  client.on('end', (reason) => log.events.push(`end ${reason}`));
  return log;
}

const clients: Reconnecting[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

function track(client: Reconnecting): Reconnecting {
  clients.push(client);
  return client;
}

describe('backoffDelay: exponential backoff with full jitter', () => {
  it('is uniform between 0 and min(maxDelay, minDelay * factor^(retry-1))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (retry, minDelay, extra, factor, random) => {
          const maxDelay = minDelay + extra;
          const bound = Math.floor(Math.min(maxDelay, minDelay * factor ** (retry - 1)));
          const delay = backoffDelay(retry, minDelay, maxDelay, factor, () => random);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(bound);
        },
      ),
    );
  });

  it('reaches both ends of its range, and the cap', () => {
    expect(backoffDelay(1, 100, 1000, 2, () => 0)).toBe(0);
    expect(backoffDelay(1, 100, 1000, 2, () => 0.9999999)).toBe(100);
    expect(backoffDelay(3, 100, 1000, 2, () => 0.9999999)).toBe(400);
    expect(backoffDelay(50, 100, 1000, 2, () => 0.9999999)).toBe(1000);
  });
});

describe('reconnecting(url, options)', () => {
  it('connects, reconnects with backoff while the server is down, and opens again once it is back', async () => {
    const first = await startServer();
    const client = track(reconnecting(`ws://127.0.0.1:${first.port}/`, { minDelay: MIN, maxDelay: MAX }));
    const log = record(client);
    const [connection] = await next<[Connection]>(client, 'open');
    expect(client.connection).toBe(connection);
    expect(log.attempts).toEqual([[1, 0]]);

    // The server goes away: the connection closes (1001, going away) and attempts fail.
    const closedAt = next<[number]>(client, 'close');
    await first.server.close();
    expect((await closedAt)[0]).toBe(1001);
    expect(client.connection).toBeNull();
    while (log.errors.length < 3) await next(client, 'error');

    // Back on the same port: the next attempt opens a new connection.
    const second = await startServer(first.port);
    servers.push(second.server);
    const [reopened] = await next<[Connection]>(client, 'open');
    expect(reopened).not.toBe(connection);
    const echo = new Promise((resolve) => reopened.once('message', resolve));
    reopened.send('back');
    expect(await echo).toBe('back');

    const retries = log.attempts.slice(1);
    expect(retries.length).toBeGreaterThanOrEqual(4);
    // Numbered from 1 again after the open, each delay within its capped bound.
    retries.forEach(([attempt, delay], i) => {
      expect(attempt).toBe(i + 1);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(MAX, MIN * 2 ** i));
    });
    expect(log.errors.map((error) => (error as NodeJS.ErrnoException).code)).toEqual(
      log.errors.map(() => 'ECONNREFUSED'),
    );
    expect(log.events[0]).toBe('attempt 1');
    expect(log.events).toContain('close 1001');
    expect(log.events.at(-1)).toBe('open');
  });

  it('gives up after maxAttempts failures in a row', async () => {
    const port = await freePort();
    const client = track(reconnecting(`ws://127.0.0.1:${port}/`, { minDelay: MIN, maxDelay: MAX, maxAttempts: 3 }));
    const log = record(client);
    expect(await next(client, 'end')).toEqual(['maxAttempts']);
    expect(log.attempts.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(log.errors).toHaveLength(3);
    expect(client.isStopped).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, MAX * 3));
    expect(log.attempts).toHaveLength(3);
  });

  it('close() between attempts cancels the next one', async () => {
    const port = await freePort();
    const client = track(reconnecting(`ws://127.0.0.1:${port}/`, { minDelay: 50, maxDelay: 50 }));
    const log = record(client);
    await next(client, 'error');
    client.close();
    client.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(log.attempts).toHaveLength(2); // the first, and the one scheduled before close()
    expect(log.events.at(-1)).toBe('end closed');
    expect(log.events.filter((event) => event.startsWith('end'))).toHaveLength(1);
  });

  it('close(code, reason) closes the open connection with them and does not reconnect', async () => {
    const { server, port } = await startServer();
    servers.push(server);
    const client = track(reconnecting(`ws://127.0.0.1:${port}/`, { minDelay: MIN, maxDelay: MAX }));
    const log = record(client);
    await next(client, 'open');
    const serverSaw = new Promise((resolve) => server.once('close', (_c, code, reason) => resolve([code, reason])));
    client.close(4000, 'bye');
    expect(await serverSaw).toEqual([4000, 'bye']);
    await new Promise((resolve) => setTimeout(resolve, MAX * 3));
    expect(log.attempts).toHaveLength(1);
    expect(server.clients.size).toBe(0);
  });

  it('close() during a handshake aborts it: a server that never answers gets its socket closed', async () => {
    const sockets: net.Socket[] = [];
    // Reads (and ignores) what comes, so it sees the client's FIN.
    const silent = net.createServer((socket) => sockets.push(socket.resume()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const client = track(reconnecting(`ws://127.0.0.1:${port}/`, { minDelay: MIN, maxDelay: MAX }));
      const log = record(client);
      while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const gone = new Promise((resolve) => sockets[0].once('close', resolve));
      client.close();
      await gone;
      expect(log.events).toEqual(['attempt 1', 'end closed']);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('checks its options', () => {
    expect(() => reconnecting('ws://127.0.0.1:1/', { maxDelai: 5 } as never)).toThrow(TypeError);
    expect(() => reconnecting('ws://127.0.0.1:1/', { minDelay: 100, maxDelay: 10 })).toThrow(
      /maxDelay must be at least minDelay/,
    );
    expect(() => reconnecting('ws://127.0.0.1:1/', { minDelay: -1 })).toThrow(RangeError);
    expect(() => reconnecting('ws://127.0.0.1:1/', { factor: 0.5 })).toThrow(RangeError);
    expect(() => reconnecting('ws://127.0.0.1:1/', { maxAttempts: 0 })).toThrow(RangeError);
    // connect()'s own checks run once, up front.
    expect(() => reconnecting('http://127.0.0.1:1/')).toThrow();
    expect(() => reconnecting('ws://127.0.0.1:1/', { connectOptions: { treshold: 1 } as never })).toThrow(TypeError);
  });

  it('aborting connectOptions.signal stops it like close()', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const client = track(
      reconnecting(`ws://127.0.0.1:${port}/`, {
        minDelay: MIN,
        maxDelay: MAX,
        connectOptions: { signal: controller.signal },
      }),
    );
    const log = record(client);
    await next(client, 'error');
    controller.abort();
    expect(client.isStopped).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, MAX * 3));
    expect(log.events.at(-1)).toBe('end closed');
    expect(log.attempts.length).toBeLessThanOrEqual(2);
  });
});
