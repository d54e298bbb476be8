import { constants, type Http2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';

/** What the socket's events drive on a connection. */
export interface SocketEventTarget {
  receive(chunk: Buffer): void;
  onSocketEnd(): void;
  finish(): void;
  onDrain(): void;
  resumeInput(): void;
}

const kTarget = Symbol('ws.connection');

type TaggedSocket = Duplex & { [kTarget]?: SocketEventTarget; setNoDelay?(noDelay?: boolean): unknown };

/**
 * Wires a socket's events to its connection with module-level listeners that find the
 * connection through a symbol property: no closure per connection (as in ws's websocket.js).
 * `setNoDelay` is guarded: the transport may be any Duplex, not only a `net.Socket`.
 */
export function bindSocket(socket: Duplex, target: SocketEventTarget): void {
  const tagged = socket as TaggedSocket;
  tagged[kTarget] = target;
  if (typeof tagged.setNoDelay === 'function') tagged.setNoDelay(true);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  socket.on('error', onError);
  socket.on('drain', onDrain);
}

/** Detaches all but `close` bookkeeping and the error guard, which must outlive the connection. */
export function unbindSocket(socket: Duplex): void {
  socket.removeListener('data', onData);
  socket.removeListener('end', onEnd);
  socket.removeListener('drain', onDrain);
}

/**
 * Aborts the transport: a socket is destroyed; an HTTP/2 stream is reset with CANCEL, the
 * counterpart of a TCP reset (RFC 8441 §5), which a plain destroy() would send as NO_ERROR.
 */
export function destroySocket(socket: Duplex): void {
  const stream = socket as Partial<Http2Stream>;
  if (stream.rstCode !== undefined && typeof stream.close === 'function') stream.close(constants.NGHTTP2_CANCEL);
  else socket.destroy();
}

/** For `setImmediate`: parse what a throwing listener left buffered. */
export function resumeParsing(target: SocketEventTarget): void {
  target.resumeInput();
}

function onData(this: TaggedSocket, chunk: Buffer): void {
  this[kTarget]!.receive(chunk);
}

function onEnd(this: TaggedSocket): void {
  this[kTarget]!.onSocketEnd();
}

function onClose(this: TaggedSocket): void {
  this[kTarget]!.finish();
}

function onError(this: TaggedSocket): void {
  // ECONNRESET and the like: the close event that follows reports 1006.
  this.destroy();
}

function onDrain(this: TaggedSocket): void {
  this[kTarget]!.onDrain();
}
