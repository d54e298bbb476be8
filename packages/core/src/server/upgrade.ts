import type { Duplex } from 'node:stream';
import { type HandshakeRejection, type ValidUpgrade, isRejection } from '../handshake/handshake';
import { Rejections } from '../handshake/rejections';
import type { Connection } from './connection';
import type { HandshakeDeadlines } from './handshake-deadlines';
import type { ResolvedOptions, VerifyResult } from './options';
import { pathOf } from './path';
import { destroyOnError } from './reject';
import { type HandshakeTransport, type UpgradeRequest, socketTransport } from './transport';

export type EstablishedCallback = (connection: Connection, request: UpgradeRequest) => void;

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
  establish(
    request: UpgradeRequest,
    socket: Duplex,
    head: Buffer,
    upgrade: ValidUpgrade,
    callback?: EstablishedCallback,
    transport?: HandshakeTransport,
  ): void;
  addPendingHandshake(handshake: PendingHandshake): void;
  removePendingHandshake(handshake: PendingHandshake): void;
  /** User code in the handshake (`verifyClient`) threw: answered with 500, and reported. */
  onHandshakeError(error: unknown): void;
}

/**
 * The opening handshake over a socket (or, with the HTTP/2 transport, a stream): checks,
 * connection limit, `verifyClient` (sync or async, bounded by `handshakeTimeout`), then accept
 * or a plain HTTP error that ends the socket or stream.
 */
export function performUpgrade(
  host: UpgradeHost,
  request: UpgradeRequest,
  socket: Duplex,
  head: Buffer,
  callback?: EstablishedCallback,
  transport: HandshakeTransport = socketTransport,
): void {
  socket.on('error', destroyOnError);
  const options = host.options;
  if (!host.isAccepting) return transport.refuse(socket, Rejections.shuttingDown());
  if (options.path !== undefined && pathOf(request.url) !== options.path) {
    return transport.refuse(socket, Rejections.notFound());
  }
  const upgrade = transport.validate(request);
  if (isRejection(upgrade)) return transport.refuse(socket, upgrade);
  if (!originAllowed(host, request, socket, transport)) return;
  if (host.connectionCount >= options.maxConnections) return transport.refuse(socket, Rejections.tooManyConnections());

  const verify = options.verifyClient;
  if (verify === undefined) return host.establish(request, socket, head, upgrade, callback, transport);

  let result: VerifyResult | Promise<VerifyResult>;
  try {
    result = verify(request);
  } catch (error) {
    transport.refuse(socket, Rejections.internalError());
    host.onHandshakeError(error);
    return;
  }
  const handshake = { host, request, socket, head, upgrade, callback, transport };
  if (!isPromiseLike(result)) return settle(handshake, result);
  new PendingHandshake(handshake).waitFor(result);
}

/** A handshake that passed every check but `verifyClient`. */
interface VerifiedHandshake {
  readonly host: UpgradeHost;
  readonly request: UpgradeRequest;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly upgrade: ValidUpgrade;
  readonly callback: EstablishedCallback | undefined;
  readonly transport: HandshakeTransport;
}

/**
 * A handshake waiting on an asynchronous `verifyClient`. It counts against `maxConnections`,
 * is answered 408 when the socket's handshake deadline passes, and 503 if the server closes
 * meanwhile.
 */
export class PendingHandshake {
  private settled = false;

  constructor(private readonly handshake: VerifiedHandshake) {
    handshake.host.addPendingHandshake(this);
    handshake.host.handshakeDeadlines.setPending(handshake.socket, this);
  }

  waitFor(result: Promise<VerifyResult>): void {
    result.then(
      (value) => this.resolve(value),
      (error: unknown) => {
        if (this.finish()) {
          this.handshake.transport.refuse(this.handshake.socket, Rejections.internalError());
          this.handshake.host.onHandshakeError(error);
        }
      },
    );
  }

  /** Refuses the handshake now (timeout, or the server is closing). */
  cancel(rejection: HandshakeRejection): void {
    if (this.finish()) this.handshake.transport.refuse(this.handshake.socket, rejection);
  }

  private resolve(value: VerifyResult): void {
    if (!this.finish()) return;
    try {
      settle(this.handshake, value);
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
    this.handshake.host.handshakeDeadlines.setPending(this.handshake.socket, null);
    this.handshake.host.removePendingHandshake(this);
    return true;
  }
}

function settle(handshake: VerifiedHandshake, result: VerifyResult): void {
  const { host, socket, transport } = handshake;
  if (socket.destroyed) return;
  if (!host.isAccepting) return transport.refuse(socket, Rejections.shuttingDown());
  if (result === true) {
    return host.establish(handshake.request, socket, handshake.head, handshake.upgrade, handshake.callback, transport);
  }
  if (result === false || result === null || typeof result !== 'object') {
    return transport.refuse(socket, Rejections.unauthorized());
  }
  transport.refuse(socket, Rejections.refused(result.status, result.message, result.headers));
}

/** `allowedOrigins`, before `verifyClient`: false once the socket has been answered (403, or 500 if the check threw). */
function originAllowed(
  host: UpgradeHost,
  request: UpgradeRequest,
  socket: Duplex,
  transport: HandshakeTransport,
): boolean {
  const check = host.options.allowedOrigins;
  if (check === undefined) return true;
  const origin = request.headers.origin;
  try {
    if (check(origin, request) === true) return true;
    transport.refuse(socket, Rejections.forbiddenOrigin());
  } catch (error) {
    transport.refuse(socket, Rejections.internalError());
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
