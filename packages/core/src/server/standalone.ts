import { IncomingMessage } from 'node:http';
import { type Server as NetServer, type Socket, createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HandshakeRejection, isRejection, validateUpgrade } from '../handshake/handshake';
import { type RequestHead, RequestHeadReader, parseRequestHead } from '../handshake/request-head';
import { Rejections } from '../handshake/rejections';
import type { HandshakeDeadlines } from './handshake-deadlines';
import { pathOf } from './path';
import { abort, destroyOnError } from './reject';

/** What a standalone server reports to the WebSocket server that owns it. */
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
}

/**
 * Standalone mode: a TCP server of our own that reads each socket's HTTP/1.1 request head
 * itself (request-head.ts) and only upgrades. Node's HTTP server would build a parser, a
 * server-side socket setup and its timers per socket to hand over one request: this reads the
 * head (most often one chunk) and makes the `IncomingMessage` the API promises, with Node's own
 * header handling (`rawHeaders`, `headers` built from them when first read). Handshakes cost
 * 12% less server CPU (151 against 171 us a handshake, 5 alternated rounds).
 *
 * Each socket's handshake deadline runs from the accept until the 101 is written
 * (`HandshakeDeadlines`), however slowly the request trickles in. A plain request (no
 * `Upgrade`) is answered with the handshake's error, 404 off `path`, and the socket closed.
 * Closing answers 503 to the sockets still sending their request rather than waiting for them.
 */
export class StandaloneHttpServer {
  readonly netServer: NetServer;
  private readonly host: StandaloneHost;
  private readonly path: string | undefined;

  constructor(host: StandaloneHost, options: StandaloneOptions) {
    this.host = host;
    this.path = options.path;
    // As Node's HTTP server makes its sockets: half-open allowed (a peer's FIN does not end our
    // side: a connection still answers its close), and no Nagle delay on what is answered.
    const netServer = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.netServer = netServer;
    netServer.on('error', (error: Error) => host.onHttpError(error));
    netServer.on('listening', () => host.onListening());
    netServer.listen(options.port, options.host);
  }

  /** Stops listening; `callback` once every socket, upgraded ones included, is closed. */
  close(callback: () => void): void {
    this.netServer.close(() => callback());
    // Clients still sending (or idle after) an HTTP request are answered 503 now.
    this.host.handshakeDeadlines.refuseUnread(Rejections.shuttingDown());
  }

  private accept(socket: Socket): void {
    this.host.handshakeDeadlines.start(socket, false);
    socket.on('error', destroyOnError);
    const reader = new RequestHeadReader();
    // The peer's FIN before its head ended: nothing will complete it. A connect that sent
    // nothing at all (a health check, a browser's preconnect) is closed without an answer.
    const onEnd = (): void => {
      socket.removeListener('data', onData);
      if (reader.isEmpty) socket.destroy();
      else refuse(socket, { status: 400, message: 'The request ended before its head did' });
    };
    const onData = (chunk: Buffer): void => {
      // Answered already (its deadline, or the server closing): what comes next is not read.
      if (socket.writableEnded) return;
      const read = reader.push(chunk);
      if (read === null) return;
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      if (isRejection(read)) return refuse(socket, read);
      const head = parseRequestHead(read.text);
      if (isRejection(head)) return refuse(socket, head);
      this.onRequest(requestOf(head, socket), socket, read.rest);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
  }

  private onRequest(request: IncomingMessage, socket: Socket, rest: Buffer): void {
    if (request.headers.upgrade === undefined) return refuse(socket, this.plainRequestAnswer(request));
    (request as { upgrade?: boolean }).upgrade = true; // as Node sets it (untyped)
    this.host.handshakeDeadlines.markRequestRead(socket);
    socket.removeListener('error', destroyOnError); // the handshake sets its own
    // As Node's HTTP server does before 'upgrade': what comes next waits, unread, for the
    // connection's own 'data' listener (a verifyClient may take a while).
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    this.host.handleUpgrade(request, socket, rest);
  }

  /** A plain HTTP request gets the handshake's error answer: 404 off `path`, else 400 and why. */
  private plainRequestAnswer(request: IncomingMessage): HandshakeRejection {
    if (this.path !== undefined && pathOf(request.url) !== this.path) return Rejections.notFound();
    const upgrade = validateUpgrade(request);
    return isRejection(upgrade) ? upgrade : Rejections.notAnUpgrade();
  }
}

type HeaderLines = IncomingMessage & { _addHeaderLines(headers: string[], count: number): void };

/**
 * An answered request's socket: what else the client sends is read and dropped (unread input
 * makes closing send a reset, which can wipe the answer off the wire before the client reads it).
 */
function refuse(socket: Socket, rejection: HandshakeRejection): void {
  socket.resume();
  abort(socket, rejection);
}

/** The `IncomingMessage` Node's HTTP server would have made of this head. */
function requestOf(head: RequestHead, socket: Socket): IncomingMessage {
  const request = new IncomingMessage(socket) as HeaderLines;
  request.method = head.method;
  request.url = head.url;
  request.httpVersionMajor = head.httpVersionMajor;
  request.httpVersionMinor = head.httpVersionMinor;
  request.httpVersion = `${head.httpVersionMajor}.${head.httpVersionMinor}`;
  // Node's own (there since its first HTTP server): `headers` is built from `rawHeaders` when
  // first read, duplicates joined or dropped as Node does it.
  request._addHeaderLines(head.rawHeaders, head.rawHeaders.length);
  // The head is the whole request, as Node reports an upgrade's (set after: before, the lines
  // above would be taken for trailers).
  request.complete = true;
  return request;
}
