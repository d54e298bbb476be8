import { CloseCode, MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD, Opcode } from './constants';
import { encodeClosePayload, parseClosePayload } from './close-payload';
import { WebSocketError } from './errors';
import { FrameParser, type FrameHandler } from './frame-parser';
import { writeControlFrame, writeMessage, writeShortText, type OutputSink } from './frame-writer';
import { MessageAssembler } from './message-assembler';
import type { DecodeCallback, EncodeCallback, EncodeOptions } from '../extension/extension';
import type { ExtensionChain } from '../extension/chain';

/**
 * The sans-I/O WebSocket protocol of one server-side connection: bytes in through `receive()`,
 * events out through a `ProtocolHandler`; commands in (`send`, `ping`, `close`), frame bytes out
 * through an `OutputSink`. No sockets, timers or emitters: the I/O layer owns those.
 *
 *   receive → FrameParser → (ExtensionChain.decode) → MessageAssembler → handler.onMessage
 *   send    → (ExtensionChain.encode, queued in order) → frame writer → sink
 */
export interface ProtocolHandler {
  onMessage(data: string | Buffer, isBinary: boolean): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** The peer's close frame arrived (1005 when it had no code). Input is over. */
  onPeerClose(code: number, reason: string): void;
  /** Our close frame (first or echo) has just been handed to the sink. */
  onCloseWritten(): void;
  /** The connection failed (peer's fault or an extension error); a close frame was written if still possible. */
  onFail(error: WebSocketError): void;
  /** Input that waited on an extension is flowing again (see `isInputPaused`). */
  onInputResumed(): void;
}

export interface ProtocolOptions {
  /** Largest incoming message in bytes (0 = no limit). */
  readonly maxPayload: number;
  /** Outgoing messages are split into frames of at most this many bytes. */
  readonly maxFrameSize: number;
  /** RSV bits claimed by the negotiated extensions. */
  readonly allowedRsv: number;
  /** The negotiated extensions' codecs, or null when none was negotiated. */
  readonly extensions: ExtensionChain | null;
}

export type WriteCallback = (error?: Error | null) => void;

interface QueuedMessage {
  readonly payload: Buffer;
  readonly options: EncodeOptions;
  readonly callback: WriteCallback | undefined;
}

/** A close frame waiting behind messages that extensions are still encoding. */
interface QueuedClose {
  readonly closePayload: Buffer;
}

const ENCODE_OPTIONS: readonly EncodeOptions[] = [
  { binary: false, compress: false },
  { binary: false, compress: true },
  { binary: true, compress: false },
  { binary: true, compress: true },
];

export class Protocol implements FrameHandler {
  private readonly sink: OutputSink;
  private readonly handler: ProtocolHandler;
  private readonly parser: FrameParser;
  private readonly assembler: MessageAssembler;
  private readonly chain: ExtensionChain | null;
  private readonly maxFrameSize: number;

  private messageOpcode = 0;
  private messageRsv = 0;

  // Inbound decode in flight (one frame at a time).
  private decoding = false;
  private decodingSync = false;
  private decodingFin = false;
  private readonly onDecodedBound: DecodeCallback | null = null;

  // Outbound messages waiting for, or in, the extension chain.
  private readonly queue: (QueuedMessage | QueuedClose)[] | null = null;
  private queuedBytes = 0;
  private queueHead: QueuedMessage | null = null;
  private encoding = false;
  private encodingSync = false;
  private readonly onEncodedBound: EncodeCallback | null = null;

  private closeQueued = false;
  private closeWritten = false;
  private closeReceived = false;
  private failed = false;

  constructor(sink: OutputSink, handler: ProtocolHandler, options: ProtocolOptions) {
    this.sink = sink;
    this.handler = handler;
    this.chain = options.extensions;
    this.maxFrameSize = options.maxFrameSize;
    this.assembler = new MessageAssembler(options.maxPayload);
    this.parser = new FrameParser(this, { maxPayload: options.maxPayload, allowedRsv: options.allowedRsv });
    // Only connections with extensions need the asynchronous machinery.
    if (this.chain !== null) {
      this.onDecodedBound = (error, payload) => this.onDecoded(error, payload);
      this.onEncodedBound = (error, payload, rsv) => this.onEncoded(error, payload, rsv);
      this.queue = [];
    }
  }

  // ---- inbound ---------------------------------------------------------------------------

  /** Feeds bytes from the peer. Nothing the peer sends throws out of here. */
  receive(chunk: Buffer): void {
    this.parser.push(chunk);
  }

  /** Parses what is still buffered (after a listener threw out of `receive`). */
  resumeInput(): void {
    if (!this.decoding) this.parser.resume();
  }

  /** True while input waits on an extension; the I/O layer may stop reading meanwhile. */
  get isInputPaused(): boolean {
    return this.parser.isPaused;
  }

  get bufferedInput(): number {
    return this.parser.bufferedBytes;
  }

  /** @internal FrameHandler */
  onFrame(opcode: number, fin: boolean, rsv: number, payload: Buffer): boolean {
    if (opcode >= 0x8) return this.onControlFrame(opcode, payload);
    if (opcode !== Opcode.Continuation) {
      this.messageOpcode = opcode;
      this.messageRsv = rsv;
    }
    if (this.chain === null) {
      this.addFragment(payload, fin);
      return !this.failed;
    }
    this.decoding = true;
    this.decodingSync = true;
    this.decodingFin = fin;
    this.chain.decode(payload, this.messageRsv, fin, this.onDecodedBound!);
    this.decodingSync = false;
    return !this.decoding && !this.failed;
  }

  /** @internal FrameHandler */
  onParseError(error: WebSocketError): void {
    this.fail(error);
  }

  private onDecoded(error: WebSocketError | null, payload: Buffer | null): void {
    this.decoding = false;
    if (this.failed || this.closeReceived) return;
    if (error !== null || payload === null) {
      this.fail(error ?? new WebSocketError('WS_ERR_EXTENSION_FAILED', 'extension returned no data'));
      return;
    }
    if (this.decodingSync) {
      this.addFragment(payload, this.decodingFin);
      return;
    }
    try {
      this.addFragment(payload, this.decodingFin);
    } finally {
      if (!this.failed) {
        this.parser.resume();
        if (!this.parser.isPaused) this.handler.onInputResumed();
      }
    }
  }

  private addFragment(payload: Buffer, fin: boolean): void {
    const isText = this.messageOpcode === Opcode.Text;
    const error = this.assembler.add(payload, isText, fin);
    if (error !== null) {
      this.fail(error);
      return;
    }
    if (!fin) return;
    const message = this.assembler.take();
    this.handler.onMessage(isText ? message.toString('utf8') : message, !isText);
  }

  private onControlFrame(opcode: number, payload: Buffer): boolean {
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2-3: answer with a pong carrying the same payload. Only data frames are
      // barred after our close frame (§5.5.1), so pings are answered until the peer's close.
      writeControlFrame(this.sink, Opcode.Pong, payload);
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
    this.closeReceived = true;
    this.parser.stop();
    if (!this.closeQueued) {
      this.queueClose(close.code === CloseCode.NoStatus ? encodeClosePayload() : encodeClosePayload(close.code));
    }
    this.handler.onPeerClose(close.code, close.reason);
    return false;
  }

  // ---- outbound --------------------------------------------------------------------------

  get isClosing(): boolean {
    return this.closeQueued;
  }

  get hasReceivedClose(): boolean {
    return this.closeReceived;
  }

  /** Bytes accepted by `send` and not yet handed to the sink (waiting on extensions). */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  sendText(text: string, compress: boolean, callback?: WriteCallback): void {
    if (this.chain === null && writeShortText(this.sink, text, this.maxFrameSize, callback)) return;
    this.send(Buffer.from(text, 'utf8'), false, compress, callback);
  }

  send(payload: Buffer, binary: boolean, compress: boolean, callback?: WriteCallback): void {
    if (this.chain === null) {
      writeMessage(this.sink, binary ? Opcode.Binary : Opcode.Text, payload, 0, this.maxFrameSize, callback);
      return;
    }
    const options = ENCODE_OPTIONS[(binary ? 2 : 0) + (compress ? 1 : 0)];
    this.queue!.push({ payload, options, callback });
    this.queuedBytes += payload.length;
    if (!this.encoding) this.flushQueue();
  }

  /** Writes frames that were built elsewhere (a broadcast framed once for many connections). */
  sendFrames(frames: readonly Buffer[], callback?: WriteCallback): void {
    this.sink.cork();
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) this.sink.push(frames[i]);
    this.sink.push(frames[last], callback);
    this.sink.uncork();
  }

  /** True when pre-built frames may be written as they are (no extension transforms output). */
  get acceptsRawFrames(): boolean {
    return this.chain === null;
  }

  ping(payload: Buffer, callback?: WriteCallback): void {
    checkControlPayload(payload);
    writeControlFrame(this.sink, Opcode.Ping, payload, callback);
  }

  pong(payload: Buffer, callback?: WriteCallback): void {
    checkControlPayload(payload);
    writeControlFrame(this.sink, Opcode.Pong, payload, callback);
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
   * if ours is not out yet, and discard all further input.
   */
  fail(error: WebSocketError): void {
    if (this.failed) return;
    this.failed = true;
    this.parser.stop();
    this.assembler.reset();
    // Our close frame may be queued behind messages still being encoded: those are dropped and
    // the failure's close frame goes out now instead.
    if (!this.closeWritten) {
      this.closeQueued = true;
      if (this.queue !== null) this.queue.length = 0;
      this.queuedBytes = 0;
      this.writeClose(encodeClosePayload(error.closeCode, truncateReason(error.message)));
    }
    this.handler.onFail(error);
  }

  private queueClose(body: Buffer): void {
    this.closeQueued = true;
    if (this.queue === null || (this.queue.length === 0 && !this.encoding)) {
      this.writeClose(body);
      return;
    }
    this.queue.push({ closePayload: body });
  }

  private writeClose(body: Buffer): void {
    writeControlFrame(this.sink, Opcode.Close, body);
    this.closeWritten = true;
    this.handler.onCloseWritten();
  }

  get hasWrittenClose(): boolean {
    return this.closeWritten;
  }

  private flushQueue(): void {
    const queue = this.queue!;
    while (queue.length > 0 && !this.encoding) {
      const next = queue.shift()!;
      if ('closePayload' in next) {
        this.writeClose(next.closePayload);
        continue;
      }
      this.queueHead = next;
      this.encoding = true;
      this.encodingSync = true;
      this.chain!.encode(next.payload, next.options, this.onEncodedBound!);
      this.encodingSync = false;
    }
  }

  private onEncoded(error: Error | null, payload: Buffer | null, rsv: number): void {
    const message = this.queueHead;
    if (message === null) return;
    this.queueHead = null;
    this.encoding = false;
    if (this.failed) return;
    this.queuedBytes -= message.payload.length;
    if (error !== null || payload === null) {
      message.callback?.(error ?? new Error('extension returned no data'));
      this.fail(new WebSocketError('WS_ERR_EXTENSION_FAILED', `extension failed to encode: ${error?.message ?? 'no data'}`));
      return;
    }
    const opcode = message.options.binary ? Opcode.Binary : Opcode.Text;
    writeMessage(this.sink, opcode, payload, rsv, this.maxFrameSize, message.callback);
    if (!this.encodingSync) this.flushQueue();
  }
}

function checkControlPayload(payload: Buffer): void {
  if (payload.length > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(`control frame payload is ${payload.length} bytes; at most ${MAX_CONTROL_PAYLOAD} are allowed`);
  }
}

function truncateReason(message: string): string {
  if (Buffer.byteLength(message) <= MAX_CLOSE_REASON_BYTES) return message;
  return Buffer.from(message).subarray(0, MAX_CLOSE_REASON_BYTES).toString('utf8').replace(/\uFFFD$/, '');
}
