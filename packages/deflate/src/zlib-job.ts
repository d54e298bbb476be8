import type { WebSocketError } from '@ws/core';
import type { StreamPool } from './stream-pool';
import type { LimiterTask, ZlibLimiter } from './zlib-limiter';
import { destroyStream, kOwner, kSyncWritable, type OwnedStream, type ZlibOwner } from './zlib-stream';
import { joinChunks } from './chunks';
import { SYNC_DONE } from './sync-write';

/**
 * One direction of one connection as zlib work: what the deflater and the inflater share.
 *
 *   schedule(payload, done) ─┬▶ up to syncLimit bytes: runSync(): writeNow() on the main thread
 *                            │     (what is left past its output cap ─▶ the queue below)
 *                            └▶ larger: limiter queue ─▶ run(): write() on the thread pool
 *   (either takes the stream lazily, from the pool, at its first message)
 *   onZlibData ─▶ chunks ─▶ onZlibWritten ─▶ written(output) ─▶ settle(): slot freed ─▶ done
 *   onZlibError / fail(error) ─▶ stream destroyed, slot freed ─▶ failed(done, error)
 *
 * The object is its own limiter task and its own stream owner, and keeps one message's state in
 * fields, so a message costs no closure and no object beyond its output (the limiter queues it
 * through `nextTask`; zlib finds it through the stream's `kOwner`). Subclasses say what is
 * written, what a write's output becomes, when a message ends and which error a zlib failure becomes.
 */
export abstract class ZlibJob<Done> implements LimiterTask, ZlibOwner {
  nextTask: LimiterTask | null = null;

  private readonly pool: StreamPool;
  private readonly limiter: ZlibLimiter;
  /** Context takeover (RFC 7692 §7.1.1): the stream is kept between messages, not pooled. */
  protected readonly takeover: boolean;
  /** Inputs up to this many bytes are written on the main thread (`syncLimit`; -1 for none). */
  private readonly syncLimit: number;

  protected stream: OwnedStream | null = null;
  /** The input waiting for a limiter slot. */
  private payload: Buffer | null = null;
  private done: Done | null = null;
  /** The current write's output so far, and its length. */
  private readonly chunks: Buffer[] = [];
  private length = 0;
  /** Set once zlib failed: the context is lost, so every later message fails at once. */
  protected failure: WebSocketError | null = null;
  protected disposed = false;
  /** Holds a limiter slot: between run() and the end of the write. */
  private running = false;

  constructor(pool: StreamPool, limiter: ZlibLimiter, takeover: boolean, syncLimit: number) {
    this.pool = pool;
    this.limiter = limiter;
    this.takeover = takeover;
    // 0 means none at all, not even an empty piece (the end of a message sent in frames).
    this.syncLimit = syncLimit > 0 ? syncLimit : -1;
  }

  /** Holds a zlib stream right now (for tests and the memory benchmark). */
  get holdsStream(): boolean {
    return this.stream !== null;
  }

  /**
   * Writes `payload` at once if it is small enough, else queues it for a zlib slot; `done` is
   * called once, when the write is over (before this returns, when written at once).
   */
  protected schedule(payload: Buffer, done: Done): void {
    // Idle, as core's one-message-at-a-time contract makes it: zlib aborts the process on a
    // synchronous write while one is in progress, so a caller that broke it gets the queue.
    const idle = !this.running && this.payload === null;
    this.payload = payload;
    this.done = done;
    if (idle && payload.length <= this.syncLimit) this.runSync();
    else this.limiter.enqueue(this);
  }

  /**
   * Streams are made (or borrowed) lazily: a connection that never compresses holds none.
   * Core hands a side one message at a time, so no other write is in progress on its stream.
   */
  private takeStream(): OwnedStream {
    let stream = this.stream;
    if (stream === null) {
      stream = this.pool.acquire();
      stream[kOwner] = this;
      this.stream = stream;
    }
    return stream;
  }

  /**
   * The main-thread path: no limiter slot, since no thread-pool buffers are held. Zlib failures
   * come back through `onZlibError`; a throw from `done` (a listener) is not caught here.
   */
  private runSync(): void {
    let stream: OwnedStream;
    try {
      stream = this.takeStream();
    } catch (error) {
      this.onZlibError(error as Error);
      return;
    }
    if (!stream[kSyncWritable]) {
      this.limiter.enqueue(this);
      return;
    }
    const payload = this.payload!;
    this.payload = null;
    const consumed = this.writeNow(stream, payload);
    if (this.stream !== stream) return; // failed, and told so
    if (consumed === SYNC_DONE) {
      this.onZlibWritten();
    } else {
      // Past the output cap of one synchronous write: the rest goes to the thread pool.
      this.payload = payload.subarray(consumed);
      this.limiter.enqueue(this);
    }
  }

  run(): void {
    if (this.disposed) {
      this.limiter.release();
      return;
    }
    this.running = true;
    try {
      const stream = this.takeStream();
      const payload = this.payload!;
      this.payload = null;
      this.write(stream, payload);
    } catch (error) {
      this.onZlibError(error as Error);
    }
  }

  /** Writes `payload` on the thread pool, ending with a write whose callback is `stream[kWritten]`. */
  protected abstract write(stream: OwnedStream, payload: Buffer): void;

  /**
   * Writes `payload` on the main thread (`writeSync`); returns `SYNC_DONE`, or the input bytes
   * consumed when it stopped at an output cap (the rest is then passed to `write`).
   */
  protected abstract writeNow(stream: OwnedStream, payload: Buffer): number;

  onZlibData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  onZlibWritten(): void {
    const output = joinChunks(this.chunks, this.length);
    this.length = 0;
    this.written(output);
  }

  /** A write is over with this output: end the message if it has, then `settle()`. */
  protected abstract written(output: Buffer): void;

  abstract onZlibError(error: Error): void;

  /**
   * Frees the limiter slot and returns the callback, for the subclass to call last: a callback
   * that queues this side's next message puts it behind those already waiting (FIFO), and one
   * that throws cannot keep the slot.
   */
  protected settle(): Done {
    const done = this.done!;
    this.done = null;
    this.releaseSlot();
    return done;
  }

  /**
   * Gives back the slot if a write holds one (a job still in the queue, or one written on the
   * main thread, holds none).
   */
  private releaseSlot(): void {
    if (!this.running) return;
    this.running = false;
    this.limiter.release();
  }

  /** Without context takeover the message's stream goes back to the pool, reset. */
  protected endMessage(): void {
    if (this.takeover) return;
    const stream = this.stream!;
    this.stream = null;
    this.pool.release(stream);
  }

  /** Detaches and frees the stream: zlib events still in flight then find no owner. */
  protected dropStream(): void {
    const stream = this.stream;
    this.stream = null;
    if (stream !== null) destroyStream(stream);
  }

  /** zlib failed or a limit was hit: the context is lost for good. */
  protected fail(error: WebSocketError): void {
    this.dropStream();
    this.failure = error;
    this.chunks.length = 0;
    this.length = 0;
    this.payload = null;
    const done = this.done;
    this.done = null;
    this.releaseSlot();
    if (done !== null) this.failed(done, error);
  }

  /** Reports a failure to the message's callback. */
  protected abstract failed(done: Done, error: WebSocketError): void;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const stream = this.stream;
    this.stream = null;
    if (stream !== null) {
      // Mid-write, the stream cannot be reset: free it. Otherwise it goes back to the pool.
      if (this.running) destroyStream(stream);
      else this.pool.release(stream);
    }
    this.chunks.length = 0;
    this.payload = null;
    this.done = null;
    this.releaseSlot();
    // If queued, run() sees `disposed` and gives its slot straight back.
  }
}
