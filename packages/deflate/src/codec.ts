import {
  Rsv1,
  type CodecContext,
  type DecodeCallback,
  type EncodeCallback,
  type EncodeOptions,
  type ExtensionCodec,
  type SharedEncoder,
} from '@ws/core';
import type { DeflateAgreement } from './negotiate';
import type { DeflateConfig } from './options';
import { MessageDeflater } from './message-deflater';
import { MessageInflater } from './message-inflater';
import type { SharedDeflater } from './shared-deflater';
import type { StreamPool } from './stream-pool';
import type { ZlibLimiter } from './zlib-limiter';

/**
 * The per-connection permessage-deflate codec: inbound messages with RSV1 on their first frame
 * are inflated (RFC 7692 §6.2), outbound messages are deflated unless too small or sent with
 * `compress: false` (§6.1). Each direction keeps or drops its context as negotiated.
 * zlib streams are made lazily: a connection that never compresses holds none.
 */
export class DeflateCodec implements ExtensionCodec {
  /** Decompresses this connection's incoming messages. */
  readonly inflater: MessageInflater;
  /** Compresses this connection's outgoing messages. */
  readonly deflater: MessageDeflater;
  /** Compresses broadcasts once for many connections; null with server context takeover. */
  private readonly shared: SharedDeflater | null;
  private readonly threshold: number;

  constructor(
    agreement: DeflateAgreement,
    config: DeflateConfig,
    context: CodecContext,
    inflatePool: StreamPool,
    deflatePool: StreamPool,
    limiter: ZlibLimiter,
    shared: SharedDeflater | null = null,
  ) {
    this.shared = agreement.serverNoContextTakeover ? shared : null;
    this.threshold = config.threshold;
    this.inflater = new MessageInflater(inflatePool, limiter, !agreement.clientNoContextTakeover, context.maxPayload);
    this.deflater = new MessageDeflater(deflatePool, limiter, !agreement.serverNoContextTakeover, config.threshold);
  }

  decode(payload: Buffer, rsv: number, fin: boolean, done: DecodeCallback): void {
    // RSV1 on the message's first frame marks the whole message as compressed (§6).
    if ((rsv & Rsv1) === 0) {
      done(null, payload);
      return;
    }
    this.inflater.decode(payload, fin, done);
  }

  encode(payload: Buffer, rsv: number, options: EncodeOptions, done: EncodeCallback): void {
    this.deflater.encode(payload, rsv, options, done);
  }

  /**
   * Without server context takeover, a message's compressed bytes depend only on the window and
   * the zlib settings, so connections that share them share one compression of a broadcast.
   */
  sharedEncoder(options: EncodeOptions, length: number): SharedEncoder | null {
    if (this.shared === null || !options.compress || length === 0 || length < this.threshold) return null;
    return this.shared;
  }

  dispose(): void {
    this.inflater.dispose();
    this.deflater.dispose();
  }
}
