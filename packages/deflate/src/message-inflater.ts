import { WebSocketError, type DecodeCallback } from '@ws/core';
import type { StreamPool } from './stream-pool';
import type { ZlibLimiter } from './zlib-limiter';
import { hasEnded, kWritten, type OwnedStream } from './zlib-stream';
import { ZlibJob } from './zlib-job';
import { SYNC_DONE, writeSync } from './sync-write';

/**
 * RFC 7692 §7.2.2: the sender removed the 0x00 0x00 0xff 0xff that ends a sync flush; the
 * receiver puts it back at the end of each message before inflating.
 */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Inflated bytes one piece may produce on the main thread (about 0.2 ms of inflating); the rest
 * of a piece that inflates to more (a large message, or a bomb) goes to the thread pool, so a
 * small piece cannot hold the event loop for long.
 */
const SYNC_OUTPUT_LIMIT = 256 * 1024;

/**
 * The inbound side of one connection: inflates compressed messages piece by piece (a frame, or
 * the part of one that has arrived: core joins what arrives while a piece is inflating).
 *
 *   decode(piece) ─┬▶ up to syncLimit bytes: InflateRaw's handle, at once (up to 256 KiB out)
 *                  └▶ larger, or the rest: limiter queue ─▶ run(): write piece to InflateRaw
 *                     (+ TRAILER at fin, either way)
 *        ◀── done(output) ◀── written ◀── onZlibData (counted against maxPayload)
 *
 * One inflate stream carries a whole message across its frames. With context takeover it is
 * kept for the connection's life (created at the first compressed message); without, it is
 * borrowed from the pool for one message and returned after it. Queueing, streams, failure and
 * disposal are `ZlibJob`'s.
 */
export class MessageInflater extends ZlibJob<DecodeCallback> {
  private readonly maxPayload: number;
  private fin = false;
  /** Inflated bytes of the message so far, across its frames (the bomb check). */
  private messageLength = 0;
  /** Some compressed bytes of the current message went into the stream. */
  private messageStarted = false;

  constructor(pool: StreamPool, limiter: ZlibLimiter, takeover: boolean, maxPayload: number, syncLimit: number) {
    super(pool, limiter, takeover, syncLimit);
    this.maxPayload = maxPayload;
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
    this.fin = fin;
    this.schedule(payload, done);
  }

  protected write(stream: OwnedStream, payload: Buffer): void {
    this.messageStarted = true;
    if (this.fin) {
      if (payload.length > 0) stream.write(payload);
      stream.write(TRAILER, stream[kWritten]);
    } else {
      stream.write(payload, stream[kWritten]);
    }
  }

  /** The output cap applies to the piece: the TRAILER after it, an empty stored block, adds nothing. */
  protected writeNow(stream: OwnedStream, payload: Buffer): number {
    this.messageStarted = true;
    if (payload.length > 0) {
      const consumed = writeSync(stream, payload, this, SYNC_OUTPUT_LIMIT);
      if (consumed !== SYNC_DONE || this.stream !== stream) return consumed;
    }
    return this.fin ? writeSync(stream, TRAILER, this, Infinity) : SYNC_DONE;
  }

  override onZlibData(chunk: Buffer): void {
    this.messageLength += chunk.length;
    if (this.maxPayload > 0 && this.messageLength > this.maxPayload) {
      // A decompression bomb, or just a big message: stop inflating right here. Closing the
      // stream ends zlib's work after the chunk it is on; the rest is never inflated.
      this.fail(new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `decompressed message over ${this.maxPayload} bytes`));
      return;
    }
    super.onZlibData(chunk);
  }

  /** One piece was inflated; at the message's last piece the stream's message is over. */
  protected written(output: Buffer): void {
    if (this.fin) {
      this.messageLength = 0;
      this.messageStarted = false;
      // The peer closed its DEFLATE stream (BFINAL); its next message starts a new one.
      if (hasEnded(this.stream!)) this.dropStream();
      else this.endMessage();
    }
    const done = this.settle();
    done(null, output);
  }

  onZlibError(error: Error): void {
    this.fail(new WebSocketError('WS_ERR_INVALID_COMPRESSED_DATA', `invalid compressed data: ${error.message}`));
  }

  protected failed(done: DecodeCallback, error: WebSocketError): void {
    done(error, null);
  }
}
