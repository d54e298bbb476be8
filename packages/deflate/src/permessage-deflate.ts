import zlib from 'node:zlib';
import {
  Rsv1,
  type CodecContext,
  type Extension,
  type ExtensionAcceptance,
  type ExtensionOffer,
  type ExtensionParam,
} from '@ws/core';
import { acceptResponse, offerOf, offerParams } from './client-negotiate';
import { DeflateCodec, directionsOf, type DeflateRole } from './codec';
import { negotiateDeflate, type DeflateAgreement } from './negotiate';
import { resolveOptions, type DeflateConfig, type DeflateOptions } from './options';
import { SharedDeflater } from './shared-deflater';
import { StreamPool } from './stream-pool';
import { sharedLimiter, type ZlibLimiter } from './zlib-limiter';

/**
 * The window zlib is given for an agreed window of `bits`.
 *
 * zlib cannot deflate with a 256-byte window: since 1.2.9 deflateInit2 silently turns a raw
 * windowBits of 8 into 9. That is still safe for the peer: zlib never refers further back than
 * the window less 262 bytes (MAX_DIST), 250 bytes for a 512-byte window, so its output inflates
 * with a strict 256-byte window. We ask for 9 outright so the code says what zlib does.
 * For inflating, a window of 9 accepts every stream a window of 8 does, plus those of peers
 * whose zlib made the same upgrade; it costs 256 bytes more.
 */
export function zlibWindowBits(bits: number): number {
  return bits < 9 ? 9 : bits;
}

/**
 * The output chunk of a zlib stream kept for a connection's life (context takeover), unless
 * `chunkSize` is configured. Node keeps one chunk per stream between writes, so with 16 KiB (its
 * default) two idle streams hold 32 KiB; 4 KiB holds most compressed messages in one chunk
 * (larger ones take a thread-pool round trip per further 4 KiB).
 */
const TAKEOVER_CHUNK_SIZE = 4 * 1024;
/**
 * The output chunk of pooled streams (no context takeover), unless `chunkSize` is configured.
 * Pooled streams are few (at most `concurrency` idle per window), so they can afford 64 KiB:
 * a message whose output fits takes one thread-pool round trip, where Node's 16 KiB would take
 * two for a 16 KiB message (its inflated output, or incompressible data deflated, passes 16 KiB).
 */
const POOLED_CHUNK_SIZE = 64 * 1024;

/**
 * permessage-deflate (RFC 7692) for `@ws/core`:
 * `new Server({ extensions: [deflate({ threshold: 512 })] })` on a server,
 * `connect(url, { extensions: [deflate()] })` on a client.
 */
export function deflate(options?: DeflateOptions): PerMessageDeflate {
  return new PerMessageDeflate(options);
}

/**
 * The permessage-deflate `Extension` (RFC 7692) that {@link deflate} returns; one per server
 * or client configuration (one object may serve many connections).
 */
export class PerMessageDeflate implements Extension {
  readonly name = 'permessage-deflate';
  /** RFC 7692 §6: RSV1 marks a compressed message. */
  readonly rsv = Rsv1;
  /** The options, checked, with defaults applied. */
  readonly config: DeflateConfig;
  /** Caps the zlib jobs running at once (`concurrency`), across every connection it serves. */
  readonly limiter: ZlibLimiter;
  private readonly inflatePools: (StreamPool | undefined)[] = [];
  private readonly deflatePools: (StreamPool | undefined)[] = [];
  /** By zlib window bits: broadcasts compressed once for connections without server takeover. */
  private readonly sharedDeflaters: (SharedDeflater | undefined)[] = [];

  constructor(options?: DeflateOptions) {
    this.config = resolveOptions(options);
    // Bad zlib settings (level 42, say) throw here, once, rather than on some connection's
    // first message.
    zlib.createDeflateRaw(this.config.zlibDeflateOptions).close();
    zlib.createInflateRaw(this.config.zlibInflateOptions).close();
    this.limiter = sharedLimiter(this.config.concurrency);
  }

  negotiate(offers: readonly ExtensionOffer[]): ExtensionAcceptance | null {
    const agreement = negotiateDeflate(offers, this.config);
    return agreement === null ? null : new DeflateAcceptance(this, agreement);
  }

  /**
   * Client side: the one offer to send, built from the same options (see the README's table
   * of what each means on a client).
   */
  offer(): readonly (readonly ExtensionParam[])[] {
    return [offerParams(offerOf(this.config))];
  }

  /**
   * Client side: checks the server's response to {@link offer} (RFC 7692 §5, §7.1) and returns
   * the acceptance whose codec compresses with the client_* parameters and inflates with the
   * server_* ones. Throws an Error naming the rule a bad response broke.
   */
  accept(params: readonly ExtensionParam[]): ExtensionAcceptance {
    return new DeflateAcceptance(this, acceptResponse(params, offerOf(this.config)), 'client');
  }

  /** A codec for an agreed configuration (what an accepted offer's `createCodec` returns). */
  createCodec(agreement: DeflateAgreement, context: CodecContext, role: DeflateRole = 'server'): DeflateCodec {
    const { inboundBits, outboundBits, inboundTakeover, outboundTakeover } = directionsOf(agreement, role);
    const deflateBits = zlibWindowBits(outboundBits);
    const deflatePool = this.pool(this.deflatePools, 'deflate', deflateBits, outboundTakeover);
    // Only a server broadcasts, and only messages compressed on their own can be shared.
    const shared = role === 'server' && !outboundTakeover ? this.sharedDeflater(deflateBits, deflatePool) : null;
    return new DeflateCodec(
      agreement,
      this.config,
      context,
      this.pool(this.inflatePools, 'inflate', zlibWindowBits(inboundBits), inboundTakeover),
      deflatePool,
      this.limiter,
      role,
      shared,
    );
  }

  private sharedDeflater(windowBits: number, pool: StreamPool): SharedDeflater {
    let shared = this.sharedDeflaters[windowBits];
    if (shared === undefined) {
      shared = new SharedDeflater(pool, this.limiter, this.config.syncLimit);
      this.sharedDeflaters[windowBits] = shared;
    }
    return shared;
  }

  /** The pool of streams of one kind, window and lifetime (kept for a connection, or per message). */
  private pool(
    pools: (StreamPool | undefined)[],
    kind: 'inflate' | 'deflate',
    windowBits: number,
    takeover: boolean,
  ): StreamPool {
    const index = takeover ? windowBits + 16 : windowBits;
    let pool = pools[index];
    if (pool === undefined) {
      const base = kind === 'inflate' ? this.config.zlibInflateOptions : this.config.zlibDeflateOptions;
      const chunkSize = base.chunkSize ?? (takeover ? TAKEOVER_CHUNK_SIZE : POOLED_CHUNK_SIZE);
      pool = new StreamPool(kind, { ...base, windowBits, chunkSize }, this.config.concurrency);
      pools[index] = pool;
    }
    return pool;
  }
}

class DeflateAcceptance implements ExtensionAcceptance {
  readonly params: readonly ExtensionParam[];
  private readonly extension: PerMessageDeflate;
  private readonly agreement: DeflateAgreement;
  private readonly role: DeflateRole;

  constructor(extension: PerMessageDeflate, agreement: DeflateAgreement, role: DeflateRole = 'server') {
    this.extension = extension;
    this.agreement = agreement;
    this.params = agreement.params;
    this.role = role;
  }

  createCodec(context: CodecContext): DeflateCodec {
    return this.extension.createCodec(this.agreement, context, this.role);
  }
}
