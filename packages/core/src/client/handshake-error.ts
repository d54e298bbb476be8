/** The stable `code` of a {@link HandshakeError}: which rule of the opening handshake failed. */
export type HandshakeErrorCode =
  /** The server answered with a status other than 101 (a redirect too, unless followed). */
  | 'ERR_WS_STATUS'
  /** The response had no `Upgrade: websocket` (RFC 6455 §4.1, rule 2). */
  | 'ERR_WS_UPGRADE'
  /** The response's `Connection` header had no `upgrade` token (rule 3). */
  | 'ERR_WS_CONNECTION'
  /** `Sec-WebSocket-Accept` missing or not the hash of our key (rule 4). */
  | 'ERR_WS_ACCEPT_KEY'
  /** A subprotocol we did not offer, or more than one (rule 6). */
  | 'ERR_WS_SUBPROTOCOL'
  /** An extension we did not offer, one answered twice, a malformed header, or parameters the extension refused (rule 5). */
  | 'ERR_WS_EXTENSION'
  /** Not an HTTP/1.1 response: a malformed status line or header, a head past 16 KiB, or the connection closed before the head ended. */
  | 'ERR_WS_RESPONSE'
  /** No complete answer within `handshakeTimeout`. */
  | 'ERR_WS_TIMEOUT'
  /** More redirects than `maxRedirects`, or a `Location` that is not a ws/wss/http/https URL. */
  | 'ERR_WS_REDIRECT'
  /** `signal` aborted the handshake. */
  | 'ERR_WS_ABORTED';

/**
 * Why `connect()` failed to open a WebSocket: the server's answer broke a rule of RFC 6455 §4.1
 * (or HTTP), or the handshake timed out or was aborted. The message names the rule. Network
 * failures (ECONNREFUSED, TLS certificate errors) reject with Node's own error instead.
 */
export class HandshakeError extends Error {
  /** Which rule failed, as a stable identifier. */
  readonly code: HandshakeErrorCode;
  /** The HTTP status of the answer, when there was one. */
  readonly status: number | undefined;

  constructor(code: HandshakeErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'HandshakeError';
    this.code = code;
    this.status = status;
  }
}
