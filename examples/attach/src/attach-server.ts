import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@ws/core';
import { presentedToken, tokenChecker } from './auth';

export interface AttachOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; `0` picks a free one. Default `8080`. */
  port?: number;
  /** The secret clients present as `?token=` or a `token` cookie. Default: 16 random bytes, hex. */
  token?: string;
}

export interface AttachHandle {
  /** e.g. `http://127.0.0.1:8080` (no trailing slash) */
  readonly httpUrl: string;
  /** e.g. `ws://127.0.0.1:8080` (no trailing slash): append `/echo` or `/broadcast` */
  readonly wsUrl: string;
  readonly port: number;
  readonly token: string;
  /** Closes both WebSocket servers (clients get 1001), then the HTTP server. */
  close(): Promise<void>;
}

/**
 * An application's own `http` server, with ordinary routes, and two WebSocket endpoints attached
 * to it on the same port:
 *
 *   GET  /health             200 JSON (no token needed: load balancers call it)
 *   GET  anything else       404 JSON
 *   WS   /echo?token=…       echoes each message to its sender
 *   WS   /broadcast?token=…  sends each message to every client of /broadcast
 *   WS   any other path      404 (core: no attached Server serves it)
 *   WS   without the token   401 (verifyClient answers false)
 */
export async function startAttach(options: AttachOptions = {}): Promise<AttachHandle> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(16).toString('hex');
  const isValid = tokenChecker(token);
  const verifyClient = (request: IncomingMessage): boolean => isValid(presentedToken(request));

  const httpServer = createServer((request, response) => route(request, response));
  const echoServer = new Server({ server: httpServer, path: '/echo', verifyClient });
  const broadcastServer = new Server({ server: httpServer, path: '/broadcast', verifyClient });

  echoServer.on('message', (data, connection, isBinary) => {
    if (connection.isOpen) connection.send(data, { binary: isBinary });
  });
  broadcastServer.on('message', (data, _connection, isBinary) => broadcastServer.broadcast(data, { binary: isBinary }));
  for (const server of [echoServer, broadcastServer]) server.on('error', () => undefined);

  function route(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method === 'GET' && path === '/health') {
      return json(response, 200, {
        status: 'ok',
        clients: { echo: echoServer.clients.size, broadcast: broadcastServer.clients.size },
      });
    }
    json(response, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 8080, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });

  const { port } = httpServer.address() as AddressInfo;
  const origin = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    httpUrl: `http://${origin}`,
    wsUrl: `ws://${origin}`,
    port,
    token,
    close() {
      closed ??= (async () => {
        await Promise.all([echoServer, broadcastServer].map((server) => server.close()));
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
