import { Rsv1, WebSocketError, type EncodeCallback, type EncodeOptions } from '@ws/core';
import type { StreamPool } from './stream-pool';
import type { LimiterTask, ZlibLimiter } from './zlib-limiter';
import { destroyStream, kOwner, kWritten, type OwnedStream, type ZlibOwner } from './zlib-stream';
import { joinChunks } from './chunks';

/**
 * The outbound side of one connection: compresses whole messages.
 *
 *   encode(message) ─▶ below threshold / compress: false ─▶ done(message, rsv) unchanged
 *                   └▶ limiter queue ─▶ run(): write to DeflateRaw (sync flush)
 *        ◀── done(output without 0x00 0x00 0xff 0xff, rsv | RSV1) ◀── onZlibWritten
 *
 * With context takeover the deflate stream lives as long as the connection (created at the
 * first compressed message) so later messages can refer back to earlier ones; without, one is
 * borrowed from the pool per message and reset when given back (RFC 7692 §7.1.1.1).
 */
export class MessageDeflater implements LimiterTask, ZlibOwner {
  nextTask: LimiterTask | null = null;

  private readonly pool: StreamPool;
  private readonly limiter: ZlibLimiter;
  private readonly takeover: boolean;
  private readonly threshold: number;

  private stream: OwnedStream | null = null;
  private payload: Buffer | null = null;
  private rsv = 0;
  private done: EncodeCallback | null = null;
  private running = false;
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private failure: WebSocketError | null = null;
  private disposed = false;

  constructor(pool: StreamPool, limiter: ZlibLimiter, takeover: boolean, threshold: number) {
    this.pool = pool;
    this.limiter = limiter;
    this.takeover = takeover;
    this.threshold = threshold;
  }

  /** Holds a zlib stream right now (for tests and the memory benchmark). */
  get holdsStream(): boolean {
    return this.stream !== null;
  }

  encode(payload: Buffer, rsv: number, options: EncodeOptions, done: EncodeCallback): void {
    if (this.disposed) return;
    // RFC 7692 §6: compression is chosen per message; a message sent as is has RSV1 clear.
    // Empty messages are never worth it (and a sync flush of nothing produces no trailer).
    if (!options.compress || payload.length < this.threshold || payload.length === 0) {
      done(null, payload, rsv);
      return;
    }
    if (this.failure !== null) {
      done(this.failure, null, rsv);
      return;
    }
    this.payload = payload;
    this.rsv = rsv;
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
      const payload = this.payload!;
      this.payload = null;
      stream.write(payload, stream[kWritten]);
    } catch (error) {
      this.onZlibError(error as Error);
    }
  }

  onZlibData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  onZlibWritten(): void {
    const stream = this.stream!;
    let output = joinChunks(this.chunks, this.length);
    this.length = 0;
    // RFC 7692 §7.2.1: remove the 0x00 0x00 0xff 0xff that ends the sync flush. A view, no copy.
    const end = output.length - 4;
    if (end >= 0 && output[end] === 0x00 && output[end + 1] === 0x00 && output[end + 2] === 0xff && output[end + 3] === 0xff) {
      output = output.subarray(0, end);
    }
    if (!this.takeover) {
      this.stream = null;
      this.pool.release(stream);
    }
    const done = this.done!;
    const rsv = this.rsv;
    this.done = null;
    this.running = false;
    this.limiter.release();
    done(null, output, rsv | Rsv1);
  }

  onZlibError(error: Error): void {
    const stream = this.stream;
    this.stream = null;
    if (stream !== null) destroyStream(stream);
    const failure = new WebSocketError('WS_ERR_EXTENSION_FAILED', `compression failed: ${error.message}`);
    this.failure = failure;
    this.chunks.length = 0;
    this.length = 0;
    this.payload = null;
    const done = this.done;
    this.done = null;
    if (this.running) {
      this.running = false;
      this.limiter.release();
    }
    if (done !== null) done(failure, null, this.rsv);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const stream = this.stream;
    this.stream = null;
    if (stream !== null) {
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
  }
}
