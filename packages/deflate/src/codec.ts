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

/** Which end of the connection a codec serves. */
export type DeflateRole = 'server' | 'client';

/** Window bits and context takeover of each direction, seen from one end of the agreement. */
export interface DeflateDirections {
  readonly inboundBits: number;
  readonly outboundBits: number;
  readonly inboundTakeover: boolean;
  readonly outboundTakeover: boolean;
}

/**
 * A server inflates what the client compressed under the client_* parameters and deflates under
 * the server_* ones; a client the other way round.
 */
export function directionsOf(agreement: DeflateAgreement, role: DeflateRole): DeflateDirections {
  const server = role === 'server';
  return {
    inboundBits: server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits,
    outboundBits: server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits,
    inboundTakeover: !(server ? agreement.clientNoContextTakeover : agreement.serverNoContextTakeover),
    outboundTakeover: !(server ? agreement.serverNoContextTakeover : agreement.clientNoContextTakeover),
  };
}

/**
 * The per-connection permessage-deflate codec: inbound messages with RSV1 on their first frame
 * are inflated (RFC 7692 §6.2), outbound messages are deflated unless too small or sent with
 * `compress: false` (§6.1). Each direction keeps or drops its context as negotiated.
 * zlib streams are made lazily: a connection that never compresses holds none.
 *
 * Inbound frames come in pieces as they arrive (`decodesPartialFrames`): one inflate stream
 * carries the whole message whatever its frame boundaries, so each piece is inflated at once and
 * core checks the text it yields before the rest of the frame has come.
 */
export class DeflateCodec implements ExtensionCodec {
  /** Inbound frames are inflated piece by piece as they arrive (see `ExtensionCodec`). */
  readonly decodesPartialFrames = true;
  /** Decompresses this connection's incoming messages. */
  readonly inflater: MessageInflater;
  /** Compresses this connection's outgoing messages. */
  readonly deflater: MessageDeflater;
  /** Compresses broadcasts once for many connections; null with server context takeover. */
  private readonly shared: SharedDeflater | null;

  constructor(
    agreement: DeflateAgreement,
    config: DeflateConfig,
    context: CodecContext,
    inflatePool: StreamPool,
    deflatePool: StreamPool,
    limiter: ZlibLimiter,
    role: DeflateRole = 'server',
    shared: SharedDeflater | null = null,
  ) {
    const { inboundTakeover, outboundTakeover } = directionsOf(agreement, role);
    // Sharing one compression among connections needs each message compressed on its own.
    this.shared = outboundTakeover ? null : shared;
    const { threshold, syncLimit } = config;
    this.inflater = new MessageInflater(inflatePool, limiter, inboundTakeover, context.maxPayload, syncLimit);
    this.deflater = new MessageDeflater(deflatePool, limiter, outboundTakeover, threshold, syncLimit);
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
    if (this.shared === null || !this.deflater.compresses(options, length)) return null;
    return this.shared;
  }

  dispose(): void {
    this.inflater.dispose();
    this.deflater.dispose();
  }
}
