import { randomBytes } from 'node:crypto';
import type { Extension, ExtensionAcceptance } from '../extension/extension';
import { acceptKey } from '../handshake/accept-key';
import { formatExtension, parseExtensionHeader } from '../handshake/extension-header';
import { isToken, listHasToken } from '../handshake/tokens';
import { HandshakeError } from './handshake-error';
import type { ResponseHead } from './response-head';

/**
 * The client's side of the opening handshake (RFC 6455 §4.1), sans-I/O: the request as text,
 * and the rules the server's response must keep, each failure a `HandshakeError` naming it.
 *
 *   createKey → buildRequest → (socket) → ResponseHeadReader → validateResponse → Connection
 */

/** What the request carries besides the fixed handshake headers. */
export interface HandshakeRequest {
  /** Request target: path and query. */
  readonly path: string;
  /** The `Host` header's value. */
  readonly host: string;
  /** `Sec-WebSocket-Key`, from `createKey()`. */
  readonly key: string;
  /** Subprotocols offered, most preferred first (none: no header). */
  readonly protocols: readonly string[];
  /** Extensions whose `offer()`s go in `Sec-WebSocket-Extensions`, in order. */
  readonly extensions: readonly Extension[];
  readonly origin: string | undefined;
  /** Extra headers, already checked (names are tokens, values have no CR, LF or NUL). */
  readonly headers: readonly (readonly [string, string])[];
}

/** What a valid response settled. */
export interface HandshakeResult {
  /** The subprotocol the server chose, or ''. */
  readonly protocol: string;
  /** The response's `Sec-WebSocket-Extensions`, or ''. */
  readonly extensions: string;
  /** The accepted extensions in the response's order, which is the order of the pipeline. */
  readonly accepted: readonly { readonly extension: Extension; readonly acceptance: ExtensionAcceptance }[];
  /** RSV bits claimed by the accepted extensions. */
  readonly rsv: number;
}

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (RFC 6455 §4.1, rule 7 of the request). */
export function createKey(): string {
  return randomBytes(16).toString('base64');
}

/** The `Sec-WebSocket-Extensions` of the request: every offer of every extension, in order. */
export function extensionOffers(extensions: readonly Extension[]): string {
  const entries: string[] = [];
  for (const extension of extensions) {
    for (const params of extension.offer!()) entries.push(formatExtension(extension.name, params));
  }
  return entries.join(', ');
}

/** The request head, up to and including the blank line. */
export function buildRequest(request: HandshakeRequest): string {
  let head =
    `GET ${request.path} HTTP/1.1\r\n` +
    `Host: ${request.host}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${request.key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n';
  if (request.protocols.length > 0) head += `Sec-WebSocket-Protocol: ${request.protocols.join(', ')}\r\n`;
  const offers = extensionOffers(request.extensions);
  if (offers !== '') head += `Sec-WebSocket-Extensions: ${offers}\r\n`;
  if (request.origin !== undefined) head += `Origin: ${request.origin}\r\n`;
  for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
  return head + '\r\n';
}

/**
 * Checks a response against RFC 6455 §4.1 (the client's rules 1-6, in order) and runs each
 * answered extension's `accept`. Throws a HandshakeError naming the first rule broken.
 */
export function validateResponse(head: ResponseHead, request: HandshakeRequest): HandshakeResult {
  if (head.status !== 101) {
    throw new HandshakeError(
      'ERR_WS_STATUS',
      `server answered ${head.status}${head.reason === '' ? '' : ` ${head.reason}`}, not 101 Switching Protocols`,
      head.status,
    );
  }
  const upgrade = head.headers.get('upgrade');
  if (upgrade === undefined || upgrade.length !== 1 || upgrade[0].toLowerCase() !== 'websocket') {
    throw new HandshakeError('ERR_WS_UPGRADE', `response Upgrade header must be "websocket", got ${describe(upgrade)}`);
  }
  const connection = head.headers.get('connection');
  if (connection === undefined || !connection.some((value) => listHasToken(value, 'upgrade'))) {
    throw new HandshakeError(
      'ERR_WS_CONNECTION',
      `response Connection header must contain the "upgrade" token, got ${describe(connection)}`,
    );
  }
  const accept = head.headers.get('sec-websocket-accept');
  if (accept === undefined || accept.length !== 1 || accept[0] !== acceptKey(request.key)) {
    throw new HandshakeError(
      'ERR_WS_ACCEPT_KEY',
      `response Sec-WebSocket-Accept must be the hash of our Sec-WebSocket-Key, got ${describe(accept)}`,
    );
  }
  const protocol = checkSubprotocol(head.headers.get('sec-websocket-protocol'), request.protocols);
  const extensionHeader = (head.headers.get('sec-websocket-extensions') ?? []).filter((v) => v !== '').join(', ');
  return { protocol, extensions: extensionHeader, ...acceptExtensions(extensionHeader, request.extensions) };
}

/** Rule 6: at most one subprotocol, and one we offered; none at all is allowed (the server declined). */
function checkSubprotocol(values: readonly string[] | undefined, offered: readonly string[]): string {
  const chosen = (values ?? []).join(',').trim();
  if (chosen === '') return '';
  if (!isToken(chosen)) {
    throw new HandshakeError(
      'ERR_WS_SUBPROTOCOL',
      `response Sec-WebSocket-Protocol must name one subprotocol, got ${JSON.stringify(chosen)}`,
    );
  }
  if (!offered.includes(chosen)) {
    const list = offered.length === 0 ? 'none was offered' : `offered: ${offered.join(', ')}`;
    throw new HandshakeError(
      'ERR_WS_SUBPROTOCOL',
      `server chose subprotocol "${chosen}", which was not offered (${list})`,
    );
  }
  return chosen;
}

/** Rule 5 (and §9.1): only extensions we offered, each once; then each one's own `accept`. */
function acceptExtensions(header: string, configured: readonly Extension[]): Pick<HandshakeResult, 'accepted' | 'rsv'> {
  if (header === '') return { accepted: [], rsv: 0 };
  const elements = parseExtensionHeader(header);
  if (elements === null) {
    throw new HandshakeError(
      'ERR_WS_EXTENSION',
      `response Sec-WebSocket-Extensions is malformed: ${JSON.stringify(header)}`,
    );
  }
  const accepted: { extension: Extension; acceptance: ExtensionAcceptance }[] = [];
  let rsv = 0;
  for (const element of elements) {
    const extension = configured.find((candidate) => candidate.name === element.name);
    if (extension === undefined) {
      throw new HandshakeError(
        'ERR_WS_EXTENSION',
        `server accepted extension "${element.name}", which was not offered`,
      );
    }
    if (accepted.some((entry) => entry.extension === extension)) {
      throw new HandshakeError('ERR_WS_EXTENSION', `server accepted extension "${element.name}" twice`);
    }
    let acceptance: ExtensionAcceptance;
    try {
      acceptance = extension.accept!(element.params);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new HandshakeError('ERR_WS_EXTENSION', `extension "${element.name}" refused the response: ${message}`);
    }
    accepted.push({ extension, acceptance });
    rsv |= extension.rsv;
  }
  return { accepted, rsv };
}

function describe(values: readonly string[] | undefined): string {
  return values === undefined ? 'none' : JSON.stringify(values.join(', '));
}
