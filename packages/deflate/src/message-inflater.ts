import { WebSocketError, type DecodeCallback } from '@ws/core';
import type { StreamPool } from './stream-pool';
import type { LimiterTask, ZlibLimiter } from './zlib-limiter';
import { destroyStream, hasEnded, kOwner, kWritten, type OwnedStream, type ZlibOwner } from './zlib-stream';
import { joinChunks } from './chunks';

/**
 * RFC 7692 §7.2.2: the sender removed the 0x00 0x00 0xff 0xff that ends a sync flush; the
 * receiver puts it back at the end of each message before inflating.
 */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * The inbound side of one connection: inflates compressed messages frame by frame.
 *
 *   decode(frame) ─▶ limiter queue ─▶ run(): write frame (+ TRAILER at fin) to InflateRaw
 *        ◀── done(output) ◀── onZlibWritten ◀── onZlibData (counted against maxPayload)
 *
 * One inflate stream carries a whole message across its frames. With context takeover it is
 * kept for the connection's life (created at the first compressed message); without, it is
 * borrowed from the pool for one message and returned after it.
 */
export class MessageInflater implements LimiterTask, ZlibOwner {
  nextTask: LimiterTask | null = null;

  private readonly pool: StreamPool;
  private readonly limiter: ZlibLimiter;
  private readonly takeover: boolean;
  private readonly maxPayload: number;

  private stream: OwnedStream | null = null;
  private payload: Buffer | null = null;
  private fin = false;
  private done: DecodeCallback | null = null;
  private running = false;
  private readonly chunks: Buffer[] = [];
  private frameLength = 0;
  /** Inflated bytes of the message so far, across its frames (the bomb check). */
  private messageLength = 0;
  /** Some compressed bytes of the current message went into the stream. */
  private messageStarted = false;
  private failure: WebSocketError | null = null;
  private disposed = false;

  constructor(pool: StreamPool, limiter: ZlibLimiter, takeover: boolean, maxPayload: number) {
    this.pool = pool;
    this.limiter = limiter;
    this.takeover = takeover;
    this.maxPayload = maxPayload;
  }

  /** Holds a zlib stream right now (for tests and the memory benchmark). */
  get holdsStream(): boolean {
    return this.stream !== null;
  }

  decode(payload: Buffer, fin: boolean, done: DecodeCallback): void {
    if (this.disposed) return;
    if (this.failure !== null) {
      // The context is lost: nothing after a failed message can be inflated correctly.
      done(this.failure, null);
      return;
    }
    if (payload.length === 0 && (!fin || !this.messageStarted)) {
      // Nothing to inflate. A compressed message with no payload at all is empty: the TRAILER
      // alone would leave the inflater inside a stored block header and corrupt the next one.
      done(null, payload);
      return;
    }
    this.payload = payload;
    this.fin = fin;
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
      let stream = this.stream;
      if (stream === null) {
        stream = this.pool.acquire();
        stream[kOwner] = this;
        this.stream = stream;
      }
      this.messageStarted = true;
      const payload = this.payload!;
      this.payload = null;
      if (this.fin) {
        if (payload.length > 0) stream.write(payload);
        stream.write(TRAILER, stream[kWritten]);
      } else {
        stream.write(payload, stream[kWritten]);
      }
    } catch (error) {
      this.onZlibError(error as Error);
    }
  }

  onZlibData(chunk: Buffer): void {
    this.messageLength += chunk.length;
    if (this.maxPayload > 0 && this.messageLength > this.maxPayload) {
      // A decompression bomb, or just a big message: stop inflating right here. Closing the
      // stream ends zlib's work after the chunk it is on; the rest is never inflated.
      this.fail(
        new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `decompressed message over ${this.maxPayload} bytes`),
      );
      return;
    }
    this.chunks.push(chunk);
    this.frameLength += chunk.length;
  }

  onZlibWritten(): void {
    const stream = this.stream!;
    const output = joinChunks(this.chunks, this.frameLength);
    this.frameLength = 0;
    if (this.fin) {
      this.messageLength = 0;
      this.messageStarted = false;
      if (hasEnded(stream)) {
        // The peer closed its DEFLATE stream (BFINAL); its next message starts a new one.
        this.stream = null;
        destroyStream(stream);
      } else if (!this.takeover) {
        this.stream = null;
        this.pool.release(stream);
      }
    }
    const done = this.done!;
    this.done = null;
    this.running = false;
    this.limiter.release();
    done(null, output);
  }

  onZlibError(error: Error): void {
    this.fail(new WebSocketError('WS_ERR_INVALID_COMPRESSED_DATA', `invalid compressed data: ${error.message}`));
  }

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
    if (this.running) {
      this.running = false;
      this.limiter.release();
    }
    // If queued, run() sees `disposed` and gives its slot straight back.
  }

  private fail(error: WebSocketError): void {
    const stream = this.stream;
    this.stream = null;
    if (stream !== null) destroyStream(stream);
    this.failure = error;
    this.chunks.length = 0;
    this.frameLength = 0;
    this.payload = null;
    const done = this.done;
    this.done = null;
    if (this.running) {
      this.running = false;
      this.limiter.release();
    }
    if (done !== null) done(error, null);
  }
}
