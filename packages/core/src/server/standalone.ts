import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isRejection, validateUpgrade } from '../handshake/handshake';
import { Rejections } from '../handshake/rejections';
import type { HandshakeDeadlines } from './handshake-deadlines';
import { pathOf } from './path';

/** What a standalone HTTP server reports to the WebSocket server that owns it. */
export interface StandaloneHost {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  onListening(): void;
  onHttpError(error: Error): void;
  readonly handshakeDeadlines: HandshakeDeadlines;
}

export interface StandaloneOptions {
  readonly host: string | undefined;
  readonly port: number;
  readonly path: string | undefined;
  readonly handshakeTimeout: number;
}

/**
 * Standalone mode: an HTTP server of our own that only upgrades. Each socket's handshake
 * deadline runs from the moment it is accepted until the 101 is written (`HandshakeDeadlines`),
 * however slowly the request trickles in. Node's own `headersTimeout` and `requestTimeout` are
 * set to the same value as a backstop (Node checks them only every 30 s). Closing answers 503 to
 * the sockets still sending their request rather than waiting for them.
 */
export class StandaloneHttpServer {
  readonly httpServer: HttpServer;
  private readonly deadlines: HandshakeDeadlines;

  constructor(host: StandaloneHost, options: StandaloneOptions) {
    const httpServer = createServer({
      headersTimeout: options.handshakeTimeout,
      requestTimeout: options.handshakeTimeout,
    });
    this.httpServer = httpServer;
    const deadlines = host.handshakeDeadlines;
    this.deadlines = deadlines;
    httpServer.on('connection', (socket: Socket) => deadlines.start(socket, false));
    httpServer.on('request', (request: IncomingMessage, response: ServerResponse) =>
      answerPlainRequest(options.path, request, response),
    );
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      deadlines.markRequestRead(socket);
      host.handleUpgrade(request, socket, head);
    });
    httpServer.on('error', (error: Error) => host.onHttpError(error));
    httpServer.on('listening', () => host.onListening());
    httpServer.listen(options.port, options.host);
  }

  /** Stops listening; `callback` once every socket, upgraded ones included, is closed. */
  close(callback: () => void): void {
    this.httpServer.close(() => callback());
    // Clients still sending (or idle after) an HTTP request are answered 503 now.
    this.deadlines.refuseUnread(Rejections.shuttingDown());
  }
}

/** A plain HTTP request gets the handshake's error answer: 404 off `path`, else 400 and why. */
function answerPlainRequest(path: string | undefined, request: IncomingMessage, response: ServerResponse): void {
  const requestPath = pathOf(request.url);
  const upgrade = validateUpgrade(request);
  const rejection =
    path !== undefined && requestPath !== path
      ? Rejections.notFound()
      : isRejection(upgrade)
        ? upgrade
        : Rejections.notAnUpgrade();
  response.writeHead(rejection.status, {
    ...rejection.headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
  });
  response.end(rejection.message);
}
