import type { HandshakeRejection } from './handshake';

/**
 * The HTTP answers to an upgrade that is not accepted, beyond what `validateUpgrade` decides
 * from the request itself. Statuses are chosen here and in `validateUpgrade`, nowhere else.
 */
export const Rejections = {
  notFound: (path: string): HandshakeRejection => ({ status: 404, message: `No WebSocket endpoint at ${path}` }),
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
      ? { status, message, headers }
      : { status: 500, message: 'Internal Server Error' },
};
