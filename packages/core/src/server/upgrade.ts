import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type HandshakeRejection, type ValidUpgrade, isRejection, validateUpgrade } from '../handshake/handshake';
import { Rejections } from '../handshake/rejections';
import type { Connection } from './connection';
import type { HandshakeDeadlines } from './handshake-deadlines';
import type { ResolvedOptions, VerifyResult } from './options';
import { pathOf } from './path';
import { abort, destroyOnError } from './reject';

export type EstablishedCallback = (connection: Connection, request: IncomingMessage) => void;

/** What the handshake flow needs of the server. */
export interface UpgradeHost {
  readonly options: ResolvedOptions;
  /** False once the server is closing. */
  readonly isAccepting: boolean;
  /** Open connections plus handshakes in progress. */
  readonly connectionCount: number;
  /** `handshakeTimeout`, shared by every socket in its handshake. */
  readonly handshakeDeadlines: HandshakeDeadlines;
  /** Writes the 101 and creates the connection. */
  establish(request: IncomingMessage, socket: Duplex, head: Buffer, upgrade: ValidUpgrade, callback?: EstablishedCallback): void;
  addPendingHandshake(handshake: PendingHandshake): void;
  removePendingHandshake(handshake: PendingHandshake): void;
  /** User code in the handshake (`verifyClient`) threw: answered with 500, and reported. */
  onHandshakeError(error: unknown): void;
}

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
  socket.on('error', destroyOnError);
  const options = host.options;
  if (!host.isAccepting) return abort(socket, Rejections.shuttingDown());
  if (options.path !== undefined && pathOf(request.url) !== options.path) {
    return abort(socket, Rejections.notFound());
  }
  const upgrade = validateUpgrade(request);
  if (isRejection(upgrade)) return abort(socket, upgrade);
  if (!originAllowed(host, request, socket)) return;
  if (host.connectionCount >= options.maxConnections) return abort(socket, Rejections.tooManyConnections());

  const verify = options.verifyClient;
  if (verify === undefined) return host.establish(request, socket, head, upgrade, callback);

  let result: VerifyResult | Promise<VerifyResult>;
  try {
    result = verify(request);
  } catch (error) {
    abort(socket, Rejections.internalError());
    host.onHandshakeError(error);
    return;
  }
  if (!isPromiseLike(result)) return settle(host, request, socket, head, upgrade, result, callback);
  new PendingHandshake(host, request, socket, head, upgrade, callback).waitFor(result);
}

/**
 * A handshake waiting on an asynchronous `verifyClient`. It counts against `maxConnections`,
 * is answered 408 when the socket's handshake deadline passes, and 503 if the server closes
 * meanwhile.
 */
export class PendingHandshake {
  private settled = false;

  constructor(
    private readonly host: UpgradeHost,
    private readonly request: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
    private readonly upgrade: ValidUpgrade,
    private readonly callback: EstablishedCallback | undefined,
  ) {
    host.addPendingHandshake(this);
    host.handshakeDeadlines.setPending(socket, this);
  }

  waitFor(result: Promise<VerifyResult>): void {
    result.then(
      (value) => this.resolve(value),
      (error: unknown) => {
        if (this.finish()) {
          abort(this.socket, Rejections.internalError());
          this.host.onHandshakeError(error);
        }
      },
    );
  }

  /** Refuses the handshake now (timeout, or the server is closing). */
  cancel(rejection: HandshakeRejection): void {
    if (this.finish()) abort(this.socket, rejection);
  }

  private resolve(value: VerifyResult): void {
    if (!this.finish()) return;
    try {
      settle(this.host, this.request, this.socket, this.head, this.upgrade, value, this.callback);
    } catch (error) {
      // A `connection` listener threw: surface it as an uncaught exception, as the
      // synchronous path does, rather than as an unhandled rejection.
      process.nextTick(rethrow, error);
    }
  }

  /** Returns true the first time only. */
  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.host.handshakeDeadlines.setPending(this.socket, null);
    this.host.removePendingHandshake(this);
    return true;
  }
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
  if (!host.isAccepting) return abort(socket, Rejections.shuttingDown());
  if (result === true) return host.establish(request, socket, head, upgrade, callback);
  if (result === false || result === null || typeof result !== 'object') return abort(socket, Rejections.unauthorized());
  abort(socket, Rejections.refused(result.status, result.message, result.headers));
}

/** `allowedOrigins`, before `verifyClient`: false once the socket has been answered (403, or 500 if the check threw). */
function originAllowed(host: UpgradeHost, request: IncomingMessage, socket: Duplex): boolean {
  const check = host.options.allowedOrigins;
  if (check === undefined) return true;
  const origin = request.headers.origin;
  try {
    if (check(origin, request) === true) return true;
    abort(socket, Rejections.forbiddenOrigin());
  } catch (error) {
    abort(socket, Rejections.internalError());
    host.onHandshakeError(error);
  }
  return false;
}

function isPromiseLike(value: unknown): value is Promise<VerifyResult> {
  return typeof (value as Promise<VerifyResult> | null)?.then === 'function';
}

function rethrow(error: unknown): never {
  throw error;
}
