import type { EncodeOptions, SharedEncoder } from '../extension/extension';

/** Told when a shared encoding it waits on is over (an `EncodeQueue`). */
export interface SharedEncodingWaiter {
  /** `encoding` is settled: its payload or its error is there. */
  onSharedEncoded(encoding: SharedEncoding): void;
}

/**
 * One message encoded once for many connections (a broadcast to clients whose codecs share an
 * encoder). Encoding starts when the first connection asks; each connection's `EncodeQueue`
 * holds it as an entry, in the place where the broadcast put it, and writes the result when
 * both the result and its turn have come:
 *
 *   broadcast ─▶ SharedEncoding (encoder.encode, once) ─────────────▶ settled: payload | error
 *   conn A queue: [send a1] [shared] [send a2]    conn B queue: [shared] [send b1]
 *                             └── waits until settled ──┘  each writes in its own order
 */
export class SharedEncoding {
  /** The message's length before encoding (what backpressure counts while it waits). */
  readonly sourceLength: number;
  /** A binary message (`true`) or a text one. */
  readonly binary: boolean;
  /** Set once the encoder called back. */
  settled = false;
  /** The encoded bytes, once settled without error. */
  payload: Buffer | null = null;
  /** The RSV bits of the first frame, once settled. */
  rsv = 0;
  /** Why encoding failed (every connection waiting on it then fails with 1011). */
  error: Error | null = null;
  private waiters: SharedEncodingWaiter[] | null = null;

  /** Starts encoding `payload` with `encoder` at once. */
  constructor(encoder: SharedEncoder, payload: Buffer, options: EncodeOptions) {
    this.sourceLength = payload.length;
    this.binary = options.binary;
    try {
      encoder.encode(payload, 0, options, (error, encoded, rsv) => this.settle(error, encoded, rsv));
    } catch (thrown) {
      this.settle(thrown instanceof Error ? thrown : new Error(String(thrown)), null, 0);
    }
  }

  /** Calls `waiter.onSharedEncoded(this)` once the result is there (not if it already is). */
  wait(waiter: SharedEncodingWaiter): void {
    if (this.waiters === null) this.waiters = [waiter];
    else this.waiters.push(waiter);
  }

  private settle(error: Error | null, payload: Buffer | null, rsv: number): void {
    if (this.settled) return; // an encoder that called back twice
    this.settled = true;
    if (error === null && payload === null) error = new Error('extension returned no data');
    this.error = error;
    this.payload = error === null ? payload : null;
    this.rsv = rsv;
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters === null) return;
    // Every waiting connection gets its result even if one of them throws (a listener of its
    // error event, say); the first throw is passed on afterwards.
    let thrown: Error | null = null;
    for (const waiter of waiters) {
      try {
        waiter.onSharedEncoded(this);
      } catch (error) {
        thrown ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    if (thrown !== null) throw thrown;
  }
}
