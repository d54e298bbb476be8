import { STATUS_CODES } from 'node:http';
import type { ExtensionOffer } from '../extension/extension';
import { acceptKey, isValidKey } from './accept-key';
import { parseExtensionHeader } from './extension-header';
import { parseSubprotocolHeader } from './subprotocol-header';
import { isToken, listHasToken } from './tokens';

/**
 * The opening handshake as pure functions (RFC 6455 §4.2): a request's method, version and
 * headers in, a valid upgrade or a rejection out; then the bytes of the answer. The I/O layer
 * decides where those bytes go (a raw socket, or an `http.ServerResponse`).
 */
export interface UpgradeRequestHead {
  readonly method?: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface ValidUpgrade {
  readonly key: string;
  /** Subprotocols offered by the client, in its order. */
  readonly protocols: readonly string[];
  readonly extensionOffers: readonly ExtensionOffer[];
}

export interface HandshakeRejection {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function isRejection<T extends object>(value: T | HandshakeRejection): value is HandshakeRejection {
  return (value as HandshakeRejection).status !== undefined;
}

function reject(status: number, message: string, headers?: Record<string, string>): HandshakeRejection {
  return { status, message, headers };
}

/** A header that must appear once: repeated ones arrive joined by commas or as an array. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Checks the request against RFC 6455 §4.2.1. Statuses are chosen here and only here. */
export function validateUpgrade(request: UpgradeRequestHead): ValidUpgrade | HandshakeRejection {
  if (request.method !== 'GET') {
    return reject(405, 'The WebSocket handshake must be a GET request', { Allow: 'GET' });
  }
  if (request.httpVersionMajor < 1 || (request.httpVersionMajor === 1 && request.httpVersionMinor < 1)) {
    return reject(400, 'The WebSocket handshake needs HTTP/1.1 or later');
  }
  const headers = request.headers;
  const host = single(headers.host);
  if (host === undefined || host.trim() === '') return reject(400, 'Missing Host header');
  const upgrade = single(headers.upgrade);
  if (upgrade === undefined || !listHasToken(upgrade, 'websocket')) {
    return reject(400, 'Missing or invalid Upgrade header: expected "websocket"');
  }
  const connection = single(headers.connection);
  if (connection === undefined || !listHasToken(connection, 'upgrade')) {
    return reject(400, 'Missing or invalid Connection header: expected "Upgrade"');
  }
  const versionRejection = checkVersion(headers);
  if (versionRejection !== null) return versionRejection;
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !isValidKey(key.trim())) {
    return reject(400, 'Missing or invalid Sec-WebSocket-Key header: expected base64 of 16 bytes');
  }
  const offers = parseOffers(headers);
  if (isRejection(offers)) return offers;
  return { key: key.trim(), ...offers };
}

type RequestHeaders = UpgradeRequestHead['headers'];

/** `Sec-WebSocket-Version` (RFC 6455 §4.2.1 item 6; RFC 8441 §5 keeps it over HTTP/2). */
export function checkVersion(headers: RequestHeaders): HandshakeRejection | null {
  const version = single(headers['sec-websocket-version']);
  if (version === undefined || version.includes(',')) {
    return reject(400, 'Missing or repeated Sec-WebSocket-Version header');
  }
  if (version.trim() !== '13') {
    // RFC 6455 §4.2.2: name the version we speak.
    return reject(426, 'Unsupported WebSocket version: only 13 is supported', { 'Sec-WebSocket-Version': '13' });
  }
  return null;
}

/** The subprotocols and extensions the client offers, parsed the same way on HTTP/1.1 and HTTP/2. */
export function parseOffers(headers: RequestHeaders): Omit<ValidUpgrade, 'key'> | HandshakeRejection {
  let protocols: readonly string[] = [];
  const protocolHeader = single(headers['sec-websocket-protocol']);
  if (protocolHeader !== undefined) {
    const parsed = parseSubprotocolHeader(protocolHeader);
    if (parsed === null) return reject(400, 'Invalid Sec-WebSocket-Protocol header');
    protocols = parsed;
  }
  let extensionOffers: readonly ExtensionOffer[] = [];
  const extensionHeader = single(headers['sec-websocket-extensions']);
  if (extensionHeader !== undefined) {
    const parsed = parseExtensionHeader(extensionHeader);
    if (parsed === null) return reject(400, 'Invalid Sec-WebSocket-Extensions header');
    extensionOffers = parsed;
  }
  return { protocols, extensionOffers };
}

/** The header lines of the 101 answer (RFC 6455 §4.2.2 step 5). */
export function acceptHeaders(key: string, protocol: string, extensions: string): string[] {
  const headers = ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  return headers.concat(negotiatedHeaders(protocol, extensions));
}

/** The negotiated subprotocol and extensions, as answered on HTTP/1.1 and HTTP/2 alike. */
export function negotiatedHeaders(protocol: string, extensions: string): string[] {
  const headers: string[] = [];
  if (protocol !== '') headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensions !== '') headers.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return headers;
}

/** The 101 answer's bytes; lines that could split the response (CR, LF) are left out. */
export function acceptResponse(headers: readonly string[]): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const line of headers) if (!/[\r\n]/.test(line)) head += `${line}\r\n`;
  return head + '\r\n';
}

/** Headers this answer sets itself: extra headers may not repeat them. */
const FRAMING_HEADERS = new Set([
  'connection',
  'content-length',
  'content-type',
  'transfer-encoding',
  'x-content-type-options',
]);

/**
 * A plain HTTP error answer that closes the connection. Extra headers (they may come from
 * `verifyClient`) are kept only with token names and values free of control characters, so
 * nothing can be injected into the response.
 */
export function rejectResponse(rejection: HandshakeRejection): string {
  const body = rejection.message;
  let head =
    `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, text] of safeHeaders(rejection.headers, FRAMING_HEADERS)) head += `${name}: ${text}\r\n`;
  return head + '\r\n' + body;
}

/**
 * Extra headers that are safe to answer with: token names not in `reserved` (compared in
 * lower case), values free of control characters, so nothing can be injected into a response.
 */
export function safeHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  reserved: ReadonlySet<string>,
): Array<[string, string]> {
  const safe: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!isToken(name) || reserved.has(name.toLowerCase())) continue;
    const text = String(value);
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) continue;
    safe.push([name, text]);
  }
  return safe;
}
