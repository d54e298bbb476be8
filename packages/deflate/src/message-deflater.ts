import { Rsv1, WebSocketError, type EncodeCallback, type EncodeOptions } from '@ws/core';
import type { StreamPool } from './stream-pool';
import type { ZlibLimiter } from './zlib-limiter';
import { kWritten, type OwnedStream } from './zlib-stream';
import { ZlibJob } from './zlib-job';
import { writeSync } from './sync-write';

/**
 * Messages handed to zlib by every deflater in the process. Not exported from the package:
 * tests read it to prove that a broadcast was compressed once.
 */
export const deflateCounter = { messages: 0 };

/**
 * The outbound side of one connection: compresses whole messages.
 *
 *   encode(message) ─▶ below threshold / compress: false ─▶ done(message, rsv) unchanged
 *                   ├▶ up to syncLimit bytes: DeflateRaw's handle, at once (sync flush)
 *                   └▶ larger: limiter queue ─▶ run(): write to DeflateRaw (sync flush)
 *        ◀── done(output without 0x00 0x00 0xff 0xff, rsv | RSV1) ◀── written
 *
 * With context takeover the deflate stream lives as long as the connection (created at the
 * first compressed message) so later messages can refer back to earlier ones; without, one is
 * borrowed from the pool per message and reset when given back (RFC 7692 §7.1.1.1). Queueing,
 * streams, failure and disposal are `ZlibJob`'s.
 */
export class MessageDeflater extends ZlibJob<EncodeCallback> {
  private readonly threshold: number;
  private rsv = 0;

  constructor(pool: StreamPool, limiter: ZlibLimiter, takeover: boolean, threshold: number, syncLimit: number) {
    super(pool, limiter, takeover, syncLimit);
    this.threshold = threshold;
  }

  /**
   * Whether a message of `length` bytes sent with `options` is compressed. RFC 7692 §6:
   * compression is chosen per message; a message sent as is has RSV1 clear. Empty messages are
   * never worth it (and a sync flush of nothing produces no trailer).
   */
  compresses(options: EncodeOptions, length: number): boolean {
    return options.compress && length >= this.threshold && length > 0;
  }

  encode(payload: Buffer, rsv: number, options: EncodeOptions, done: EncodeCallback): void {
    if (this.disposed) return;
    if (!this.compresses(options, payload.length)) {
      done(null, payload, rsv);
      return;
    }
    if (this.failure !== null) {
      done(this.failure, null, rsv);
      return;
    }
    this.rsv = rsv;
    this.schedule(payload, done);
  }

  protected write(stream: OwnedStream, payload: Buffer): void {
    deflateCounter.messages++;
    stream.write(payload, stream[kWritten]);
  }

  /** The output is at most a little over the input (a few bytes per stored block): no cap. */
  protected writeNow(stream: OwnedStream, payload: Buffer): number {
    deflateCounter.messages++;
    return writeSync(stream, payload, this, Infinity);
  }

  /** The whole message was one write: its output is the compressed message. */
  protected written(output: Buffer): void {
    // RFC 7692 §7.2.1: remove the 0x00 0x00 0xff 0xff that ends the sync flush. A view, no copy.
    const end = output.length - 4;
    if (
      end >= 0 &&
      output[end] === 0x00 &&
      output[end + 1] === 0x00 &&
      output[end + 2] === 0xff &&
      output[end + 3] === 0xff
    ) {
      output = output.subarray(0, end);
    }
    this.endMessage();
    const rsv = this.rsv;
    const done = this.settle();
    done(null, output, rsv | Rsv1);
  }

  onZlibError(error: Error): void {
    this.fail(new WebSocketError('WS_ERR_EXTENSION_FAILED', `compression failed: ${error.message}`));
  }

  protected failed(done: EncodeCallback, error: WebSocketError): void {
    done(error, null, this.rsv);
  }
}
