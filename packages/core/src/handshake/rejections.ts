import type { HandshakeRejection } from './handshake';

/** A body from user code (`verifyClient`'s message) is cut to this many characters. */
export const MAX_MESSAGE_LENGTH = 200;

/**
 * The HTTP answers to an upgrade that is not accepted, beyond what `validateUpgrade` decides
 * from the request itself. Statuses are chosen here and in `validateUpgrade`, nowhere else.
 * Bodies are fixed sentences: nothing from the request (path, headers) is echoed into them.
 */
export const Rejections = {
  notFound: (): HandshakeRejection => ({ status: 404, message: 'No WebSocket endpoint at this path' }),
  forbiddenOrigin: (): HandshakeRejection => ({ status: 403, message: 'Origin not allowed' }),
  shuttingDown: (): HandshakeRejection => ({ status: 503, message: 'The server is shutting down' }),
  tooManyConnections: (): HandshakeRejection => ({
    status: 503,
    message: 'Too many connections',
    headers: { 'Retry-After': '1' },
  }),
  unauthorized: (): HandshakeRejection => ({ status: 401, message: 'Unauthorized' }),
  timedOut: (): HandshakeRejection => ({ status: 408, message: 'Handshake timed out' }),
  internalError: (): HandshakeRejection => ({ status: 500, message: 'Internal Server Error' }),
  /** A plain HTTP request (no upgrade) that somehow passed every header check. */
  notAnUpgrade: (): HandshakeRejection => ({ status: 400, message: 'Expected a WebSocket upgrade request' }),
  /** `verifyClient`'s own refusal: any 4xx or 5xx status, anything else counts as a 500. */
  refused: (status: number, message = '', headers?: Record<string, string>): HandshakeRejection =>
    Number.isInteger(status) && status >= 400 && status <= 599
      ? { status, message: plainLine(message), headers }
      : { status: 500, message: 'Internal Server Error' },
};

/** One short line of text: control characters become spaces, and the length is capped. */
function plainLine(message: unknown): string {
  let text = String(message).replace(/[\x00-\x1f\x7f]/g, ' ');
  if (text.length > MAX_MESSAGE_LENGTH) {
    text = text.slice(0, MAX_MESSAGE_LENGTH);
    // Do not leave half of a surrogate pair at the cut.
    if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
  }
  return text;
}
