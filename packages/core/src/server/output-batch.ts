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
 */
class OutputBatch {
  /** The socket whose chunk is being parsed, or null. */
  private owner: Duplex | null = null;
  /**
   * The first frame held, apart from the rest: the lone reply to a lone request (one message in
   * flight) is held and written with no array push and no `length = 0` (a runtime call) per chunk.
   */
  private first: Buffer | null = null;
  private readonly rest: Buffer[] = [];
  private bytes = 0;

  /** Starts holding `socket`'s frames; returns what to hand to `close`. */
  open(socket: Duplex): Duplex | null {
    const outer = this.owner;
    if (outer !== null) this.flush();
    this.owner = socket;
    return outer;
  }

  /** Writes what was held and hands the batch back to `outer` (from `open`). */
  close(outer: Duplex | null): void {
    if (this.first !== null) this.flush();
    this.owner = outer;
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
    if (this.first === null) this.first = chunk;
    else this.rest.push(chunk);
    this.bytes += chunk.length;
    if (callback !== undefined) this.flush(callback);
  }

  /** Writes what is held to the owner; `callback` goes with the last chunk. */
  flush(callback?: WriteCallback): void {
    const first = this.first;
    if (first === null) return;
    this.first = null;
    const rest = this.rest;
    const count = rest.length;
    const socket = this.owner!;
    const bytes = this.bytes;
    this.bytes = 0;
    if (!socket.writable) {
      if (count > 0) rest.length = 0;
      if (callback !== undefined) process.nextTick(callback, new Error('WebSocket is not open: socket not writable'));
      return;
    }
    if (count === 0) {
      socket.write(first, callback);
      return;
    }
    // count + 1 frames in all: `first` and the rest.
    if (bytes <= MERGE_MAX || (bytes <= MERGE_SMALL_FRAMES_MAX && bytes <= (count + 1) * SMALL_FRAME)) {
      const merged = Buffer.allocUnsafe(bytes);
      let offset = first.copy(merged, 0);
      for (let i = 0; i < count; i++) offset += rest[i].copy(merged, offset);
      socket.write(merged, callback);
    } else {
      socket.cork();
      socket.write(first);
      for (let i = 0; i < count - 1; i++) socket.write(rest[i]);
      socket.write(rest[count - 1], callback);
      socket.uncork();
    }
    rest.length = 0;
  }
}

/** The process's one output batch (see {@link OutputBatch}). */
export const outputBatch = new OutputBatch();
