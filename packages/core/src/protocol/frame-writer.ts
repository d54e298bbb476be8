import { Opcode } from './constants';
import { takeHeadroom } from './headroom';
import { maskInto, unmask } from './mask';
import { nextMaskKey } from './mask-keys';
import { utf8Length, writeUtf8 } from './text-codec';

/**
 * Where frame bytes go. `cork`/`uncork` bracket one message so that header and payload (and
 * all frames of a fragmented message) leave in one writev; a socket implements it directly.
 */
export interface OutputSink {
  /** Starts holding writes, until `uncork`. */
  cork(): void;
  /** Writes what was held, together. */
  uncork(): void;
  /** Writes one chunk; `callback` runs once it is handed to the OS, or with the error. */
  push(chunk: Buffer, callback?: (error?: Error | null) => void): void;
  /**
   * Optional: room for one frame of `length` bytes in `block`, so that the frame is written in
   * place rather than allocated and pushed: the offset to write it at, or -1 when there is none.
   * The frame leaves in order with the pushed chunks, as if pushed when `reserve` was called.
   */
  reserve?(length: number): number;
  /** The buffer `reserve` lends room in; read it after each `reserve`, as it may change. */
  readonly block?: Buffer;
}

/** Payloads up to this size are copied behind their header so each frame is one buffer. */
const MERGE_LIMIT = 8 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Where a frame of `length` bytes goes: an offset in `sink.block` (written in place), or -1 to
 * allocate it. A frame with a callback is always its own chunk, for the callback to ride on.
 */
function reserveFrame(sink: OutputSink, length: number, callback: unknown): number {
  return callback === undefined && sink.reserve !== undefined ? sink.reserve(length) : -1;
}

export function frameHeaderLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
}

/**
 * Writes a server frame header (never masked, RFC 6455 §5.1; see `writeMaskedFrameHeader`) into `target` at `offset`.
 * Returns the header's length.
 */
export function writeFrameHeader(
  target: Buffer,
  offset: number,
  opcode: number,
  fin: boolean,
  rsv: number,
  payloadLength: number,
): number {
  target[offset] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (payloadLength < 126) {
    target[offset + 1] = payloadLength;
    return 2;
  }
  if (payloadLength < 0x10000) {
    target[offset + 1] = 126;
    target.writeUInt16BE(payloadLength, offset + 2);
    return 4;
  }
  target[offset + 1] = 127;
  target.writeUInt32BE(Math.floor(payloadLength / 0x100000000), offset + 2);
  target.writeUInt32BE(payloadLength >>> 0, offset + 6);
  return 10;
}

/**
 * Writes a client frame header: the server form with the mask bit set and `maskKey` behind the
 * length (RFC 6455 §5.2). Returns the header's length (4 more than the server's).
 */
export function writeMaskedFrameHeader(
  target: Buffer,
  offset: number,
  opcode: number,
  fin: boolean,
  rsv: number,
  payloadLength: number,
  maskKey: number,
): number {
  const length = writeFrameHeader(target, offset, opcode, fin, rsv, payloadLength);
  target[offset + 1] |= 0x80;
  target.writeUInt32BE(maskKey, offset + length);
  return length + 4;
}

/**
 * Writes one frame: small payloads merged behind the header, large ones as a second chunk.
 * `masked` (client role): the frame gets a fresh key and the payload is masked into a copy, as
 * the caller's buffer must stay as it was.
 */
function pushFrame(
  sink: OutputSink,
  opcode: number,
  fin: boolean,
  rsv: number,
  payload: Buffer,
  callback?: (error?: Error | null) => void,
  masked = false,
): void {
  if (masked) {
    pushMaskedFrame(sink, opcode, fin, rsv, payload, callback);
    return;
  }
  const headerLength = frameHeaderLength(payload.length);
  if (payload.length <= MERGE_LIMIT) {
    const at = reserveFrame(sink, headerLength + payload.length, callback);
    if (at >= 0) {
      const block = sink.block!;
      writeFrameHeader(block, at, opcode, fin, rsv, payload.length);
      payload.copy(block, at + headerLength);
      return;
    }
    const frame = Buffer.allocUnsafe(headerLength + payload.length);
    writeFrameHeader(frame, 0, opcode, fin, rsv, payload.length);
    payload.copy(frame, headerLength);
    sink.push(frame, callback);
    return;
  }
  // A message received just now and sent on as it came: the header goes in the bytes before it.
  const frame = takeHeadroom(payload, headerLength);
  if (frame !== null) {
    writeFrameHeader(frame, 0, opcode, fin, rsv, payload.length);
    sink.push(frame, callback);
    return;
  }
  const header = Buffer.allocUnsafe(headerLength);
  writeFrameHeader(header, 0, opcode, fin, rsv, payload.length);
  sink.push(header);
  sink.push(payload, callback);
}

/** A client frame: header, key and masked payload in one buffer (the payload must be copied anyway). */
function pushMaskedFrame(
  sink: OutputSink,
  opcode: number,
  fin: boolean,
  rsv: number,
  payload: Buffer,
  callback?: (error?: Error | null) => void,
): void {
  const key = nextMaskKey();
  const headerLength = frameHeaderLength(payload.length) + 4;
  const at = reserveFrame(sink, headerLength + payload.length, callback);
  const frame = at >= 0 ? sink.block! : Buffer.allocUnsafe(headerLength + payload.length);
  const start = at >= 0 ? at : 0;
  writeMaskedFrameHeader(frame, start, opcode, fin, rsv, payload.length, key);
  maskInto(payload, key, frame, start + headerLength);
  if (at < 0) sink.push(frame, callback);
}

/**
 * Writes a data message as frames of at most `maxFrameSize` payload bytes: the first carries
 * the opcode and `rsv` (per-message extension bits), the rest are continuations (RFC 6455 §5.4).
 */
export function writeMessage(
  sink: OutputSink,
  opcode: typeof Opcode.Text | typeof Opcode.Binary,
  payload: Buffer,
  rsv: number,
  maxFrameSize: number,
  callback?: (error?: Error | null) => void,
  masked = false,
): void {
  if (payload.length <= maxFrameSize) {
    sink.cork();
    pushFrame(sink, opcode, true, rsv, payload, callback, masked);
    sink.uncork();
    return;
  }
  sink.cork();
  let offset = 0;
  let frameOpcode: number = opcode;
  let frameRsv = rsv;
  while (offset < payload.length) {
    const end = Math.min(offset + maxFrameSize, payload.length);
    const fin = end === payload.length;
    pushFrame(sink, frameOpcode, fin, frameRsv, payload.subarray(offset, end), fin ? callback : undefined, masked);
    frameOpcode = Opcode.Continuation;
    frameRsv = 0;
    offset = end;
  }
  sink.uncork();
}

/**
 * One unmasked frame whose payload is `pieces` (`length` bytes in all): received chunks sent on
 * as they are (text-codec.ts, `receivedPiecesOf`), with no copy. The header goes in the bytes
 * before the first piece when the parser offered them (headroom.ts), else in a Buffer of its own.
 */
export function writePiecesFrame(
  sink: OutputSink,
  opcode: number,
  pieces: readonly Buffer[],
  length: number,
  callback?: (error?: Error | null) => void,
): void {
  const headerLength = frameHeaderLength(length);
  const last = pieces.length - 1;
  sink.cork();
  const framed = takeHeadroom(pieces[0], headerLength);
  if (framed !== null) {
    writeFrameHeader(framed, 0, opcode, true, 0, length);
    sink.push(framed, last === 0 ? callback : undefined);
  } else {
    const header = Buffer.allocUnsafe(headerLength);
    writeFrameHeader(header, 0, opcode, true, 0, length);
    sink.push(header);
    sink.push(pieces[0], last === 0 ? callback : undefined);
  }
  for (let i = 1; i <= last; i++) sink.push(pieces[i], i === last ? callback : undefined);
  sink.uncork();
}

/**
 * Text fast path: the string is encoded straight behind its header, one allocation and one
 * pass in all (no separate payload Buffer, no second chunk). Returns false when the text needs
 * more than one frame; the caller then encodes it with `encodeText` and uses `writeMessage`.
 */
export function writeText(
  sink: OutputSink,
  text: string,
  maxFrameSize: number,
  callback?: (error?: Error | null) => void,
  masked = false,
): boolean {
  const length = utf8Length(text);
  if (length > maxFrameSize) return false;
  const headerLength = frameHeaderLength(length) + (masked ? 4 : 0);
  const at = reserveFrame(sink, headerLength + length, callback);
  const frame = at >= 0 ? sink.block! : Buffer.allocUnsafe(headerLength + length);
  const start = at >= 0 ? at : 0;
  if (masked) {
    const key = nextMaskKey();
    writeMaskedFrameHeader(frame, start, Opcode.Text, true, 0, length, key);
    writeUtf8(frame, start + headerLength, text, length);
    unmask(frame, key, start + headerLength, length); // the string was encoded straight in: mask it in place
  } else {
    writeFrameHeader(frame, start, Opcode.Text, true, 0, length);
    writeUtf8(frame, start + headerLength, text, length);
  }
  if (at < 0) sink.push(frame, callback);
  return true;
}

/** `text` as UTF-8 in a new Buffer (what `Buffer.from(text)` does, faster for large text). */
export function encodeText(text: string): Buffer {
  const length = utf8Length(text);
  const bytes = Buffer.allocUnsafe(length);
  writeUtf8(bytes, 0, text, length);
  return bytes;
}

/** A control frame (close, ping, pong): always one frame, payload at most 125 bytes. */
export function writeControlFrame(
  sink: OutputSink,
  opcode: typeof Opcode.Close | typeof Opcode.Ping | typeof Opcode.Pong,
  payload: Buffer = EMPTY,
  callback?: (error?: Error | null) => void,
  masked = false,
): void {
  pushFrame(sink, opcode, true, 0, payload, callback, masked);
}

/** An OutputSink that keeps the frames, for broadcast (frame once, write many) and tests. */
export class FrameCollector implements OutputSink {
  /** Every chunk pushed, in order. */
  readonly chunks: Buffer[] = [];
  /** Nothing to hold: the chunks are kept anyway. */
  cork(): void {}
  /** Nothing to release. */
  uncork(): void {}
  /** Keeps the chunk. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
}
