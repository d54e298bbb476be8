import { constants, Http2ServerRequest, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { acceptBlock, refusalBlock, validateExtendedConnect } from '../handshake/extended-connect';
import type { HandshakeRejection } from '../handshake/handshake';
import { negotiatedHeaders } from '../handshake/handshake';
import type { HandshakeTransport } from './transport';
import { type EstablishedCallback, performUpgrade, type UpgradeHost } from './upgrade';

const NO_HEAD = Buffer.alloc(0);

/**
 * HTTP/2 (RFC 8441): the accept is `:status 200` with the negotiated subprotocol and
 * extensions and no `Sec-WebSocket-Accept` (§5); a refusal is an HTTP/2 response on the stream.
 * The request is Node's own `Http2ServerRequest`, as its compatibility API would give it.
 */
export const streamTransport: HandshakeTransport = {
  kind: 'h2',
  validate: (request) => validateExtendedConnect(request.headers),
  acceptLines: (_upgrade, protocol, extensions) => negotiatedHeaders(protocol, extensions),
  accept: (stream, lines) => (stream as ServerHttp2Stream).respond(acceptBlock(lines)),
  refuse: refuseStream,
  remoteAddress: (stream) => (stream as ServerHttp2Stream).session?.socket?.remoteAddress,
};

/** The handshake for one HTTP/2 stream; the path, limits and `verifyClient` are as on HTTP/1.1. */
export function performStreamUpgrade(
  host: UpgradeHost,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  callback?: EstablishedCallback,
): void {
  const request = new Http2ServerRequest(stream, headers, {}, rawHeadersOf(headers));
  performUpgrade(host, request, stream, NO_HEAD, callback, streamTransport);
}

/** Answers a refused extended CONNECT with its status and message, then ends the stream. */
export function refuseStream(socket: Duplex, rejection: HandshakeRejection): void {
  const stream = socket as ServerHttp2Stream;
  if (stream.destroyed) return;
  if (stream.headersSent || !stream.writable) {
    stream.close(constants.NGHTTP2_CANCEL);
    return;
  }
  try {
    stream.respond(refusalBlock(rejection));
  } catch {
    // A header value Node's HTTP/2 refuses: the stream gets a reset rather than a crash.
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  // RFC 9113 §8.1: a complete answer, then RST_STREAM NO_ERROR tells the client to stop sending.
  stream.end(rejection.message, () => stream.close(constants.NGHTTP2_NO_ERROR));
}

function rawHeadersOf(headers: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) raw.push(name, item);
  }
  return raw;
}
