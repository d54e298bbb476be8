import type { Connection } from './connection';
import type { UpgradeRequest } from './transport';

/**
 * Event maps for `eventemitter3`. They are interfaces so that plugins can add their own events
 * by module augmentation: `declare module '@ws/core' { interface ConnectionEvents { … } }`.
 */
export interface ConnectionEvents {
  /** A whole message: text as a string (a Buffer with `textMessages: 'buffer'`), binary as a Buffer. */
  message: (data: string | Buffer, isBinary: boolean) => void;
  /**
   * The peer's close frame arrived (1005 when it had no code). Unless this side closed first,
   * the answer echoes the peer's code and reason, or, if a listener calls `close(code, reason)`,
   * carries those instead. `close` follows once TCP is closed.
   */
  closing: (code: number, reason: string) => void;
  /** The connection is closed: 1005 when the peer's close had no code, 1006 when TCP was lost. */
  close: (code: number, reason: string, wasClean: boolean) => void;
  /** A ping arrived (already answered with a pong). */
  ping: (payload: Buffer) => void;
  /** A pong arrived. */
  pong: (payload: Buffer) => void;
  /** The connection failed; `close` follows. */
  error: (error: Error) => void;
  /** Everything sent so far has been handed to the OS (after the socket had to buffer, or a send returned 'backpressure'). */
  drain: () => void;
  /** A message of `byteLength` bytes was not queued: the connection was at `maxBufferedAmount`. */
  dropped: (byteLength: number) => void;
}

/** The server's events; the connection events are repeated here with the connection first. */
export interface ServerEvents {
  /** Standalone mode: the port is bound. */
  listening: () => void;
  /**
   * The 101 response is about to be written: `headers` holds its lines (`Name: value`), and a
   * listener may push more (a `Set-Cookie`, say). Lines with CR or LF are dropped.
   */
  headers: (headers: string[], request: UpgradeRequest) => void;
  /** A WebSocket is open; `request` is an `IncomingMessage` (h1) or an `Http2ServerRequest` (h2). */
  connection: (connection: Connection, request: UpgradeRequest) => void;
  /** A whole message arrived on `connection` (text as a string, or a Buffer with `textMessages: 'buffer'`). */
  message: (data: string | Buffer, connection: Connection, isBinary: boolean) => void;
  /** `connection` closed (its own `close` has been emitted). */
  close: (connection: Connection, code: number, reason: string, wasClean: boolean) => void;
  /** A ping arrived (already answered). */
  ping: (connection: Connection, payload: Buffer) => void;
  /** A pong arrived. */
  pong: (connection: Connection, payload: Buffer) => void;
  /** A message to `connection` was not queued: it was at `maxBufferedAmount` (see `backpressure`). */
  dropped: (connection: Connection, byteLength: number) => void;
  /** A connection failed (`connection` set), or the server itself hit an error. */
  error: (error: Error, connection?: Connection) => void;
  /** `close()` has finished: no client and no listening socket is left. */
  shutdown: () => void;
}
