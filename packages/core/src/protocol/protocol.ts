import { CloseCode, MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD, Opcode, isValidWireCloseCode } from './constants';
import { encodeClosePayload, parseClosePayload } from './close-payload';
import { EncodeQueue, type EncodeQueueTarget, type WriteCallback } from './encode-queue';
import { WebSocketError } from './errors';
import { FrameParser, type FrameHandler } from './frame-parser';
import { encodeText, writeControlFrame, writeMessage, writeText, type OutputSink } from './frame-writer';
import { MessageAssembler } from './message-assembler';
import { forgetText, receivedBytesOf } from './text-codec';
import type { DecodeCallback, EncodeOptions, SharedEncoder } from '../extension/extension';
import type { SharedEncoding } from './shared-encoding';
import type { ExtensionChain } from '../extension/chain';

export type { WriteCallback } from './encode-queue';

/**
 * The sans-I/O WebSocket protocol of one connection, server side or (`role: 'client'`) client side: bytes in through `receive()`,
 * events out through a `ProtocolHandler`; commands in (`send`, `ping`, `close`), frame bytes out
 * through an `OutputSink`. No sockets, timers or emitters: the I/O layer owns those.
 *
 *   receive → FrameParser → (ExtensionChain.decode, of frames or of their pieces) → MessageAssembler → handler.onMessage
 *   send    → (EncodeQueue → ExtensionChain.encode) → frame writer → sink
 */
export interface ProtocolHandler {
  /** A whole message arrived, decoded and validated: text as a string (a Buffer with `textAsBuffer`), binary as a Buffer. */
  onMessage(data: string | Buffer, isBinary: boolean): void;
  /** A ping arrived; the pong is already written. */
  onPing(payload: Buffer): void;
  /** A pong arrived. */
  onPong(payload: Buffer): void;
  /**
   * The peer's close frame arrived (1005 when it had no code). Input is over. Unless our close
   * frame went out first, the answer is written right after this returns: the peer's code and
   * reason, or what `Protocol.close(code, reason)` called from in here asked for instead.
   */
  onPeerClose(code: number, reason: string): void;
  /** Our close frame (first or echo) has just been handed to the sink. */
  onCloseWritten(): void;
  /** The connection failed (peer's fault or an extension error); a close frame was written if still possible. */
  onFail(error: WebSocketError): void;
  /** Input that waited on an extension is flowing again (see `isInputPaused`). */
  onInputResumed(): void;
  /** Messages that waited on an asynchronous extension have all been handed to the sink. */
  onOutputFlushed(): void;
}

/** How a {@link Protocol} is set up: limits and the negotiated extensions. */
export interface ProtocolOptions {
  /** Largest incoming message in bytes (0 = no limit). */
  readonly maxPayload: number;
  /** Outgoing messages are split into frames of at most this many bytes. */
  readonly maxFrameSize: number;
  /** Hand validated text to `onMessage` as its UTF-8 bytes instead of a string. Default false. */
  readonly textAsBuffer?: boolean;
  /** RSV bits claimed by the negotiated extensions. */
  readonly allowedRsv: number;
  /** The negotiated extensions' codecs, or null when none was negotiated. */
  readonly extensions: ExtensionChain | null;
  /**
   * Which end this is (RFC 6455 §5.1). 'server' (the default): incoming frames must be masked,
   * outgoing ones are not. 'client': every outgoing frame is masked with a fresh key from the
   * CSPRNG, and a masked incoming frame fails the connection with 1002.
   */
  readonly role?: 'server' | 'client';
}

const ENCODE_OPTIONS: readonly EncodeOptions[] = [
  { binary: false, compress: false },
  { binary: false, compress: true },
  { binary: true, compress: false },
  { binary: true, compress: true },
];

export class Protocol implements FrameHandler, EncodeQueueTarget {
  private readonly sink: OutputSink;
  private readonly handler: ProtocolHandler;
  // Made on the first byte received (see `startParsing`): an idle connection never needs them.
  private parser: FrameParser | null = null;
  private assembler: MessageAssembler | null = null;
  private readonly maxPayload: number;
  private readonly allowedRsv: number;
  private readonly chain: ExtensionChain | null;
  private readonly maxFrameSize: number;
  /** Client role: outgoing frames are masked. */
  private readonly masked: boolean;
  private readonly textAsBuffer: boolean;

  private messageOpcode = 0;
  private messageRsv = 0;

  // Inbound decode in flight (one frame, or piece of one, at a time); only with extensions.
  private decoding = false;
  private decodingSync = false;
  private decodingFin = false;
  private readonly onDecodedBound: DecodeCallback | null = null;
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
    if (this.chain !== null) {
      this.onDecodedBound = (error, payload) => this.onDecoded(error, payload);
      this.encodeQueue = new EncodeQueue(this.chain, this);
    }
  }

  // ---- inbound ---------------------------------------------------------------------------

  /** Feeds bytes from the peer. Nothing the peer sends throws out of here. */
  receive(chunk: Buffer): void {
    let parser = this.parser;
    if (parser === null) {
      // Input after the peer's close or a failure is discarded (the parser would be stopped).
      if (this.failed || this.closeReceived) return;
      parser = this.startParsing();
    }
    parser.push(chunk);
    forgetText();
  }

  /** Parses what is still buffered (after a listener threw out of `receive`). */
  resumeInput(): void {
    if (!this.decoding) this.parser?.resume();
  }

  /** True while input waits on an extension; the I/O layer may stop reading meanwhile. */
  get isInputPaused(): boolean {
    return this.parser !== null && this.parser.isPaused;
  }

  /** Bytes received and not yet parsed. */
  get bufferedInput(): number {
    return this.parser === null ? 0 : this.parser.bufferedBytes;
  }

  /**
   * Makes the parser and the assembler, about 370 B that a connection which never receives a
   * byte (most of a server's, most of the time) does without.
   */
  private startParsing(): FrameParser {
    this.assembler = new MessageAssembler(this.maxPayload);
    return (this.parser = new FrameParser(this, {
      maxPayload: this.maxPayload,
      allowedRsv: this.allowedRsv,
      // Text can be checked before its frame is complete when no extension transforms it, or
      // when every codec decodes frames in pieces (then its output is checked as it comes).
      streamText: this.chain === null,
      streamPieces: this.chain !== null && this.chain.decodesPartialFrames,
      fromServer: this.masked,
    }));
  }

  /** @internal FrameHandler */
  onFrame(opcode: number, fin: boolean, rsv: number, payload: Buffer, reported: number): boolean {
    if (opcode >= Opcode.Close) return this.onControlFrame(opcode, payload);
    if (opcode !== Opcode.Continuation) {
      this.messageOpcode = opcode;
      this.messageRsv = rsv;
    }
    if (this.chain === null) {
      this.addFragment(payload, fin, reported);
      return !this.failed;
    }
    return this.decode(payload, fin);
  }

  /** @internal FrameHandler: part of a data frame still arriving, for codecs that take pieces. */
  onFramePiece(opcode: number, rsv: number, piece: Buffer): boolean {
    if (opcode !== Opcode.Continuation) {
      this.messageOpcode = opcode;
      this.messageRsv = rsv;
    }
    // Not the message's end, whatever the frame's FIN: the rest of the frame is still to come.
    return this.decode(piece, false);
  }

  /** Hands `payload` to the codecs; false while they work on it (or once the connection failed). */
  private decode(payload: Buffer, fin: boolean): boolean {
    this.decoding = true;
    this.decodingSync = true;
    this.decodingFin = fin;
    this.chain!.decode(payload, this.messageRsv, fin, this.onDecodedBound!);
    this.decodingSync = false;
    return !this.decoding && !this.failed;
  }

  /** @internal FrameHandler: part of a text frame, checked before the rest arrives (§8.1). */
  onTextPayload(bytes: Buffer): boolean {
    const error = this.assembler!.checkPartialText(bytes);
    if (error === null) return true;
    this.fail(error);
    return false;
  }

  /** @internal FrameHandler */
  onParseError(error: WebSocketError): void {
    this.fail(error);
  }

  private onDecoded(error: WebSocketError | null, payload: Buffer | null): void {
    this.decoding = false;
    if (this.failed || this.closeReceived) return;
    if (error !== null || payload === null) {
      this.fail(asWebSocketError(error ?? new Error('extension returned no data')));
      return;
    }
    if (this.decodingSync) {
      this.addFragment(payload, this.decodingFin, 0);
      return;
    }
    try {
      this.addFragment(payload, this.decodingFin, 0);
    } finally {
      forgetText();
      if (!this.failed) {
        this.parser!.resume();
        if (!this.parser!.isPaused) this.handler.onInputResumed();
      }
    }
  }

  /** `checked`: bytes at the start of `payload` already validated by `onTextPayload`. */
  private addFragment(payload: Buffer, fin: boolean, checked: number): void {
    const isText = this.messageOpcode === Opcode.Text;
    const assembler = this.assembler!;
    const error = assembler.add(payload, isText, fin, checked);
    if (error !== null) {
      this.fail(error);
      return;
    }
    if (!fin) return;
    if (isText && !this.textAsBuffer) this.handler.onMessage(assembler.takeText(), false);
    else this.handler.onMessage(assembler.take(), !isText);
  }

  private onControlFrame(opcode: number, payload: Buffer): boolean {
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
    this.parser!.stop();
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
    this.parser?.stop();
    this.assembler?.reset();
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
    this.parser?.stop();
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

/** Codecs should fail with a WebSocketError; anything else is the extension's own failure. */
function asWebSocketError(error: Error): WebSocketError {
  if (error instanceof WebSocketError) return error;
  return new WebSocketError('WS_ERR_EXTENSION_FAILED', `extension failed to decode: ${error.message}`);
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
