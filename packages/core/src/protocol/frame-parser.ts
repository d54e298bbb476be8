import { ChunkQueue, allocWithHeadroom, copyUnmasked } from './chunk-queue';
import { Opcode } from './constants';
import { WebSocketError } from './errors';
import { checkFrameHeader, nonMinimalLength } from './frame-header';
import { HEADROOM, HEADROOM_MIN_PAYLOAD, offerHeadroom } from './headroom';
import { rotateMask, unmaskInPlaceIsAscii, unmaskPayload, unmaskPayloadFrom, unmaskPiecesFrom } from './mask';
import { ROPE_MAX } from './text-codec';

/**
 * Streaming parser for client frames (RFC 6455 §5.2), or server frames with `fromServer`. Chunks may be cut anywhere. Every rule
 * that a header alone can break is checked before any payload is held, so a header claiming
 * 2^63 bytes costs nothing. Frames leave unmasked, in order, through `FrameHandler.onFrame`.
 *
 *   chunk → [header 2 B] → [length 2/8 B] → [mask 4 B] → [payload] → unmask → onFrame
 *                                                            ↘ (text, streamText) unmask → onTextPayload
 *                                                            ↘ (data, streamPieces) unmask → onFramePiece
 *
 * With `streamText`, the payload of a text frame (or of a continuation of a text message) that
 * is not complete yet is unmasked as it arrives and shown to `onTextPayload`, so invalid UTF-8
 * can fail the connection before the rest of the frame comes. With `streamPieces` (extensions
 * that decode frames in pieces), the arrived part of a data frame is taken out of the buffer
 * instead and handed to `onFramePiece`; `onFrame` then gets only the rest. A frame that arrives
 * whole in one chunk goes through neither.
 *
 * A large frame that spans chunks is copied out of them unmasked in one pass: once a quarter of
 * it has come, into a Buffer of its full size that each later chunk is copied into as it
 * arrives (`fill`), so the socket's chunks are let go at once and each is read while still in
 * cache; text pieces are then shown to `onTextPayload` from that Buffer. With `asciiText`, a
 * large one-frame text message (up to `ROPE_MAX`) is not filled: its bytes stay in the chunks,
 * unmasked there as they come, and leave as views of them through `onTextPieces`. A small
 * one-frame text message whole in one chunk (most messages) skips the header states: its
 * header is read from the chunk in one step (`takeWholeMessage`), as is a small binary one's.
 */
export interface FrameHandler {
  /**
   * One complete frame. `rsv` is this frame's RSV bits (4 = RSV1). `reported` is how many bytes
   * at the start of `payload` were already shown to `onTextPayload` (0 unless `streamText`).
   * Return false to pause parsing: the handler calls `resume()` when it is ready for the next frame.
   */
  onFrame(opcode: number, fin: boolean, rsv: number, payload: Buffer, reported: number): boolean;
  /**
   * With `asciiText`: a whole text message in one small frame, all ASCII (so valid UTF-8),
   * unmasked in place at `bytes[start, end)` of a received chunk, to decode from there. Return
   * as from `onFrame`.
   */
  onAsciiText?(bytes: Buffer, start: number, end: number): boolean;
  /**
   * With `streamText`: the next unmasked bytes of a text frame still incomplete, in order.
   * Return false when the handler failed the connection (it has called `stop()`).
   */
  onTextPayload?(bytes: Buffer): boolean;
  /**
   * With `streamPieces`: the next unmasked bytes of a data frame still incomplete (never empty),
   * consumed: the frame's `onFrame` carries only what follows them. Return false to pause, as
   * from `onFrame`; parsing goes on inside the same frame at `resume()`, joining what arrived
   * meanwhile into one piece.
   */
  onFramePiece?(opcode: number, rsv: number, piece: Buffer): boolean;
  /**
   * With `asciiText`: a whole large text message in one frame, unmasked, as views of the chunks it
   * came in (`length` bytes in all), the first `checked` of them shown to `onTextPayload`
   * already. Return as from `onFrame`.
   */
  onTextPieces?(pieces: Buffer[], length: number, checked: number): boolean;
  /** The peer broke the protocol; the parser has stopped and discards all further input. */
  onParseError(error: WebSocketError): void;
}

export interface FrameParserOptions {
  /** Largest message in bytes across fragments (0 = no limit). */
  readonly maxPayload: number;
  /** RSV bits claimed by negotiated extensions: allowed on a message's first frame only. */
  readonly allowedRsv: number;
  /** Show text payload to `onTextPayload` as it arrives (only when no extension transforms it). */
  readonly streamText?: boolean;
  /** Hand one-frame ASCII text messages to `onAsciiText` (only when no extension transforms them). */
  readonly asciiText?: boolean;
  /** Hand data-frame payload to `onFramePiece` as it arrives (extensions that decode pieces). */
  readonly streamPieces?: boolean;
  /** Client role: frames come from a server, so they must NOT be masked (RFC 6455 §5.1). Default false. */
  readonly fromServer?: boolean;
}

const enum State {
  Header,
  Length16,
  Length64,
  Mask,
  Payload,
  Paused,
  Stopped,
}

/** What `takeWholeMessage` did: not that kind of frame (nothing consumed), or handed it over and parsing goes on or waits. */
const enum Whole {
  None,
  GoOn,
  Wait,
}

const EMPTY = Buffer.alloc(0);
/**
 * With `streamPieces`, a message's first pieces go out however small, so a short write that
 * makes the text invalid is decoded at once; past this many pieces under SMALL_PIECE bytes,
 * smaller ones wait until SMALL_PIECE bytes have come (or the frame ends). A peer trickling a
 * frame a byte per packet would otherwise cost a codec call (a zlib round trip) per byte.
 */
const SMALL_PIECES_PER_MESSAGE = 64;
const SMALL_PIECE = 256;
/**
 * Frames from this size are filled as they arrive, once a quarter of the payload has come: a
 * header alone never makes the parser hold more than four times what the peer sent.
 */
const FILL_MIN = 16 * 1024;
const FILL_START_SHARE = 4;

/**
 * The streaming client-frame parser described at {@link FrameHandler}: push socket chunks in,
 * frames come out.
 */
export class FrameParser {
  private readonly handler: FrameHandler;
  private readonly maxPayload: number;
  private readonly allowedRsv: number;
  private readonly streamText: boolean;
  private readonly streamPieces: boolean;
  private readonly asciiText: boolean;
  private readonly fromServer: boolean;

  private readonly input = new ChunkQueue();
  private state = State.Header;
  /** Where `resume()` goes on from: the next header, or the rest of a frame handed in pieces. */
  private resumeState = State.Header;

  // The frame being read.
  private fin = false;
  private rsv = 0;
  private opcode = 0;
  private payloadLength = 0;
  private mask = 0;
  /** Payload bytes of this frame already unmasked and shown to `onTextPayload`. */
  private reported = 0;
  /** The frame's payload being filled as chunks come (see FILL_MIN), and its bytes so far. */
  private fill: Buffer | null = null;
  private filled = 0;

  // The message being read: opcode of its first frame (0 = none in progress), bytes so far.
  private messageOpcode = 0;
  private messageLength = 0;
  /** Pieces under SMALL_PIECE bytes handed out for this message (`streamPieces`). */
  private smallPieces = 0;

  constructor(handler: FrameHandler, options: FrameParserOptions) {
    this.handler = handler;
    this.maxPayload = options.maxPayload;
    this.allowedRsv = options.allowedRsv;
    this.streamText = options.streamText === true;
    this.streamPieces = options.streamPieces === true;
    this.asciiText = options.asciiText === true;
    this.fromServer = options.fromServer === true;
  }

  /**
   * Feeds one chunk from the socket; complete frames are handed to the handler before it returns,
   * unless paused.
   */
  push(chunk: Buffer): void {
    if (this.state === State.Stopped || chunk.length === 0) return;
    if (this.fill !== null) {
      this.fillFrom(chunk);
      return;
    }
    this.input.push(chunk);
    if (this.state !== State.Paused) this.parse();
  }

  /**
   * Continues after `onFrame` returned false, or after a handler threw out of `push` with
   * frames still buffered. Never call it from inside `onFrame`.
   */
  resume(): void {
    if (this.state === State.Stopped) return;
    if (this.state === State.Paused) this.state = this.resumeState;
    this.parse();
  }

  /** Stops for good and drops what is buffered (RFC 6455 §7.1.7: discard input after failing). */
  stop(): void {
    this.state = State.Stopped;
    this.input.clear();
    this.reported = 0;
    this.fill = null;
  }

  /** True while parsing waits (for an asynchronous extension); pushed chunks are kept meanwhile. */
  get isPaused(): boolean {
    return this.state === State.Paused;
  }

  /** Bytes received and not yet parsed. */
  get bufferedBytes(): number {
    return this.input.length;
  }

  private parse(): void {
    const input = this.input;
    for (;;) {
      switch (this.state) {
        case State.Header: {
          if (input.length < 2) return;
          const whole = this.takeWholeMessage();
          if (whole === Whole.None) {
            if (!this.readHeader()) return;
          } else if (whole === Whole.Wait) {
            return;
          }
          break;
        }
        case State.Length16:
          if (input.length < 2) return;
          this.payloadLength = (input.readByte() << 8) | input.readByte();
          if (this.payloadLength < 126) {
            this.fail(nonMinimalLength());
            return;
          }
          if (!this.checkLength()) return;
          break;
        case State.Length64:
          if (input.length < 8) return;
          if (!this.readLength64()) return;
          break;
        case State.Mask:
          if (input.length < 4) return;
          this.mask = input.readUint32();
          this.state = State.Payload;
          break;
        case State.Payload:
          if (input.length < this.payloadLength) {
            if (this.payloadLength >= FILL_MIN) {
              if (this.fill !== null) return; // resumed while filling: the next chunk goes on
              if (this.fillIsDue()) {
                this.startFill();
                return;
              }
            }
            // Everything buffered belongs to this frame; show what is new (RFC 6455 §8.1).
            if (this.streamText && input.length > this.reported && this.isText()) this.reportText();
            else if (this.streamPieces && input.length > 0 && this.opcode < 0x8 && this.pieceIsDue()) this.emitPiece();
            return;
          }
          if (!this.emitFrame()) return;
          break;
        default:
          return;
      }
    }
  }

  /**
   * Most frames in one step: a whole one-frame text or binary message under HEADROOM_MIN_PAYLOAD
   * bytes at the head of the first chunk, its header read from there directly rather than a
   * byte at a time through the states. Only a header that passes every check of the states
   * qualifies (FIN, no RSV, opcode 1 or 2 with no message in progress, masked, the shortest
   * length, within maxPayload); anything else is left to them, consuming nothing.
   */
  private takeWholeMessage(): Whole {
    const chunk = this.input.chunks[0];
    const at = this.input.offset;
    const available = chunk.length - at;
    const first = chunk[at];
    // 0x81 and 0x82: FIN, no RSV, text or binary. Text takes it only where `onAsciiText` is
    // there to take the text in place; binary goes to `onFrame` as the states would send it.
    const text = first === 0x81;
    if (available < 7 || (text ? !this.asciiText : first !== 0x82) || this.messageOpcode !== 0 || this.fromServer) {
      return Whole.None;
    }
    const second = chunk[at + 1];
    let length = second & 0x7f;
    let headerLength = 6;
    if (second < 0x81 || length === 127) return Whole.None; // unmasked, empty, or a 64-bit length
    if (length === 126) {
      length = (chunk[at + 2] << 8) | chunk[at + 3];
      headerLength = 8;
      if (length < 126 || length >= HEADROOM_MIN_PAYLOAD) return Whole.None;
    }
    if (headerLength + length > available || (this.maxPayload > 0 && length > this.maxPayload)) return Whole.None;
    const key = at + headerLength - 4;
    this.mask = ((chunk[key] << 24) | (chunk[key + 1] << 16) | (chunk[key + 2] << 8) | chunk[key + 3]) >>> 0;
    this.fin = true;
    this.rsv = 0;
    this.payloadLength = length;
    this.input.takeInPlace(headerLength + length);
    const start = at + headerLength;
    if (text) {
      this.opcode = Opcode.Text;
      return this.deliverText(chunk, start, length) ? Whole.GoOn : Whole.Wait;
    }
    this.opcode = Opcode.Binary;
    const payload = chunk.subarray(start, start + length);
    unmaskPayload(payload, this.mask);
    return this.deliver(payload, 0) ? Whole.GoOn : Whole.Wait;
  }

  private readHeader(): boolean {
    const first = this.input.readByte();
    const second = this.input.readByte();
    const error = checkFrameHeader(first, second, this.messageOpcode, this.allowedRsv, this.fromServer);
    if (error !== null) return this.fail(error);
    this.fin = (first & 0x80) !== 0;
    this.rsv = (first >> 4) & 0x07;
    this.opcode = first & 0x0f;
    const length = second & 0x7f;
    if (length < 126) {
      this.payloadLength = length;
      return this.checkLength();
    }
    this.state = length === 126 ? State.Length16 : State.Length64;
    return true;
  }

  private readLength64(): boolean {
    const high = this.input.readUint32();
    const low = this.input.readUint32();
    // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
    if (high >= 0x80000000) {
      return this.fail(new WebSocketError('WS_ERR_INVALID_LENGTH', 'payload length has its most significant bit set'));
    }
    // Above 2^53 the value is inexact, but any such length is far past every limit anyway.
    this.payloadLength = high * 0x100000000 + low;
    if (this.payloadLength < 0x10000) return this.fail(nonMinimalLength());
    return this.checkLength();
  }

  /** maxPayload, from the header alone: nothing of an oversized message is ever buffered. */
  private checkLength(): boolean {
    if (this.opcode < 0x8) {
      const total = this.messageLength + this.payloadLength;
      if (this.maxPayload > 0 && total > this.maxPayload) {
        return this.fail(new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `message over ${this.maxPayload} bytes`));
      }
      if (total > Number.MAX_SAFE_INTEGER) {
        return this.fail(new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', 'message length beyond 2^53 bytes'));
      }
    }
    // A server frame has no key: a mask of 0 leaves its payload as it is, and unmasking skips it.
    this.state = this.fromServer ? State.Payload : State.Mask;
    return true;
  }

  private emitFrame(): boolean {
    const length = this.payloadLength;
    if (length < HEADROOM_MIN_PAYLOAD) {
      // A whole text message in one chunk (most messages): unmasked where it lies and, when
      // that finds it ASCII, decoded from there, with no assembler and no second pass to
      // validate (and below 1 KiB no view either: unmaskInPlaceIsAscii).
      if (this.asciiText && this.opcode === Opcode.Text && this.fin && this.reported === 0 && length > 0) {
        const chunk = this.input.takeInPlace(length);
        if (chunk !== null) return this.deliverText(chunk, this.input.takenAt, length);
      }
      // Most frames: a view, or one copy when cut across chunks, unmasked in place. Kept apart
      // from the large-frame path below: one path for both cost the 64 B echo 7 to 9% (measured
      // twice, alternated rounds against a37c6ef).
      const payload = length === 0 ? EMPTY : this.input.read(length);
      const reported = this.reported;
      if (reported === 0) {
        unmaskPayload(payload, this.mask);
      } else {
        this.reported = 0;
        unmaskPayloadFrom(payload, this.mask, reported);
      }
      return this.deliver(payload, reported);
    }
    if (this.keepsTextInPlace()) return this.deliverTextPieces(length);
    const headroom = this.isWholeLargeMessage() ? this.input.headroomBefore(length, clientHeaderLength(length)) : 0;
    // Bytes shown to onTextPayload were unmasked in place as they came: only the rest is masked.
    const reported = this.reported;
    const payload = this.input.readUnmasked(length, this.mask, reported);
    this.reported = 0;
    if (headroom > 0) offerHeadroom(payload, headroom);
    return this.deliver(payload, reported);
  }

  /**
   * A message in one data frame, large enough to be written behind its header as a chunk of its
   * own (headroom.ts); a client writes masked copies, so only a server offers headroom.
   */
  private isWholeLargeMessage(): boolean {
    return (
      this.fin && this.opcode !== Opcode.Continuation && this.payloadLength >= HEADROOM_MIN_PAYLOAD && !this.fromServer
    );
  }

  /**
   * A large one-frame text message that stays in the chunks it came in (see `onTextPieces`):
   * where a fill would copy it out, only to be decoded from the copy and sent back from it.
   */
  private keepsTextInPlace(): boolean {
    return this.asciiText && this.opcode === Opcode.Text && this.fin && this.payloadLength <= ROPE_MAX;
  }

  /** The whole of a `keepsTextInPlace` frame is buffered: its payload as views, unmasked. */
  private deliverTextPieces(length: number): boolean {
    // The peer's header and key right before the payload in its chunk are ours to reuse (headroom.ts).
    const headerLength = clientHeaderLength(length);
    const headroom = !this.fromServer && this.input.offset >= headerLength ? headerLength : 0;
    const pieces = this.input.takeViews(length);
    const checked = this.reported;
    this.reported = 0;
    unmaskPiecesFrom(pieces, this.mask, checked);
    if (headroom > 0) offerHeadroom(pieces[0], headroom);
    this.messageLength = 0;
    this.state = State.Header;
    return this.handed(this.handler.onTextPieces!(pieces, length, checked));
  }

  /** Hands a frame over, its payload unmasked; false when parsing must not go on now. */
  private deliver(payload: Buffer, reported: number): boolean {
    const opcode = this.opcode;
    const fin = this.fin;
    const rsv = this.rsv;

    // Message bookkeeping and state are settled before the handler runs, so a listener that
    // throws leaves the parser ready for the next frame.
    if (opcode < 0x8) {
      if (fin) {
        this.messageOpcode = 0;
        this.messageLength = 0;
        this.smallPieces = 0;
      } else {
        if (opcode !== Opcode.Continuation) this.messageOpcode = opcode;
        this.messageLength += payload.length;
      }
    }
    this.state = State.Header;
    return this.handed(this.handler.onFrame(opcode, fin, rsv, payload, reported));
  }

  /** A one-frame text message (no message in progress) at `chunk[start, start + length)`, still masked. */
  private deliverText(chunk: Buffer, start: number, length: number): boolean {
    if (!unmaskInPlaceIsAscii(chunk, this.mask, start, length)) {
      return this.deliver(chunk.subarray(start, start + length), 0); // validated as UTF-8 there
    }
    this.state = State.Header;
    return this.handed(this.handler.onAsciiText!(chunk, start, start + length));
  }

  /** After the handler took a frame: true to parse on; false when it asked to wait or stopped the parser. */
  private handed(goOn: boolean): boolean {
    if (goOn) return this.state === State.Header;
    if (this.state === State.Header) {
      this.state = State.Paused;
      this.resumeState = State.Header;
    }
    return false;
  }

  /**
   * Takes every buffered byte (all of them this frame's, fewer than its payload) out as one
   * piece: a view when they sit in one chunk. The mask is rotated past them, so the rest of the
   * frame unmasks from its own first byte, and the message's length so far grows by them, so
   * `checkLength` and `emitFrame` count the frame once.
   */
  private emitPiece(): void {
    if (this.input.length < SMALL_PIECE) this.smallPieces++;
    const piece = this.input.read(this.input.length);
    unmaskPayload(piece, this.mask);
    this.mask = rotateMask(this.mask, piece.length);
    this.payloadLength -= piece.length;
    this.messageLength += piece.length;
    if (this.handler.onFramePiece!(this.opcode, this.rsv, piece)) return;
    if (this.state === State.Payload) {
      this.state = State.Paused;
      this.resumeState = State.Payload;
    }
  }

  /** A data frame too large to copy out of the chunks at its end (streamPieces takes its own path). */
  private fillIsDue(): boolean {
    const length = this.payloadLength;
    return (
      length >= FILL_MIN &&
      this.input.length * FILL_START_SHARE >= length &&
      !this.streamPieces &&
      !this.keepsTextInPlace()
    );
  }

  /** Moves the frame's bytes so far into a Buffer of its size, which the next chunks fill. */
  private startFill(): void {
    const fill = allocWithHeadroom(this.payloadLength);
    const reported = this.reported; // unmasked in place already, as shown to onTextPayload
    const length = this.input.length;
    this.input.moveInto(fill, 0, length, this.mask, reported);
    this.fill = fill;
    this.filled = length;
    if (length > reported && this.streamText && this.isText()) this.reportFilled(reported);
  }

  /**
   * A chunk while filling: this frame's bytes are copied in, unmasked; once it is complete the
   * rest of the chunk is queued before the frame goes out, so a throwing handler loses nothing.
   */
  private fillFrom(chunk: Buffer): void {
    const fill = this.fill!;
    const at = this.filled;
    const take = Math.min(chunk.length, fill.length - at);
    copyUnmasked(take === chunk.length ? chunk : chunk.subarray(0, take), fill, at, this.mask, 0);
    this.filled = at + take;
    if (this.filled < fill.length) {
      if (this.streamText && this.isText()) this.reportFilled(at);
      return;
    }
    if (take < chunk.length) this.input.push(chunk.subarray(take));
    this.fill = null;
    const reported = this.reported;
    this.reported = 0;
    if (this.isWholeLargeMessage()) offerHeadroom(fill, HEADROOM);
    if (this.deliver(fill, reported)) this.parse();
  }

  /** Shows the filled bytes from `from` on to `onTextPayload`. */
  private reportFilled(from: number): void {
    this.reported = this.filled;
    this.handler.onTextPayload!(this.fill!.subarray(from, this.filled));
  }

  /** Small pieces go out while the message has had few of them (see SMALL_PIECES_PER_MESSAGE). */
  private pieceIsDue(): boolean {
    return this.input.length >= SMALL_PIECE || this.smallPieces < SMALL_PIECES_PER_MESSAGE;
  }

  /** A text frame, or a continuation of a text message. */
  private isText(): boolean {
    return this.opcode === Opcode.Text || (this.opcode === Opcode.Continuation && this.messageOpcode === Opcode.Text);
  }

  /**
   * Unmasks in place the payload bytes that arrived since the last report and shows them to the
   * handler. They are the newest buffered bytes, so the walk starts from the last chunk: a frame
   * trickled in many chunks costs each chunk once.
   */
  private reportText(): void {
    const chunks = this.input.chunks;
    let index = chunks.length - 1;
    let fresh = this.input.length - this.reported;
    for (;;) {
      const available = chunks[index].length - (index === 0 ? this.input.offset : 0);
      if (fresh <= available) break;
      fresh -= available;
      index--;
    }
    let start = chunks[index].length - fresh;
    for (; index < chunks.length; index++) {
      const chunk = chunks[index];
      const bytes = start === 0 ? chunk : chunk.subarray(start);
      start = 0;
      unmaskPayload(bytes, rotateMask(this.mask, this.reported));
      this.reported += bytes.length;
      if (!this.handler.onTextPayload!(bytes) || this.state === State.Stopped) return;
    }
  }

  private fail(error: WebSocketError): false {
    this.stop();
    this.handler.onParseError(error);
    return false;
  }
}

/** Bytes of a masked frame's header and key before a payload of `length` bytes (RFC 6455 §5.2). */
function clientHeaderLength(length: number): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + 4;
}
