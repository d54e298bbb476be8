import type { EncodeCallback, EncodeOptions, SharedEncoder } from '@ws/core';
import { MessageDeflater } from './message-deflater';
import type { StreamPool } from './stream-pool';
import type { ZlibLimiter } from './zlib-limiter';

/**
 * Compresses a broadcast once for every connection that agreed on the same output: the server
 * side without context takeover (each message compressed from a reset stream) and the same
 * window, with the same zlib settings (one `PerMessageDeflate`). Its codecs return this object
 * from `sharedEncoder`, so core compresses each such message once per instance and writes the
 * same bytes to all of them. The work goes through the same pool and limiter as a connection's.
 */
export class SharedDeflater implements SharedEncoder {
  private readonly pool: StreamPool;
  private readonly limiter: ZlibLimiter;
  private readonly syncLimit: number;

  constructor(pool: StreamPool, limiter: ZlibLimiter, syncLimit: number) {
    this.pool = pool;
    this.limiter = limiter;
    this.syncLimit = syncLimit;
  }

  encode(payload: Buffer, rsv: number, options: EncodeOptions, done: EncodeCallback): void {
    // One job per broadcast message (not per connection): it borrows a stream for the message
    // and gives it back, so nothing outlives the message. Threshold 0: the codec checked it.
    new MessageDeflater(this.pool, this.limiter, false, 0, this.syncLimit).encode(payload, rsv, options, done);
  }
}
