/**
 * The three serving modes of the README (standalone, attached, no server), plus attached to an
 * `https` server with a certificate made at test time (test/helpers/tls-cert.ts).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server, type Connection } from '@ws/core';
import { observe, portOf, useHarness } from '../helpers/harness';
import { upgradeRequest } from '../helpers/raw-http';
import { selfSignedCertificate } from '../helpers/tls-cert';

const h = useHarness();

/** An HTTP server with one ordinary route, to show it keeps working beside WebSocket servers. */
function httpWithRoute(): http.Server {
  return http.createServer((request, response) => {
    if (request.url === '/hello') response.end('world');
    else response.writeHead(404).end();
  });
}

function get(port: number, path: string): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode, body }));
      })
      .on('error', reject);
  });
}

const echo = (server: Server): void => {
  server.on('message', (data: string | Buffer, connection: Connection, isBinary: boolean) =>
    connection.send(data, { binary: isBinary }),
  );
};

describe('standalone mode', () => {
  it('emits listening and reports its address', async () => {
    const { server, port } = await h.server();
    const address = server.address() as AddressInfo;
    expect([address.address, address.port, port > 0]).toEqual(['127.0.0.1', port, true]);
  });

  it('serves a ws client', async () => {
    const { server, url } = await h.server();
    echo(server);
    const client = await h.ws(url);
    client.ws.send('ping?');
    expect(await client.message()).toEqual({ data: 'ping?', isBinary: false });
  });
});

describe('attached mode', () => {
  it('serves WebSocket clients on its path', async () => {
    const { httpServer, port } = await h.httpServer(httpWithRoute());
    const observed = observe(h.adopt(new Server({ server: httpServer, path: '/ws' })));
    echo(observed.server);
    const client = await h.ws(`ws://127.0.0.1:${port}/ws`);
    client.ws.send('hi');
    expect(await client.message()).toEqual({ data: 'hi', isBinary: false });
  });

  it('leaves the HTTP server ordinary routes working', async () => {
    const { httpServer, port } = await h.httpServer(httpWithRoute());
    h.adopt(new Server({ server: httpServer, path: '/ws' }));
    await h.ws(`ws://127.0.0.1:${port}/ws`);
    expect(await get(port, '/hello')).toEqual({ status: 200, body: 'world' });
  });

  it('routes each upgrade to the Server of its path when two share one HTTP server', async () => {
    const { httpServer, port } = await h.httpServer(httpWithRoute());
    const a = observe(h.adopt(new Server({ server: httpServer, path: '/a' })));
    const b = observe(h.adopt(new Server({ server: httpServer, path: '/b' })));
    await h.ws(`ws://127.0.0.1:${port}/b`);
    await h.ws(`ws://127.0.0.1:${port}/a?x=1`);
    await h.ws(`ws://127.0.0.1:${port}/b`);
    expect([a.events.count('connection'), b.events.count('connection')]).toEqual([1, 2]);
  });

  it('answers 404 to an upgrade for a path none of the Servers serves', async () => {
    const { httpServer, port } = await h.httpServer(httpWithRoute());
    h.adopt(new Server({ server: httpServer, path: '/a' }));
    h.adopt(new Server({ server: httpServer, path: '/b' }));
    expect((await h.request(port, upgradeRequest({ path: '/c' }))).status).toBe(404);
  });

  it('keeps the HTTP server serving after the WebSocket server closes', async () => {
    const { httpServer, port } = await h.httpServer(httpWithRoute());
    const server = h.adopt(new Server({ server: httpServer, path: '/ws' }));
    await server.close();
    expect([httpServer.listening, await get(port, '/hello')]).toEqual([true, { status: 200, body: 'world' }]);
  });

  it('serves wss:// when attached to an https server', async () => {
    const { key, cert } = selfSignedCertificate();
    const httpsServer = https.createServer({ key, cert });
    h.adoptHttp(httpsServer);
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
    const port = portOf(httpsServer.address());
    const observed = observe(h.adopt(new Server({ server: httpsServer })));
    echo(observed.server);
    const client = await h.ws(`wss://127.0.0.1:${port}`, undefined, { ca: cert });
    client.ws.send('secure');
    expect(await client.message()).toEqual({ data: 'secure', isBinary: false });
  });
});

describe('no-server mode', () => {
  /** An HTTP server whose `upgrade` handler hands requests to `server.handleUpgrade`. */
  async function behindFramework(server: Server, callback?: (connection: Connection) => void): Promise<number> {
    const httpServer = httpWithRoute();
    httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      server.handleUpgrade(request, socket, head, callback),
    );
    return (await h.httpServer(httpServer)).port;
  }

  it('handshakes through handleUpgrade and serves messages', async () => {
    const observed = observe(h.adopt(new Server({ noServer: true })));
    echo(observed.server);
    const port = await behindFramework(observed.server);
    const client = await h.ws(`ws://127.0.0.1:${port}/any`);
    client.ws.send(Buffer.from([9]));
    expect(await client.message()).toEqual({ data: Buffer.from([9]), isBinary: true });
  });

  it('runs the handleUpgrade callback before the connection event', async () => {
    const order: string[] = [];
    const server = h.adopt(new Server({ noServer: true }));
    server.on('connection', () => order.push('connection event'));
    const port = await behindFramework(server, (connection) => order.push(`callback ${connection.readyState}`));
    const { events } = observe(server);
    await h.ws(`ws://127.0.0.1:${port}`);
    await events.nth('connection');
    expect(order).toEqual(['callback 1', 'connection event']);
  });

  it('answers a bad upgrade with the handshake error through handleUpgrade', async () => {
    const server = h.adopt(new Server({ noServer: true }));
    const port = await behindFramework(server);
    expect((await h.request(port, upgradeRequest({ headers: { 'Sec-WebSocket-Version': '8' } }))).status).toBe(426);
  });
});
