import {
  type HandshakeRejection,
  type UpgradeRequestHead,
  type ValidUpgrade,
  checkVersion,
  isRejection,
  parseOffers,
  safeHeaders,
} from './handshake';

/**
 * The opening handshake over HTTP/2 (RFC 8441), as pure functions: a stream's headers in, a
 * valid upgrade or a rejection out; then the headers of the answer. There is no
 * `Sec-WebSocket-Key` and no `Sec-WebSocket-Accept` (§5), and the accept is `:status 200`.
 */
type RequestHeaders = UpgradeRequestHead['headers'];

/** RFC 8441 §4: the extended CONNECT that asks for a WebSocket. Other `:protocol`s are not ours. */
export function isWebSocketConnect(headers: RequestHeaders): boolean {
  const protocol = headers[':protocol'];
  return headers[':method'] === 'CONNECT' && typeof protocol === 'string' && protocol.toLowerCase() === 'websocket';
}

function present(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

/** Checks an extended CONNECT against RFC 8441 §4-5 and RFC 6455 §4.2.1 (version, offers). */
export function validateExtendedConnect(headers: RequestHeaders): ValidUpgrade | HandshakeRejection {
  if (!isWebSocketConnect(headers)) {
    return { status: 400, message: 'Expected an extended CONNECT with :protocol websocket (RFC 8441)' };
  }
  // §4: unlike a plain CONNECT, the extended one carries :scheme and :path, and names its host.
  if (!present(headers[':scheme']) || !present(headers[':path'])) {
    return { status: 400, message: 'The extended CONNECT needs :scheme and :path' };
  }
  if (!present(headers[':authority']) && !present(headers.host)) {
    return { status: 400, message: 'Missing :authority' };
  }
  const versionRejection = checkVersion(headers);
  if (versionRejection !== null) return versionRejection;
  const offers = parseOffers(headers);
  if (isRejection(offers)) return offers;
  return { key: '', ...offers };
}

/** An HTTP/2 header block as Node's `respond()` takes it. */
export type H2Headers = Record<string, string | number>;

/**
 * Headers HTTP/2 forbids (RFC 9113 §8.2.2: connection-specific) or that the answer sets itself:
 * a header line or a refusal header naming one is dropped, never sent.
 */
const RESERVED_H2 = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'http2-settings',
  'host',
  'content-length',
  'content-type',
  'sec-websocket-accept',
  'x-content-type-options',
]);

/**
 * The accept (`:status 200`, RFC 8441 §5) from header lines `Name: value`, as the `headers`
 * event shows them on HTTP/1.1 too. Names are lower-cased (RFC 9113 §8.2.1); malformed lines and
 * reserved names are dropped.
 */
export function acceptBlock(lines: readonly string[]): H2Headers {
  const fields: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return block(200, fields);
}

/** A refusal: the status, a plain-text body's type (not to be sniffed), and the rejection's safe extra headers. */
export function refusalBlock(rejection: HandshakeRejection): H2Headers {
  const headers = block(rejection.status, rejection.headers);
  headers['content-type'] = 'text/plain; charset=utf-8';
  headers['x-content-type-options'] = 'nosniff'; // as on HTTP/1.1: the body is never sniffed as HTML
  return headers;
}

/** Node's HTTP/2 throws on a header value with a character past Latin-1 (RFC 9110 §5.5). */
const NOT_LATIN1 = /[^\t\x20-\x7e\x80-\xff]/;

function block(status: number, fields: Readonly<Record<string, string>> | undefined): H2Headers {
  const headers: H2Headers = { ':status': status };
  for (const [name, value] of safeHeaders(fields, RESERVED_H2)) {
    if (!NOT_LATIN1.test(value)) headers[name.toLowerCase()] = value;
  }
  return headers;
}
