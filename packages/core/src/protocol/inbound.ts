import { Opcode } from './constants';
import { WebSocketError } from './errors';
import { FrameParser, type FrameHandler } from './frame-parser';
import { MessageAssembler } from './message-assembler';
import type { ProtocolHandler } from './protocol-handler';
import { forgetHeadroom } from './headroom';
import { isAscii } from 'node:buffer';
import { decodeAsciiAt, decodeAsciiPieces, forgetText } from './text-codec';
import type { DecodeCallback } from '../extension/extension';
import type { ExtensionChain } from '../extension/chain';

/** What the inbound half asks of the protocol it belongs to. */
export interface InboundOwner {
  readonly hasFailed: boolean;
  readonly hasReceivedClose: boolean;
  /** A ping, pong or close frame: answered there, as answers are output. False to stop parsing. */
  onControlFrame(opcode: number, payload: Buffer): boolean;
  /** _Fail the WebSocket Connection_ (RFC 6455 §7.1.7). */
  fail(error: WebSocketError): void;
}

/** The limits and codecs the inbound half works with (from `ProtocolOptions`). */
export interface InboundSetup {
  readonly maxPayload: number;
  readonly allowedRsv: number;
  readonly textAsBuffer: boolean;
  readonly chain: ExtensionChain | null;
  /** Client role: the peer is a server, whose frames are not masked. */
  readonly fromServer: boolean;
}

/**
 * The inbound half of a `Protocol`: frames from the parser, data frames (or their pieces) through
 * the extensions' decoders, then the assembler, then `onMessage`. Made on the first byte
 * received: a connection that never receives one (most of a server's, most of the time) does
 * without the parser, the assembler and this.
 */
export class Inbound implements FrameHandler {
  private readonly owner: InboundOwner;
  private readonly handler: ProtocolHandler;
  private readonly parser: FrameParser;
  private readonly assembler: MessageAssembler;
  private readonly chain: ExtensionChain | null;
  private readonly textAsBuffer: boolean;

  private messageOpcode = 0;
  private messageRsv = 0;

  // Decode in flight (one frame, or piece of one, at a time); only with extensions.
  private decoding = false;
  private decodingSync = false;
  private decodingFin = false;
  private readonly onDecodedBound: DecodeCallback | null = null;

  constructor(owner: InboundOwner, handler: ProtocolHandler, setup: InboundSetup) {
    this.owner = owner;
    this.handler = handler;
    this.chain = setup.chain;
    this.textAsBuffer = setup.textAsBuffer;
    this.assembler = new MessageAssembler(setup.maxPayload);
    this.parser = new FrameParser(this, {
      maxPayload: setup.maxPayload,
      allowedRsv: setup.allowedRsv,
      // Text can be checked before its frame is complete when no extension transforms it, or
      // when every codec decodes frames in pieces (then its output is checked as it comes).
      streamText: this.chain === null,
      asciiText: this.chain === null && !this.textAsBuffer,
      streamPieces: this.chain !== null && this.chain.decodesPartialFrames,
      fromServer: setup.fromServer,
    });
    if (this.chain !== null) this.onDecodedBound = (error, payload) => this.onDecoded(error, payload);
  }

  /** Feeds bytes from the peer. */
  push(chunk: Buffer): void {
    this.parser.push(chunk);
    forgetText();
    forgetHeadroom();
  }

  /** Parses what is still buffered (after a listener threw, or a decode finished). */
  resume(): void {
    if (!this.decoding) this.parser.resume();
  }

  /** Input ended (the peer's close frame): the rest is discarded. */
  stop(): void {
    this.parser.stop();
  }

  /** The connection failed: input is discarded and a message in progress forgotten. */
  discard(): void {
    this.parser.stop();
    this.assembler.reset();
  }

  /** True while input waits on an extension. */
  get isPaused(): boolean {
    return this.parser.isPaused;
  }

  /** Bytes received and not yet parsed. */
  get bufferedBytes(): number {
    return this.parser.bufferedBytes;
  }

  /** @internal FrameHandler */
  onFrame(opcode: number, fin: boolean, rsv: number, payload: Buffer, reported: number): boolean {
    if (opcode >= Opcode.Close) return this.owner.onControlFrame(opcode, payload);
    if (opcode !== Opcode.Continuation) {
      this.messageOpcode = opcode;
      this.messageRsv = rsv;
    }
    if (this.chain === null) {
      this.addFragment(payload, fin, reported);
      return !this.owner.hasFailed;
    }
    return this.decode(payload, fin);
  }

  /** @internal FrameHandler: a one-frame ASCII text message, decoded from where it was received. */
  onAsciiText(bytes: Buffer, start: number, end: number): boolean {
    this.messageOpcode = Opcode.Text;
    this.messageRsv = 0;
    this.handler.onMessage(decodeAsciiAt(bytes, start, end), false);
    return !this.owner.hasFailed;
  }

  /**
   * @internal FrameHandler: a large one-frame text message as views of its chunks. ASCII (the
   * first `checked` bytes were seen by `onTextPayload`) is decoded from them; other text is
   * joined and validated as any frame.
   */
  onTextPieces(pieces: Buffer[], length: number, checked: number): boolean {
    this.messageOpcode = Opcode.Text;
    this.messageRsv = 0;
    if (this.assembler.checkedAscii && areAsciiFrom(pieces, checked)) {
      this.assembler.reset(); // forgets what `onTextPayload` saw
      this.handler.onMessage(decodeAsciiPieces(pieces, length), false);
    } else {
      this.addFragment(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length), true, checked);
    }
    return !this.owner.hasFailed;
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

  /** @internal FrameHandler: part of a text frame, checked before the rest arrives (§8.1). */
  onTextPayload(bytes: Buffer): boolean {
    const error = this.assembler.checkPartialText(bytes);
    if (error === null) return true;
    this.owner.fail(error);
    return false;
  }

  /** @internal FrameHandler */
  onParseError(error: WebSocketError): void {
    this.owner.fail(error);
  }

  /** Hands `payload` to the codecs; false while they work on it (or once the connection failed). */
  private decode(payload: Buffer, fin: boolean): boolean {
    this.decoding = true;
    this.decodingSync = true;
    this.decodingFin = fin;
    this.chain!.decode(payload, this.messageRsv, fin, this.onDecodedBound!);
    this.decodingSync = false;
    return !this.decoding && !this.owner.hasFailed;
  }

  private onDecoded(error: WebSocketError | null, payload: Buffer | null): void {
    this.decoding = false;
    const owner = this.owner;
    if (owner.hasFailed || owner.hasReceivedClose) return;
    if (error !== null || payload === null) {
      owner.fail(asWebSocketError(error ?? new Error('extension returned no data')));
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
      if (!owner.hasFailed) {
        this.parser.resume();
        if (!this.parser.isPaused) this.handler.onInputResumed();
      }
    }
  }

  /** `checked`: bytes at the start of `payload` already validated by `onTextPayload`. */
  private addFragment(payload: Buffer, fin: boolean, checked: number): void {
    const isText = this.messageOpcode === Opcode.Text;
    const assembler = this.assembler;
    const error = assembler.add(payload, isText, fin, checked);
    if (error !== null) {
      this.owner.fail(error);
      return;
    }
    if (!fin) return;
    if (!isText) this.handler.onMessage(assembler.take(), true);
    else this.handler.onMessage(this.textAsBuffer ? assembler.takeTextBytes() : assembler.takeText(), false);
  }
}

/** Whether the bytes of `pieces` from byte `from` on (counted across them) are all ASCII. */
function areAsciiFrom(pieces: readonly Buffer[], from: number): boolean {
  let position = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const end = position + piece.length;
    if (end > from && !isAscii(from > position ? piece.subarray(from - position) : piece)) return false;
    position = end;
  }
  return true;
}

/** Codecs should fail with a WebSocketError; anything else is the extension's own failure. */
function asWebSocketError(error: Error): WebSocketError {
  if (error instanceof WebSocketError) return error;
  return new WebSocketError('WS_ERR_EXTENSION_FAILED', `extension failed to decode: ${error.message}`);
}
