import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HandshakeRejection, rejectResponse } from '../handshake/handshake';

/** Answers a refused upgrade with a plain HTTP error, then closes the socket for good. */
export function abort(socket: Duplex, rejection: HandshakeRejection): void {
  if (socket.destroyed) return;
  socket.on('error', destroyOnError);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Sockets of an HTTP server allow half-open connections: destroy once the answer is out, or
  // a client that never closes its side would hold the socket forever.
  socket.end(rejectResponse(rejection), () => socket.destroy());
}

/**
 * For a socket that may be mid-request (still read by Node's HTTP parser) or already answered:
 * answers with `rejection` if nothing was written to it yet, else destroys it (an answer, a plain
 * request's error say, is already under way).
 */
export function abortIfUnanswered(socket: Duplex, rejection: HandshakeRejection): void {
  const untouched =
    !socket.writableEnded && socket.writableLength === 0 && ((socket as Partial<Socket>).bytesWritten ?? 0) === 0;
  if (untouched) abort(socket, rejection);
  else socket.destroy();
}

/** Until a connection owns a socket, a socket error must only end that socket. */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}
