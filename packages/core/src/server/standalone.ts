import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isRejection, validateUpgrade } from '../handshake/handshake';
import { Rejections } from '../handshake/rejections';
import { pathOf } from './path';

/** What a standalone HTTP server reports to the WebSocket server that owns it. */
export interface StandaloneHost {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  onListening(): void;
  onHttpError(error: Error): void;
}

export interface StandaloneOptions {
  readonly host: string | undefined;
  readonly port: number;
  readonly path: string | undefined;
  readonly handshakeTimeout: number;
}

/**
 * Standalone mode: an HTTP server of our own that only upgrades. A client that never finishes
 * its request is dropped when its socket timeout fires (Node's HTTP server destroys a socket
 * whose timeout nobody handles); the upgrade clears that timeout.
 */
export function listenStandalone(host: StandaloneHost, options: StandaloneOptions): HttpServer {
  const httpServer = createServer();
  httpServer.on('connection', (socket: Socket) => socket.setTimeout(options.handshakeTimeout));
  httpServer.on('request', (request: IncomingMessage, response: ServerResponse) =>
    answerPlainRequest(options.path, request, response),
  );
  httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    host.handleUpgrade(request, socket, head),
  );
  httpServer.on('error', (error: Error) => host.onHttpError(error));
  httpServer.on('listening', () => host.onListening());
  httpServer.listen(options.port, options.host);
  return httpServer;
}

/** A plain HTTP request gets the handshake's error answer: 404 off `path`, else 400 and why. */
function answerPlainRequest(path: string | undefined, request: IncomingMessage, response: ServerResponse): void {
  const requestPath = pathOf(request.url);
  const upgrade = validateUpgrade(request);
  const rejection =
    path !== undefined && requestPath !== path
      ? Rejections.notFound(requestPath)
      : isRejection(upgrade)
        ? upgrade
        : Rejections.notAnUpgrade();
  response.writeHead(rejection.status, {
    ...rejection.headers,
    'Content-Type': 'text/plain; charset=utf-8',
    Connection: 'close',
  });
  response.end(rejection.message);
}
