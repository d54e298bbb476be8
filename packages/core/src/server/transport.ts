import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Duplex } from 'node:stream';
import {
  type HandshakeRejection,
  type ValidUpgrade,
  acceptHeaders,
  acceptResponse,
  validateUpgrade,
} from '../handshake/handshake';
import { abort } from './reject';

/** How a connection reached us: an HTTP/1.1 upgrade (RFC 6455) or an HTTP/2 stream (RFC 8441). */
export type TransportKind = 'h1' | 'h2';

/**
 * The request a WebSocket was opened with: Node's `IncomingMessage` over HTTP/1.1, its
 * `Http2ServerRequest` over HTTP/2 (`method` is then `'CONNECT'`, `url` the `:path`, and
 * `headers` holds the pseudo-headers too). Both have `headers`, `url`, `method`, `httpVersion`
 * and `socket`.
 */
export type UpgradeRequest = IncomingMessage | Http2ServerRequest;

/**
 * What differs in the handshake between the transports: how the request is checked and how the
 * accept or a refusal is sent. Everything else (path, limits, `verifyClient`, negotiation, the
 * `Connection`) is shared, and after the accept a `Connection` reads and writes either one as
 * a plain `Duplex`: a socket, or an `Http2Stream` (end = END_STREAM, destroy = RST_STREAM).
 */
export interface HandshakeTransport {
  readonly kind: TransportKind;
  validate(request: UpgradeRequest): ValidUpgrade | HandshakeRejection;
  /** The answer's header lines (`Name: value`), shown to `headers` listeners before `accept`. */
  acceptLines(upgrade: ValidUpgrade, protocol: string, extensions: string): string[];
  accept(socket: Duplex, lines: readonly string[]): void;
  /** Answers with an HTTP error and ends this socket or stream for good. */
  refuse(socket: Duplex, rejection: HandshakeRejection): void;
  /** The peer's address where the socket does not have it (h2: the session's); absent: the socket's own, read lazily. */
  remoteAddress?(socket: Duplex): string | undefined;
}

/** HTTP/1.1: `101 Switching Protocols` written on the socket, errors as plain HTTP answers. */
export const socketTransport: HandshakeTransport = {
  kind: 'h1',
  validate: (request) => validateUpgrade(request),
  acceptLines: (upgrade, protocol, extensions) => acceptHeaders(upgrade.key, protocol, extensions),
  accept: (socket, lines) => socket.write(acceptResponse(lines)),
  refuse: abort,
};
