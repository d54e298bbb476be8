/**
 * Our client against an independent server, the `ws` package's WebSocketServer, over ws:// and
 * wss:// (a self-signed certificate the client verifies with `tls.ca`): messages, 16 MiB,
 * fragments, pings, and the close paths.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { expectSameBytes } from '../helpers/bytes';
import { useClients } from '../helpers/client';
import { Recorder } from '../helpers/events';
import { prng, randomBytes } from '../helpers/sans-io-frames';
import { selfSignedCertificate } from '../helpers/tls-cert';

const c = useClients();
const { key, cert } = selfSignedCertificate();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface WsServer {
  url: string;
  /** The server side of the `index`-th connection, with its events recorded. */
  peer(index?: number): Promise<{ socket: WebSocket; events: Recorder }>;
}

/** A `ws` server (plain or TLS) that echoes every message; fragments its sends when `fragment` is set. */
async function wsServer(secure: boolean, options: WebSocket.ServerOptions = {}): Promise<WsServer> {
  const httpsServer = secure ? https.createServer({ key, cert }) : undefined;
  const server = new WebSocketServer(
    httpsServer === undefined ? { host: '127.0.0.1', port: 0, ...options } : { server: httpsServer, ...options },
  );
  const peers: { socket: WebSocket; events: Recorder }[] = [];
  const waiters: (() => void)[] = [];
  server.on('connection', (socket) => {
    peers.push({ socket, events: new Recorder(socket, ['message', 'ping', 'pong', 'close']) });
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    for (const waiter of waiters.splice(0)) waiter();
  });
  if (httpsServer !== undefined) await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
  else await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = ((httpsServer ?? server).address() as AddressInfo).port;
  cleanups.push(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
    if (httpsServer !== undefined) await new Promise((resolve) => httpsServer.close(resolve));
  });
  return {
    url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    async peer(index = 0) {
      while (peers.length <= index) await new Promise<void>((resolve) => waiters.push(resolve));
      return peers[index];
    },
  };
}

describe.each([
  ['ws://', false],
  ['wss://', true],
])('against the ws server over %s', (_scheme, secure) => {
  const tlsOptions = secure ? { tls: { ca: cert } } : {};

  it('echoes text and binary', async () => {
    const server = await wsServer(secure);
    const { connection, events } = await c.connect(server.url, tlsOptions);
    connection.send('hello ws');
    connection.send(Buffer.from([1, 2, 3]));
    expect(await events.nth('message', 0)).toEqual(['hello ws', false]);
    expect(await events.nth('message', 1)).toEqual([Buffer.from([1, 2, 3]), true]);
  });

  it('carries 16 MiB both ways', async () => {
    const server = await wsServer(secure);
    const { connection, events } = await c.connect(server.url, tlsOptions);
    const big = randomBytes(16 * 1024 * 1024, prng(5));
    connection.send(big);
    const [echo] = await events.nth('message', 0, 20_000);
    expectSameBytes(echo, big);
  }, 30_000);

  it('reassembles a fragmented message from ws', async () => {
    const server = await wsServer(secure);
    const { events } = await c.connect(server.url, tlsOptions);
    const { socket } = await server.peer();
    socket.send('one ', { fin: false });
    socket.send('two ', { fin: false });
    socket.send('three', { fin: true });
    expect(await events.nth('message')).toEqual(['one two three', false]);
  });

  it('exchanges pings and pongs', async () => {
    const server = await wsServer(secure);
    const { connection, events } = await c.connect(server.url, tlsOptions);
    const peer = await server.peer();
    peer.socket.ping('s');
    expect(String((await events.nth('ping'))[0])).toBe('s');
    expect(String((await peer.events.nth('pong'))[0])).toBe('s');
    connection.ping('c');
    expect(String((await events.nth('pong'))[0])).toBe('c');
  });

  it('client closes with a code and reason: clean on both ends', async () => {
    const server = await wsServer(secure);
    const { connection, events } = await c.connect(server.url, tlsOptions);
    const peer = await server.peer();
    connection.close(4100, 'client bye');
    const [code, reason] = await peer.events.nth('close');
    expect([code, String(reason)]).toEqual([4100, 'client bye']);
    expect(await events.nth('close', 0, 5000)).toEqual([4100, 'client bye', true]);
  });

  it('server closes with a code and reason', async () => {
    const server = await wsServer(secure);
    const { events } = await c.connect(server.url, tlsOptions);
    (await server.peer()).socket.close(1001, 'ws going away');
    expect(await events.nth('closing')).toEqual([1001, 'ws going away']);
    expect(await events.nth('close', 0, 5000)).toEqual([1001, 'ws going away', true]);
  });

  it('server terminates: 1006', async () => {
    const server = await wsServer(secure);
    const { events } = await c.connect(server.url, tlsOptions);
    (await server.peer()).socket.terminate();
    expect(await events.nth('close')).toEqual([1006, '', false]);
  });

  it('negotiates a subprotocol with ws', async () => {
    const server = await wsServer(secure, { handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false) });
    const { connection } = await c.connect(server.url, { ...tlsOptions, protocols: ['v1', 'v2'] });
    expect(connection.protocol).toBe('v2');
  });
});

describe('wss:// certificate checks', () => {
  it('refuses a certificate it cannot verify, with the TLS error', async () => {
    const server = await wsServer(true);
    await expect(c.connect(server.url)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('passes tls options through (rejectUnauthorized: false)', async () => {
    const server = await wsServer(true);
    const { connection } = await c.connect(server.url, { tls: { rejectUnauthorized: false } });
    expect(connection.readyState).toBe(1);
  });
});
