import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

type WriteCallback = (error?: Error | null) => void;

/**
 * A batch this small is copied into one Buffer, one plain write instead of a writev: what
 * `Buffer.allocUnsafe` takes from its pool (a fresh ArrayBuffer per flush would cost more
 * than the writev it saves).
 */
const MERGE_MAX = (Buffer.poolSize >>> 1) - 1;
/**
 * Larger batches of small frames (16 echoes of 1 KiB) are merged too, into a Buffer of their
 * own: copying a frame of a few KiB costs less than its entry in a corked writev (1 KiB echo,
 * 100 x 16: server CPU 2.71 -> 2.47 us a message). Large payloads still go out by writev.
 */
const MERGE_SMALL_FRAMES_MAX = 64 * 1024;
const SMALL_FRAME = 2 * 1024;
/** Frames are written in place into blocks of this size (see `reserve`). */
const BLOCK_SIZE = 64 * 1024;
/** The largest frame written in place: the frame writer's merged frames (8 KiB payload, header, key). */
const IN_PLACE_MAX = 8 * 1024 + 14;

/**
 * Frames written while a connection parses one socket chunk (echoes, pongs, a close frame)
 * are held here and leave together when the chunk is done: one `socket.write` of one Buffer
 * for a chunk of pipelined small messages, and a plain write, without cork and uncork, for
 * the one reply to a lone request. Node's corked writes cost an entry, a writev and an
 * afterWrite per chunk; this costs a push per frame and one copy of a few hundred bytes.
 *
 * One batch serves the whole process, as parsing runs one chunk at a time; a receive nested
 * inside another (a Duplex that delivers synchronously) sends the outer batch first, then
 * takes the batch over until it returns. Anything that must follow the frames on the socket
 * (end, an empty write that waits for a drain) calls `flush` first.
 *
 * Over a plain TCP socket, small frames are not even Buffers of their own: the frame writer
 * writes them in place (`reserve`) into a block the batch owns, and a chunk's replies leave as
 * one view of it, with no allocation and no copy per frame. The same room is lent again once a
 * write has gone to the kernel at once (the socket holds nothing back: `writableLength` is 0).
 * Bytes a socket holds back keep their room, and the view keeps the whole block alive until
 * they are written: a block that fills holds only such bytes, and a socket that is already
 * holding bytes back gets Buffers of its own, so a stuck reader pins at most the block of its
 * last in-place write (64 KiB; Node's pool slab is 8 KiB), far below `maxBufferedAmount`.
 * Other Duplexes (TLS, HTTP/2 streams, a stream pair) may keep a written Buffer after its
 * callback, so their frames are pushed as Buffers of their own.
 */
export class OutputBatch {
  /** The socket whose chunk is being parsed, or null. */
  private owner: Duplex | null = null;
  /**
   * The first frame held, apart from the rest: the lone reply to a lone request (one message in
   * flight) is held and written with no array push and no `length = 0` (a runtime call) per chunk.
   */
  private first: Buffer | null = null;
  private rest: Buffer[] = [];
  private bytes = 0;
  /** True while the owner is a plain TCP socket, whose frames may be written in place. */
  private inPlace = false;
  /** The block frames are written in place into; `used` is where its free room starts. */
  block: Buffer = Buffer.allocUnsafeSlow(BLOCK_SIZE);
  private used = 0;
  /** Where the frames written in place and not yet in `first`/`rest` start, or -1. */
  private spanStart = -1;
  /** Where this batch's first frame written in place into `block` starts, or -1: room lent again after a write that went out at once. */
  private batchStart = -1;

  /** Starts holding `socket`'s frames; returns what to hand to `close`. */
  open(socket: Duplex): Duplex | null {
    const outer = this.owner;
    if (outer !== null) this.flush();
    this.owner = socket;
    this.inPlace = writesInPlace(socket);
    return outer;
  }

  /** Writes what was held and hands the batch back to `outer` (from `open`). */
  close(outer: Duplex | null): void {
    if (this.first !== null || this.spanStart >= 0) this.flush();
    this.owner = outer;
    this.inPlace = outer !== null && writesInPlace(outer);
  }

  /** True while `socket`'s frames are being held. */
  holds(socket: Duplex): boolean {
    return this.owner === socket;
  }

  /** Bytes held for `socket` (part of its `bufferedAmount`). */
  heldFor(socket: Duplex): number {
    return this.owner === socket ? this.bytes : 0;
  }

  /** Holds a chunk for the owner; with a callback, writes everything at once so it can run. */
  add(chunk: Buffer, callback: WriteCallback | undefined): void {
    if (this.spanStart >= 0) this.endSpan();
    this.hold(chunk);
    this.bytes += chunk.length;
    if (callback !== undefined) this.flush(callback);
  }

  /**
   * Room for a frame of `length` bytes in `block`, held for the owner as if added now: the
   * offset to write it at, or -1 (not a plain socket, or too large) to allocate and `add` it.
   */
  reserve(length: number): number {
    if (!this.inPlace || length > IN_PLACE_MAX) return -1;
    let at = this.used;
    if (at + length > this.block.length) {
      // The room left goes unused: what is held of this block leaves as its own view.
      if (this.spanStart >= 0) this.endSpan();
      this.block = Buffer.allocUnsafeSlow(BLOCK_SIZE);
      at = 0;
      this.batchStart = 0;
    } else if (this.batchStart < 0) {
      this.batchStart = at;
    }
    if (this.spanStart < 0) this.spanStart = at;
    this.used = at + length;
    this.bytes += length;
    return at;
  }

  /** Writes what is held to the owner; `callback` goes with the last chunk. */
  flush(callback?: WriteCallback): void {
    if (this.spanStart >= 0) this.endSpan();
    const first = this.first;
    if (first === null) return;
    this.first = null;
    const rest = this.rest;
    const count = rest.length;
    const socket = this.owner!;
    const bytes = this.bytes;
    this.bytes = 0;
    // This batch's room in the block, settled before anything is written: a write that throws
    // leaves it taken, and a receive nested in a write starts its own batch after it.
    const lendFrom = this.batchStart;
    const lentUpTo = this.used;
    this.batchStart = -1;
    if (!socket.writable) {
      if (count > 0) rest.length = 0;
      if (lendFrom >= 0) this.used = lendFrom; // nothing was written
      if (callback !== undefined) process.nextTick(callback, new Error('WebSocket is not open: socket not writable'));
      return;
    }
    if (count === 0) {
      socket.write(first, callback);
      this.lendAgain(socket, lendFrom, lentUpTo);
      return;
    }
    // count + 1 frames in all: `first` and the rest.
    if (bytes <= MERGE_MAX || (bytes <= MERGE_SMALL_FRAMES_MAX && bytes <= (count + 1) * SMALL_FRAME)) {
      const merged = Buffer.allocUnsafe(bytes);
      let offset = first.copy(merged, 0);
      for (let i = 0; i < count; i++) offset += rest[i].copy(merged, offset);
      rest.length = 0;
      if (lendFrom >= 0) this.used = lendFrom; // copied out
      socket.write(merged, callback);
      return;
    }
    // A receive nested in these writes (a Duplex that delivers at once) holds its frames apart.
    this.rest = [];
    socket.cork();
    socket.write(first);
    for (let i = 0; i < count - 1; i++) socket.write(rest[i]);
    socket.write(rest[count - 1], callback);
    socket.uncork();
    this.lendAgain(socket, lendFrom, lentUpTo);
  }

  private hold(chunk: Buffer): void {
    if (this.first === null) this.first = chunk;
    else this.rest.push(chunk);
  }

  /** Holds the frames written in place since the last chunk as one view of the block. */
  private endSpan(): void {
    this.hold(this.block.subarray(this.spanStart, this.used));
    this.spanStart = -1;
  }

  /**
   * After a write of the batch that had `block[from, upTo)`: the room is free again when the
   * socket kept nothing back and no batch nested in the write took room after it.
   */
  private lendAgain(socket: Duplex, from: number, upTo: number): void {
    if (from >= 0 && this.used === upTo && socket.writableLength === 0) this.used = from;
  }
}

/**
 * A plain TCP socket's `write` hands bytes to the kernel before it returns, or keeps the Buffer
 * and shows it in `writableLength` (an own `write`, from a tracing wrapper, may do neither). One
 * that holds bytes back already gets Buffers of its own: its in-place bytes would pin a block.
 */
function writesInPlace(socket: Duplex): boolean {
  return (
    Object.getPrototypeOf(socket) === Socket.prototype && socket.writableLength === 0 && !Object.hasOwn(socket, 'write')
  );
}

/** The process's one output batch (see {@link OutputBatch}). */
export const outputBatch = new OutputBatch();
