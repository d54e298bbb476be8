import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import EventEmitter from 'eventemitter3';
import type { SharedEncoder } from '../extension/extension';
import { CloseCode } from '../protocol/constants';
import type { WebSocketError } from '../protocol/errors';
import type { OutputSink } from '../protocol/frame-writer';
import { Protocol, type ProtocolHandler, type WriteCallback } from '../protocol/protocol';
import type { SharedEncoding } from '../protocol/shared-encoding';
import {
  BACKPRESSURE_CLOSE_CODE,
  BACKPRESSURE_CLOSE_REASON,
  BackpressureError,
  type BackpressureLimits,
  SendStatus,
  admit,
  admitText,
  byteLengthOf,
} from './backpressure';
import type { ConnectionOwner, ConnectionSetup, SendData, SendOptions } from './connection-setup';
import type { ConnectionEvents } from './events';
import { outputBatch } from './output-batch';
import { PAUSED_FOR_EXTENSION, PAUSED_FOR_OUTPUT, FlowControl, type FlowHost } from './flow-control';
import { isReceivedText } from '../protocol/text-codec';
import { toBuffer } from './to-buffer';
import { hearsMessages, soleMessageListener } from './hears-messages';
import { bindSocket, destroySocket, resumeParsing, unbindSocket } from './socket-binding';
import type { TransportKind } from './transport';

export type { ConnectionOwner, ConnectionSetup, SendData, SendOptions } from './connection-setup';

const EMPTY = Buffer.alloc(0);
const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** Input beyond this much, waiting on an extension, pauses the socket. */
const INPUT_HIGH_WATER = 1024 * 1024;

/**
 * One WebSocket connection over a Node `Duplex` (a `net.Socket`, a `tls.TLSSocket`, …).
 * It feeds socket bytes to the sans-I/O `Protocol`, writes what the protocol frames, and owns
 * the timers and the close handshake's end: the server closes TCP first (RFC 6455 §7.1.1), so
 * a client connection (from `connect()`) waits for the server's FIN, bounded by `closeTimeout`.
 */
export class Connection extends EventEmitter<ConnectionEvents> implements ProtocolHandler, OutputSink, FlowHost {
  /** `readyState` before the handshake completes. */
  static readonly CONNECTING = 0;
  /** `readyState` while messages can be sent and received. */
  static readonly OPEN = 1;
  /** `readyState` once a close frame has been sent or received. */
  static readonly CLOSING = 2;
  /** `readyState` once the socket is gone. */
  static readonly CLOSED = 3;

  /** 'server' for a connection a `Server` accepted, 'client' for one `connect()` opened. */
  readonly role: 'server' | 'client';
  /**
   * The request target of the upgrade, path and query (`'/chat?room=1'`; over HTTP/2 the
   * `:path`); '' on a client connection. The request itself is not kept (about 1.3 KiB per
   * connection): its headers and socket are the `connection` event's second argument.
   */
  readonly url: string;
  /** `'h1'`: an upgraded HTTP/1.1 socket; `'h2'`: an HTTP/2 stream (RFC 8441). */
  readonly transport: TransportKind;
  /** The chosen subprotocol, or ''. */
  readonly protocol: string;
  /** The `Sec-WebSocket-Extensions` response, or ''. */
  readonly extensions: string;
  /** Round trip in ms of the last answered ping this side sent. */
  latency: number | undefined = undefined;

  private state: number = Connection.OPEN;
  private readonly socket: Duplex;
  private peerAddress: string | undefined;
  private readonly owner: ConnectionOwner;
  private readonly wire: Protocol;
  private readonly closeTimeout: number;
  private readonly limits: BackpressureLimits;
  private closeTimer: NodeJS.Timeout | null = null;
  private pingSentAt = -1;
  /** Made when first needed: reading paused, or a `drain` owed. */
  private flow: FlowControl | null = null;
  private peerCloseCode: number = CloseCode.Abnormal;
  private peerCloseReason = '';
  /** @internal Chunks read from the socket: the idle timeout's sign of life, no clock read per chunk. */
  chunksReceived = 0;

  constructor(setup: ConnectionSetup) {
    super();
    this.role = setup.role ?? 'server';
    this.url = setup.url ?? '';
    this.protocol = setup.protocol;
    this.extensions = setup.extensions;
    this.owner = setup.owner;
    this.closeTimeout = setup.closeTimeout;
    this.limits = setup.backpressure;
    const socket = setup.socket;
    this.socket = socket;
    this.transport = setup.transport ?? 'h1';
    this.peerAddress = setup.remoteAddress;
    this.wire = new Protocol(this, this, {
      maxPayload: setup.maxPayload,
      maxFrameSize: setup.maxFrameSize,
      textAsBuffer: setup.textAsBuffer === true,
      allowedRsv: setup.allowedRsv,
      extensions: setup.extensionChain,
      role: this.role,
    });

    bindSocket(socket, this);
  }

  /** Starts reading; `head` holds bytes that arrived with the upgrade request. */
  start(head: Buffer): void {
    if (head.length > 0) this.receive(head);
    if (this.socket.destroyed) this.finish();
  }

  /**
   * The peer's address, when the transport has one. Read from the socket when first asked for (a
   * `getpeername` call and two strings that most connections never need), so ask while the
   * connection is open: once the socket is gone, only an address read before is known.
   */
  get remoteAddress(): string | undefined {
    return (this.peerAddress ??= (this.socket as { remoteAddress?: string }).remoteAddress);
  }

  /** One of `Connection.CONNECTING`, `OPEN`, `CLOSING`, `CLOSED`. */
  get readyState(): number {
    return this.state;
  }

  /** True while messages can be sent (the seed's `is_open()`). */
  get isOpen(): boolean {
    return this.state === Connection.OPEN;
  }

  /** Bytes accepted by `send()` and not yet handed to the OS: the socket's buffer plus what waits on extensions. */
  get bufferedAmount(): number {
    return this.socket.writableLength + this.wire.pendingBytes + outputBatch.heldFor(this.socket);
  }

  /** True when frames built once for many connections can be written here as they are. */
  get acceptsRawFrames(): boolean {
    return this.wire.acceptsRawFrames;
  }

  /**
   * Sends a message: a string as text; a Buffer, ArrayBuffer or typed array as binary, unless
   * `options.binary` says otherwise. `callback` runs once the message is written to the socket,
   * or with an error if it was not sent (the connection is not open, or the message was dropped
   * at `maxBufferedAmount`: a `BackpressureError`). Returns what became of it: 'accepted',
   * 'backpressure' (queued; wait for `drain`), 'dropped' or 'not-open'.
   */
  send(data: SendData, options?: SendOptions | WriteCallback, callback?: WriteCallback): SendStatus {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    if (this.refuseUnlessOpen(callback)) return SendStatus.NotOpen;
    const compress = options?.compress !== false;
    if (typeof data === 'string') {
      const status = admitText(this.limits, this.bufferedAmount, data);
      if (status === SendStatus.Dropped) return this.drop(Buffer.byteLength(data, 'utf8'), callback);
      if (options?.binary === true) this.wire.send(Buffer.from(data, 'utf8'), true, compress, callback);
      else this.wire.sendText(data, compress, callback);
      return this.queued(status);
    }
    const payload = toBuffer(data);
    if (options?.binary === false && !isReceivedText(payload) && !isUtf8(payload)) {
      throw new TypeError('send(…, { binary: false }) needs valid UTF-8 data');
    }
    const status = admit(this.limits, this.bufferedAmount, payload.length);
    if (status === SendStatus.Dropped) return this.drop(payload.length, callback);
    this.wire.send(payload, options?.binary !== false, compress, callback);
    return this.queued(status);
  }

  /** Writes frames built once for many connections (see `Server.broadcast`), under the same limits as `send`. */
  sendFrames(frames: readonly Buffer[], callback?: WriteCallback): SendStatus {
    if (this.refuseUnlessOpen(callback)) return SendStatus.NotOpen;
    const size = byteLengthOf(frames);
    const status = admit(this.limits, this.bufferedAmount, size);
    if (status === SendStatus.Dropped) return this.drop(size, callback);
    this.wire.sendFrames(frames, callback);
    return this.queued(status);
  }

  /** @internal The encoder a broadcast may share with other connections (see `ExtensionCodec.sharedEncoder`). */
  sharedEncoder(binary: boolean, compress: boolean, length: number): SharedEncoder | null {
    return this.wire.sharedEncoder(binary, compress, length);
  }

  /** @internal Sends a message encoded once for many connections, under the same limits as `send`. */
  sendShared(shared: SharedEncoding, callback?: WriteCallback): SendStatus {
    if (this.refuseUnlessOpen(callback)) return SendStatus.NotOpen;
    const status = admit(this.limits, this.bufferedAmount, shared.sourceLength);
    if (status === SendStatus.Dropped) return this.drop(shared.sourceLength, callback);
    this.wire.sendShared(shared, callback);
    return this.queued(status);
  }

  /**
   * Subscribes to `topic`, so that `server.publish(topic, …)` reaches this connection; true when
   * newly subscribed, false when it already was, the connection is not open, or it is a client
   * connection (no server to publish). O(1).
   */
  subscribe(topic: string): boolean {
    return this.state === Connection.OPEN && this.owner.subscriptions.subscribe(this, topic);
  }

  /** Ends a subscription; true when there was one. O(1). */
  unsubscribe(topic: string): boolean {
    return this.owner.subscriptions.unsubscribe(this, topic);
  }

  /** Whether this connection is subscribed to `topic` now. O(1). */
  isSubscribed(topic: string): boolean {
    return this.owner.subscriptions.isSubscribed(this, topic);
  }

  /** The topics this connection is subscribed to now (read-only); empty once it has closed. */
  get topics(): ReadonlySet<string> {
    return this.owner.subscriptions.topicsOf(this);
  }

  /** Sends a ping (at most 125 bytes of payload); its pong updates `latency`. */
  ping(payload?: string | Buffer, callback?: WriteCallback): void {
    if (this.refuseUnlessOpen(callback)) return;
    this.wire.ping(controlPayload(payload), callback);
    this.pingSentAt = performance.now();
  }

  /**
   * Sends an unsolicited pong (a unidirectional heartbeat, RFC 6455 §5.5.3), with up to 125 bytes
   * of payload.
   */
  pong(payload?: string | Buffer, callback?: WriteCallback): void {
    if (this.refuseUnlessOpen(callback)) return;
    this.wire.pong(controlPayload(payload), callback);
  }

  /**
   * Starts the closing handshake: code 1000-1003, 1007-1014 or 3000-4999 (default 1000) and a
   * reason of at most 123 bytes of UTF-8; anything else throws (RangeError, or TypeError for a
   * reason that is not a string). The close frame
   * goes after every message already sent. Called from a `closing` listener, it answers the
   * peer's close frame with this code and reason instead of echoing the peer's.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.state === Connection.CLOSED) return;
    this.wire.close(code, reason); // validates before anything changes
    if (this.state === Connection.OPEN) this.state = Connection.CLOSING;
    // From now on, even while the close frame waits behind messages being encoded.
    this.armCloseTimer();
  }

  /** Destroys the socket (resets the HTTP/2 stream) at once; the close event reports 1006. */
  terminate(): void {
    if (this.state === Connection.CLOSED) return;
    this.state = Connection.CLOSING;
    destroySocket(this.socket);
  }

  // ---- OutputSink ------------------------------------------------------------------------

  /** @internal Frames written while a chunk is parsed are batched already (output-batch.ts). */
  cork(): void {
    if (!outputBatch.holds(this.socket)) this.socket.cork();
  }

  /** @internal */
  uncork(): void {
    if (!outputBatch.holds(this.socket)) this.socket.uncork();
  }

  /** @internal */
  push(chunk: Buffer, callback?: WriteCallback): void {
    if (outputBatch.holds(this.socket)) {
      outputBatch.add(chunk, callback);
    } else if (this.socket.writable) {
      this.socket.write(chunk, callback);
    } else if (callback !== undefined) {
      process.nextTick(callback, this.notOpenError());
    }
  }

  /** @internal Room in the batch's block while it holds this socket (output-batch.ts). */
  reserve(length: number): number {
    return outputBatch.holds(this.socket) ? outputBatch.reserve(length) : -1;
  }

  /** @internal */
  get block(): Buffer {
    return outputBatch.block;
  }

  // ---- ProtocolHandler -------------------------------------------------------------------

  /** @internal */
  onMessage(data: string | Buffer, isBinary: boolean): void {
    const listener = soleMessageListener(this);
    if (listener !== null) listener.fn.call(listener.context, data, isBinary);
    else if (hearsMessages(this)) this.emit('message', data, isBinary);
    this.owner.onConnectionMessage(this, data, isBinary);
  }

  /** @internal */
  onPing(payload: Buffer): void {
    this.emit('ping', payload);
    this.owner.onConnectionPing(this, payload);
  }

  /** @internal */
  onPong(payload: Buffer): void {
    if (this.pingSentAt >= 0) {
      this.latency = performance.now() - this.pingSentAt;
      this.pingSentAt = -1;
    }
    this.emit('pong', payload);
    this.owner.onConnectionPong(this, payload);
  }

  /** @internal */
  onPeerClose(code: number, reason: string): void {
    this.peerCloseCode = code;
    this.peerCloseReason = reason;
    if (this.state === Connection.OPEN) this.state = Connection.CLOSING;
    if (this.wire.hasWrittenClose) this.onCloseHandshakeDone();
    else this.armCloseTimer(); // our answer is written next (or waits behind messages being encoded)
    // Last, as it runs user code: close(code, reason) in a listener answers instead of the echo.
    this.emit('closing', code, reason);
  }

  /** @internal */
  onCloseWritten(): void {
    if (this.state === Connection.OPEN) this.state = Connection.CLOSING;
    if (this.wire.hasReceivedClose) this.onCloseHandshakeDone();
    else this.armCloseTimer();
  }

  /**
   * Both close frames exchanged: the server closes TCP first (RFC 6455 §7.1.1); a client waits
   * for that FIN (`onSocketEnd`), and the close timer ends a server that never sends it.
   */
  private onCloseHandshakeDone(): void {
    if (this.role === 'client') this.armCloseTimer();
    else this.endSocket();
  }

  /** @internal */
  onFail(error: WebSocketError): void {
    if (this.state === Connection.OPEN) this.state = Connection.CLOSING;
    this.endSocket();
    this.emit('error', error);
    this.owner.onConnectionError(this, error);
  }

  // ---- socket events ---------------------------------------------------------------------

  /** @internal */
  receive(chunk: Buffer): void {
    // Everything written while this chunk is parsed (pongs, replies a listener sends at once)
    // leaves in one write: a chunk of pipelined messages costs one syscall, not one each.
    this.chunksReceived++;
    const outer = outputBatch.open(this.socket);
    try {
      this.wire.receive(chunk);
    } catch (error) {
      // A listener threw: the parser is sound, so parse what is left later, then let it fly.
      setImmediate(resumeParsing, this);
      throw error;
    } finally {
      outputBatch.close(outer);
    }
    // An extension is still decoding and input piles up: stop reading until it catches up.
    if (this.wire.isInputPaused && this.wire.bufferedInput > INPUT_HIGH_WATER) {
      this.flowControl().pauseReading(PAUSED_FOR_EXTENSION);
    }
    // What the peer has not read (answers, echoes, messages still being encoded) piles up: stop
    // reading it until everything is out (`drain`).
    if (this.bufferedAmount > this.limits.readPauseThreshold && this.socket.writable) {
      const flow = this.flowControl();
      flow.pauseReading(PAUSED_FOR_OUTPUT);
      flow.expectDrain();
    }
  }

  /** @internal */
  onInputResumed(): void {
    this.flow?.resumeReading(PAUSED_FOR_EXTENSION);
  }

  /** @internal */
  onOutputFlushed(): void {
    this.flow?.onOutputFlushed();
  }

  /** @internal FlowHost */
  onDrained(): void {
    this.emit('drain');
  }

  private flowControl(): FlowControl {
    return (this.flow ??= new FlowControl(this, this.socket, this.wire));
  }

  /** After a message was queued: past the high-water mark, `drain` will follow. */
  private queued(status: SendStatus): SendStatus {
    if (status === SendStatus.Backpressure) this.flowControl().expectDrain();
    return status;
  }

  /**
   * The `backpressure` policy (backpressure.ts) for a message that would pass `maxBufferedAmount`:
   * it is never queued; 'close' also closes with 1013, and the close timer ends a peer that does
   * not read our close frame either. Reported later, so no listener's throw stops a broadcast.
   */
  private drop(byteLength: number, callback: WriteCallback | undefined): SendStatus {
    const buffered = this.bufferedAmount;
    if (this.limits.policy === 'close') this.close(BACKPRESSURE_CLOSE_CODE, BACKPRESSURE_CLOSE_REASON);
    if (callback !== undefined) {
      process.nextTick(callback, new BackpressureError(byteLength, buffered, this.limits.maxBufferedAmount));
    }
    process.nextTick(reportDrop, this, byteLength);
    return SendStatus.Dropped;
  }

  /** @internal */
  reportDrop(byteLength: number): void {
    this.emit('dropped', byteLength);
    this.owner.onConnectionDropped(this, byteLength);
  }

  /** @internal */
  resumeInput(): void {
    this.wire.resumeInput();
  }

  /** @internal The peer half-closed: nothing more will come, so finish our side. */
  onSocketEnd(): void {
    if (this.state === Connection.OPEN) this.state = Connection.CLOSING;
    // Our side may never flush (the peer stopped reading too): bound it like any close.
    this.endSocket();
  }

  /** @internal */
  finish(): void {
    if (this.state === Connection.CLOSED) return;
    this.state = Connection.CLOSED;
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    const socket = this.socket;
    unbindSocket(socket);
    this.owner.forgetConnection(this);
    const wasClean = this.wire.hasWrittenClose && this.wire.hasReceivedClose;
    try {
      this.wire.dispose(); // unsent messages' callbacks get their error; codecs are released
      this.emit('close', this.peerCloseCode, this.peerCloseReason, wasClean);
    } finally {
      this.owner.onConnectionClose(this, this.peerCloseCode, this.peerCloseReason, wasClean);
    }
  }

  /** @internal */
  onDrain(): void {
    this.flowControl().settleDrain();
  }

  private endSocket(): void {
    if (outputBatch.holds(this.socket)) outputBatch.flush(); // the frames go before the FIN
    // Once only: a second end() (the peer's FIN after ours) builds an ERR_STREAM_ALREADY_FINISHED
    // error, stack trace and all, for nothing.
    if (!this.socket.writableEnded) this.socket.end();
    this.armCloseTimer();
  }

  /** Bounds the close handshake: a peer that never answers (or never closes TCP) is destroyed. */
  private armCloseTimer(): void {
    if (this.closeTimer !== null || this.state === Connection.CLOSED) return;
    this.closeTimer = setTimeout(destroySocket, this.closeTimeout, this.socket);
    this.closeTimer.unref?.();
  }

  /** Nothing is sent on a connection that is not open; the callback, if any, learns why. */
  private refuseUnlessOpen(callback: WriteCallback | undefined): boolean {
    if (this.state === Connection.OPEN) return false;
    if (callback !== undefined) process.nextTick(callback, this.notOpenError());
    return true;
  }

  private notOpenError(): Error {
    return new Error(`WebSocket is not open: readyState ${this.state} (${STATE_NAMES[this.state]})`);
  }
}

function reportDrop(connection: Connection, byteLength: number): void {
  connection.reportDrop(byteLength);
}

function controlPayload(payload: string | Buffer | undefined): Buffer {
  if (payload === undefined) return EMPTY;
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}
