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
 * whose timeout nobody handles); the upgrade clears that timeout. Sockets still in their HTTP
 * phase are tracked so that closing does not wait for them.
 */
export class StandaloneHttpServer {
  readonly httpServer: HttpServer;
  private readonly unfinished = new Set<Socket>();

  constructor(host: StandaloneHost, options: StandaloneOptions) {
    const httpServer = createServer();
    this.httpServer = httpServer;
    httpServer.on('connection', (socket: Socket) => {
      socket.setTimeout(options.handshakeTimeout);
      this.unfinished.add(socket);
      socket.once('close', () => this.unfinished.delete(socket));
    });
    httpServer.on('request', (request: IncomingMessage, response: ServerResponse) =>
      answerPlainRequest(options.path, request, response),
    );
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.unfinished.delete(socket as Socket);
      host.handleUpgrade(request, socket, head);
    });
    httpServer.on('error', (error: Error) => host.onHttpError(error));
    httpServer.on('listening', () => host.onListening());
    httpServer.listen(options.port, options.host);
  }

  /** Stops listening; `callback` once every socket, upgraded ones included, is closed. */
  close(callback: () => void): void {
    this.httpServer.close(() => callback());
    // Clients still sending (or idle after) an HTTP request get no answer now.
    for (const socket of this.unfinished) socket.destroy();
    this.unfinished.clear();
  }
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
