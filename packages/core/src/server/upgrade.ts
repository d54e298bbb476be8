import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type HandshakeRejection,
  type ValidUpgrade,
  isRejection,
  rejectResponse,
  validateUpgrade,
} from '../handshake/handshake';
import type { ResolvedOptions, VerifyResult } from './options';
import { pathOf } from './path';
import { destroyOnError } from './upgrade-router';

/** What the handshake flow needs of the server. */
export interface UpgradeHost {
  readonly options: ResolvedOptions;
  /** False once the server is closing. */
  readonly isAccepting: boolean;
  /** Open connections plus handshakes in progress. */
  readonly connectionCount: number;
  pendingHandshakes: number;
  /** Writes the 101 and creates the connection. */
  establish(request: IncomingMessage, socket: Duplex, head: Buffer, upgrade: ValidUpgrade, callback?: EstablishedCallback): void;
  /** A pending handshake ended (accepted or not). */
  onHandshakeSettled(): void;
}

export type EstablishedCallback = (connection: import('./connection').Connection, request: IncomingMessage) => void;

/**
 * The opening handshake over a socket: checks, connection limit, `verifyClient` (sync or async,
 * bounded by `handshakeTimeout`), then accept or a plain HTTP error that closes the socket.
 */
export function performUpgrade(
  host: UpgradeHost,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  callback?: EstablishedCallback,
): void {
  // Until the connection owns it, a socket error must only end this socket.
  socket.on('error', destroyOnError);
  const options = host.options;
  if (!host.isAccepting) return abort(socket, { status: 503, message: 'The server is shutting down' });
  if (options.path !== undefined && pathOf(request.url) !== options.path) {
    return abort(socket, { status: 404, message: `No WebSocket endpoint at ${pathOf(request.url)}` });
  }
  const upgrade = validateUpgrade(request);
  if (isRejection(upgrade)) return abort(socket, upgrade);
  if (host.connectionCount >= options.maxConnections) {
    return abort(socket, { status: 503, message: 'Too many connections', headers: { 'Retry-After': '1' } });
  }

  const verify = options.verifyClient;
  if (verify === undefined) return host.establish(request, socket, head, upgrade, callback);

  let result: VerifyResult | Promise<VerifyResult>;
  try {
    result = verify(request);
  } catch {
    return abort(socket, { status: 500, message: 'Internal Server Error' });
  }
  if (!isPromiseLike(result)) return settle(host, request, socket, head, upgrade, result, callback);

  host.pendingHandshakes++;
  let done = false;
  const timer = setTimeout(() => {
    done = true;
    host.pendingHandshakes--;
    abort(socket, { status: 408, message: 'Handshake timed out' });
    host.onHandshakeSettled();
  }, options.handshakeTimeout);
  result.then(
    (value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      host.pendingHandshakes--;
      settle(host, request, socket, head, upgrade, value, callback);
      host.onHandshakeSettled();
    },
    () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      host.pendingHandshakes--;
      abort(socket, { status: 500, message: 'Internal Server Error' });
      host.onHandshakeSettled();
    },
  );
}

function settle(
  host: UpgradeHost,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  upgrade: ValidUpgrade,
  result: VerifyResult,
  callback: EstablishedCallback | undefined,
): void {
  if (socket.destroyed) return;
  if (!host.isAccepting) return abort(socket, { status: 503, message: 'The server is shutting down' });
  if (result === true) return host.establish(request, socket, head, upgrade, callback);
  if (result === false || result === null || typeof result !== 'object') {
    return abort(socket, { status: 401, message: 'Unauthorized' });
  }
  const status = Number.isInteger(result.status) && result.status >= 400 && result.status <= 599 ? result.status : 500;
  abort(socket, { status, message: result.message ?? '', headers: result.headers });
}

/** Answers with a plain HTTP error and closes the socket. */
export function abort(socket: Duplex, rejection: HandshakeRejection): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rejectResponse(rejection), () => socket.destroy());
}

function isPromiseLike(value: unknown): value is Promise<VerifyResult> {
  return typeof (value as Promise<VerifyResult> | null)?.then === 'function';
}
