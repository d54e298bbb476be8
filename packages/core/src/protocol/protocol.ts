import { CloseCode, MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD, Opcode, isValidWireCloseCode } from './constants';
import { encodeClosePayload, parseClosePayload } from './close-payload';
import { EncodeQueue, type EncodeQueueTarget, type WriteCallback } from './encode-queue';
import { WebSocketError } from './errors';
import {
  encodeText,
  writeControlFrame,
  writeMessage,
  writePiecesFrame,
  writeText,
  type OutputSink,
} from './frame-writer';
import { Inbound, type InboundOwner } from './inbound';
import type { ProtocolHandler, ProtocolOptions } from './protocol-handler';
import { receivedBytesOf, receivedPiecesOf } from './text-codec';
import type { EncodeOptions, SharedEncoder } from '../extension/extension';
import type { SharedEncoding } from './shared-encoding';
import type { ExtensionChain } from '../extension/chain';

export type { WriteCallback } from './encode-queue';

export type { ProtocolHandler, ProtocolOptions } from './protocol-handler';

const ENCODE_OPTIONS: readonly EncodeOptions[] = [
  { binary: false, compress: false },
  { binary: false, compress: true },
  { binary: true, compress: false },
  { binary: true, compress: true },
];

/**
 * The sans-I/O WebSocket protocol of one connection (see `ProtocolHandler` for the picture). This
 * file is the outbound half and the answers to control frames; the inbound half (parser,
 * decoders, assembler) is `Inbound`, made on the first byte received.
 */
export class Protocol implements InboundOwner, EncodeQueueTarget {
  private readonly sink: OutputSink;
  private readonly handler: ProtocolHandler;
  // Made on the first byte received: an idle connection never needs it.
  private inbound: Inbound | null = null;
  private readonly maxPayload: number;
  private readonly allowedRsv: number;
  private readonly chain: ExtensionChain | null;
  private readonly maxFrameSize: number;
  /** Client role: outgoing frames are masked. */
  private readonly masked: boolean;
  private readonly textAsBuffer: boolean;

  private readonly encodeQueue: EncodeQueue | null = null;

  private closeQueued = false;
  private closeWritten = false;
  private closeReceived = false;
  private failed = false;

  constructor(sink: OutputSink, handler: ProtocolHandler, options: ProtocolOptions) {
    this.sink = sink;
    this.handler = handler;
    this.chain = options.extensions;
    this.maxFrameSize = options.maxFrameSize;
    this.masked = options.role === 'client';
    this.textAsBuffer = options.textAsBuffer === true;
    this.maxPayload = options.maxPayload;
    this.allowedRsv = options.allowedRsv;
    // Only connections with extensions need the asynchronous machinery.
    if (this.chain !== null) this.encodeQueue = new EncodeQueue(this.chain, this);
  }

  // ---- inbound ---------------------------------------------------------------------------

  /** Feeds bytes from the peer. Nothing the peer sends throws out of here. */
  receive(chunk: Buffer): void {
    let inbound = this.inbound;
    if (inbound === null) {
      // Input after the peer's close or a failure is discarded (the parser would be stopped).
      if (this.failed || this.closeReceived) return;
      inbound = this.inbound = new Inbound(this, this.handler, {
        maxPayload: this.maxPayload,
        allowedRsv: this.allowedRsv,
        textAsBuffer: this.textAsBuffer,
        chain: this.chain,
        fromServer: this.masked,
      });
    }
    inbound.push(chunk);
  }

  /** Parses what is still buffered (after a listener threw out of `receive`). */
  resumeInput(): void {
    this.inbound?.resume();
  }

  /** True while input waits on an extension; the I/O layer may stop reading meanwhile. */
  get isInputPaused(): boolean {
    return this.inbound !== null && this.inbound.isPaused;
  }

  /** Bytes received and not yet parsed. */
  get bufferedInput(): number {
    return this.inbound === null ? 0 : this.inbound.bufferedBytes;
  }

  /** @internal InboundOwner */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** @internal InboundOwner */
  onControlFrame(opcode: number, payload: Buffer): boolean {
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2-3: answer with a pong carrying the same payload. Only data frames are
      // barred after our close frame (§5.5.1), so pings are answered until the peer's close.
      writeControlFrame(this.sink, Opcode.Pong, payload, undefined, this.masked);
      this.handler.onPing(payload);
      return !this.failed;
    }
    if (opcode === Opcode.Pong) {
      this.handler.onPong(payload);
      return !this.failed;
    }
    const close = parseClosePayload(payload);
    if (close instanceof WebSocketError) {
      this.fail(close);
      return false;
    }
    // RFC 6455 §5.5.1: nothing follows a close frame; answer it unless we already sent ours.
    // The handler runs first, so the application may answer with a close() of its own; by
    // default the answer echoes the peer's code and reason, as ws, python-websockets and
    // browsers do (the body is already validated; a copy, as it may wait behind encodes).
    this.closeReceived = true;
    this.inbound!.stop();
    try {
      this.handler.onPeerClose(close.code, close.reason);
    } finally {
      if (!this.closeQueued) this.queueClose(Buffer.from(payload));
    }
    return false;
  }

  // ---- outbound --------------------------------------------------------------------------

  /** True once our close frame is queued: nothing more can be sent. */
  get isClosing(): boolean {
    return this.closeQueued;
  }

  /** True once the peer's close frame has arrived. */
  get hasReceivedClose(): boolean {
    return this.closeReceived;
  }

  /** True once our close frame has been written to the sink. */
  get hasWrittenClose(): boolean {
    return this.closeWritten;
  }

  /** Bytes accepted by `send` and not yet handed to the sink (waiting on extensions). */
  get pendingBytes(): number {
    return this.encodeQueue?.pendingBytes ?? 0;
  }

  /**
   * True when pre-built frames may be written as they are: no extension transforms output, and
   * this is a server (a client masks each frame with its own key).
   */
  get acceptsRawFrames(): boolean {
    return this.chain === null && !this.masked;
  }

  /**
   * Sends a text message: without an extension, a large message received just now goes out as
   * the bytes it came in; other text is encoded straight behind its frame header.
   */
  sendText(text: string, compress: boolean, callback?: WriteCallback): void {
    if (this.chain === null) {
      const received = receivedBytesOf(text);
      if (received !== null) {
        writeMessage(this.sink, Opcode.Text, received, 0, this.maxFrameSize, callback, this.masked);
        return;
      }
      const pieces = receivedPiecesOf(text);
      if (pieces !== null) {
        // ASCII: as many bytes as units. Masked (client) or split frames need the bytes together.
        if (!this.masked && text.length <= this.maxFrameSize)
          writePiecesFrame(this.sink, Opcode.Text, pieces, text.length, callback);
        else
          writeMessage(
            this.sink,
            Opcode.Text,
            Buffer.concat(pieces, text.length),
            0,
            this.maxFrameSize,
            callback,
            this.masked,
          );
        return;
      }
      if (writeText(this.sink, text, this.maxFrameSize, callback, this.masked)) return;
    }
    this.send(encodeText(text), false, compress, callback);
  }

  /** Sends a message, through the extensions unless `compress` is false; `callback` once it is written. */
  send(payload: Buffer, binary: boolean, compress: boolean, callback?: WriteCallback): void {
    if (this.encodeQueue === null) {
      writeMessage(
        this.sink,
        binary ? Opcode.Binary : Opcode.Text,
        payload,
        0,
        this.maxFrameSize,
        callback,
        this.masked,
      );
      return;
    }
    this.encodeQueue.pushMessage(payload, ENCODE_OPTIONS[(binary ? 2 : 0) + (compress ? 1 : 0)], callback);
  }

  /**
   * The encoder this connection's extensions would share for such a message (see
   * `ExtensionCodec.sharedEncoder`), or null when it must encode its own copy.
   */
  sharedEncoder(binary: boolean, compress: boolean, length: number): SharedEncoder | null {
    if (this.chain === null) return null;
    return this.chain.sharedEncoder(ENCODE_OPTIONS[(binary ? 2 : 0) + (compress ? 1 : 0)], length);
  }

  /** Sends a message encoded once for many connections, after every message sent before it. */
  sendShared(shared: SharedEncoding, callback?: WriteCallback): void {
    this.encodeQueue!.pushShared(shared, callback);
  }

  /** Writes frames that were built elsewhere (a broadcast framed once for many connections); servers only. */
  sendFrames(frames: readonly Buffer[], callback?: WriteCallback): void {
    if (this.masked) throw new TypeError('a client masks every frame itself: pre-built frames cannot be sent');
    this.sink.cork();
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) this.sink.push(frames[i]);
    this.sink.push(frames[last], callback);
    this.sink.uncork();
  }

  /** Writes a ping; the payload is at most 125 bytes (RangeError past it). */
  ping(payload: Buffer, callback?: WriteCallback): void {
    checkControlPayload(payload);
    writeControlFrame(this.sink, Opcode.Ping, payload, callback, this.masked);
  }

  /** Writes a pong; the payload is at most 125 bytes (RangeError past it). */
  pong(payload: Buffer, callback?: WriteCallback): void {
    checkControlPayload(payload);
    writeControlFrame(this.sink, Opcode.Pong, payload, callback, this.masked);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). The close frame goes after every message
   * already accepted. Throws on a code or reason that may not be sent.
   */
  close(code?: number, reason?: string): void {
    const body = encodeClosePayload(code, reason);
    if (this.closeQueued) return;
    this.queueClose(body);
  }

  /**
   * _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): send a close frame with the error's code
   * if ours is not out yet, and discard all further input. Messages still waiting on extensions
   * are dropped, their callbacks told so.
   */
  fail(error: WebSocketError): void {
    if (this.failed) return;
    this.failed = true;
    this.inbound?.discard();
    this.encodeQueue?.abort(new Error(`WebSocket connection failed: ${error.message}`));
    if (!this.closeWritten) {
      this.closeQueued = true;
      // A code that may not go on the wire (from a misbehaving extension) becomes 1011.
      const code = isValidWireCloseCode(error.closeCode) ? error.closeCode : CloseCode.InternalError;
      this.writeClose(encodeClosePayload(code, truncateReason(error.message)));
    }
    this.handler.onFail(error);
  }

  /** The connection is gone: callbacks of messages never sent learn it, codecs are released. */
  dispose(): void {
    this.inbound?.stop();
    this.encodeQueue?.abort(new Error('WebSocket connection closed before the message was sent'));
    this.chain?.dispose();
  }

  private queueClose(body: Buffer): void {
    this.closeQueued = true;
    if (this.encodeQueue === null || this.encodeQueue.isIdle) this.writeClose(body);
    else this.encodeQueue.pushClose(body);
  }

  private writeClose(body: Buffer): void {
    writeControlFrame(this.sink, Opcode.Close, body, undefined, this.masked);
    this.closeWritten = true;
    this.handler.onCloseWritten();
  }

  // ---- EncodeQueueTarget -----------------------------------------------------------------

  /** @internal */
  writeEncoded(payload: Buffer, rsv: number, binary: boolean, callback: WriteCallback | undefined): void {
    writeMessage(
      this.sink,
      binary ? Opcode.Binary : Opcode.Text,
      payload,
      rsv,
      this.maxFrameSize,
      callback,
      this.masked,
    );
  }

  /** @internal */
  writeQueuedClose(body: Buffer): void {
    if (!this.closeWritten) this.writeClose(body);
  }

  /** @internal */
  onEncodeFailed(error: Error): void {
    this.fail(new WebSocketError('WS_ERR_EXTENSION_FAILED', `extension failed to encode: ${error.message}`));
  }

  /** @internal */
  onQueueFlushed(): void {
    this.handler.onOutputFlushed();
  }
}

function checkControlPayload(payload: Buffer): void {
  if (payload.length > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(
      `control frame payload is ${payload.length} bytes; at most ${MAX_CONTROL_PAYLOAD} are allowed`,
    );
  }
}

function truncateReason(message: string): string {
  if (Buffer.byteLength(message) <= MAX_CLOSE_REASON_BYTES) return message;
  return Buffer.from(message)
    .subarray(0, MAX_CLOSE_REASON_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}
