/**
 * The ways `connect()` reaches a server: wss:// to our Server on an https server (servername
 * sent for SNI), and a Unix domain socket by `ws+unix:` URL or the `socketPath` option.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { type Connection, Server } from '@ws/core';
import { useClients } from '../helpers/client';
import { observe, portOf, useHarness } from '../helpers/harness';
import { selfSignedCertificate } from '../helpers/tls-cert';

const h = useHarness();
const c = useClients();

function echo(server: Server): void {
  server.on('connection', (connection: Connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
}

describe('wss:// to our Server', () => {
  it('verifies the certificate with tls.ca and echoes', async () => {
    const { key, cert } = selfSignedCertificate();
    const httpsServer = https.createServer({ key, cert });
    h.adoptHttp(httpsServer);
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
    const observed = observe(h.adopt(new Server({ server: httpsServer })));
    echo(observed.server);
    const { connection, events } = await c.connect(`wss://127.0.0.1:${portOf(httpsServer.address())}/secure`, {
      tls: { ca: cert },
    });
    connection.send('over tls');
    expect(await events.nth('message')).toEqual(['over tls', false]);
    expect((await observed.connection()).connection.url).toBe('/secure');
  });

  it('sends the host name for SNI, not an IP literal', async () => {
    const { key, cert } = selfSignedCertificate('localhost');
    const names: (string | false | null)[] = [];
    const httpsServer = https.createServer({ key, cert });
    httpsServer.on('secureConnection', (socket: TLSSocket) => names.push(socket.servername));
    h.adoptHttp(httpsServer);
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
    h.adopt(new Server({ server: httpsServer }));
    const port = portOf(httpsServer.address());
    await c.connect(`wss://localhost:${port}/`, { tls: { rejectUnauthorized: false } });
    await c.connect(`wss://127.0.0.1:${port}/`, { tls: { rejectUnauthorized: false } });
    expect(names).toEqual(['localhost', false]);
  });
});

describe('Unix domain sockets', () => {
  let directory: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-client-'));
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  async function unixServer(): Promise<{ socketPath: string; server: Server }> {
    const socketPath = path.join(directory, 'server.sock');
    const httpServer = http.createServer();
    h.adoptHttp(httpServer);
    await new Promise<void>((resolve) => httpServer.listen(socketPath, resolve));
    const server = h.adopt(new Server({ server: httpServer }));
    echo(server);
    return { socketPath, server };
  }

  it('connects by a ws+unix: URL, with the request path after the colon', async () => {
    const { socketPath, server } = await unixServer();
    const observed = observe(server);
    const { connection, events } = await c.connect(`ws+unix:${socketPath}:/chat?x=1`);
    connection.send('unix');
    expect(await events.nth('message')).toEqual(['unix', false]);
    const { request } = await observed.connection();
    expect([request.url, request.headers.host]).toEqual(['/chat?x=1', 'localhost']);
  });

  it('connects by the socketPath option, the URL giving Host and path', async () => {
    const { socketPath, server } = await unixServer();
    const observed = observe(server);
    const { connection, events } = await c.connect('ws://service.internal/rpc', { socketPath });
    connection.send('by option');
    expect(await events.nth('message')).toEqual(['by option', false]);
    const { request } = await observed.connection();
    expect([request.url, request.headers.host]).toEqual(['/rpc', 'service.internal']);
  });
});
