import type { WebSocketError } from '@ws/core';
import type { StreamPool } from './stream-pool';
import type { LimiterTask, ZlibLimiter } from './zlib-limiter';
import { destroyStream, kOwner, type OwnedStream, type ZlibOwner } from './zlib-stream';
import { joinChunks } from './chunks';

/**
 * One direction of one connection as zlib work: what the deflater and the inflater share.
 *
 *   schedule(payload, done) ─▶ limiter queue ─▶ run(): stream (lazy, from the pool) ─▶ write()
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

  constructor(pool: StreamPool, limiter: ZlibLimiter, takeover: boolean) {
    this.pool = pool;
    this.limiter = limiter;
    this.takeover = takeover;
  }

  /** Holds a zlib stream right now (for tests and the memory benchmark). */
  get holdsStream(): boolean {
    return this.stream !== null;
  }

  /** Queues `payload` for a zlib slot; `done` is called once, when the write is over. */
  protected schedule(payload: Buffer, done: Done): void {
    this.payload = payload;
    this.done = done;
    this.limiter.enqueue(this);
  }

  run(): void {
    if (this.disposed) {
      this.limiter.release();
      return;
    }
    this.running = true;
    try {
      // Streams are made (or borrowed) lazily: a connection that never compresses holds none.
      let stream = this.stream;
      if (stream === null) {
        stream = this.pool.acquire();
        stream[kOwner] = this;
        this.stream = stream;
      }
      const payload = this.payload!;
      this.payload = null;
      this.write(stream, payload);
    } catch (error) {
      this.onZlibError(error as Error);
    }
  }

  /** Writes `payload`, ending with a write whose callback is `stream[kWritten]`. */
  protected abstract write(stream: OwnedStream, payload: Buffer): void;

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
    this.running = false;
    this.limiter.release();
    return done;
  }

  /** Gives back the slot if a write holds one (a job still in the queue holds none yet). */
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
