import { WebSocketError } from '../protocol/errors';
import type { DecodeCallback, EncodeCallback, EncodeOptions, ExtensionCodec, SharedEncoder } from './extension';

/**
 * Runs a connection's codecs in order (RFC 6455 §9: inbound in reverse of the negotiated order,
 * outbound in it). One decode and one encode at a time: the caller waits for the callback
 * before handing over the next frame or message, which is how wire order is kept even when
 * codecs are asynchronous. Step callbacks are bound once, so a frame costs no closure.
 */
export class ExtensionChain {
  private readonly codecs: readonly ExtensionCodec[];
  /** Every codec takes frames in pieces (`ExtensionCodec.decodesPartialFrames`). */
  readonly decodesPartialFrames: boolean;
  private disposed = false;

  private decodeIndex = 0;
  private decodeRsv = 0;
  private decodeFin = false;
  private decodeDone: DecodeCallback | null = null;
  private readonly decodeStep: DecodeCallback = (error, payload) => this.onDecoded(error, payload);

  private encodeIndex = 0;
  private encodeOptions: EncodeOptions | null = null;
  private encodeDone: EncodeCallback | null = null;
  private readonly encodeStep: EncodeCallback = (error, payload, rsv) => this.onEncoded(error, payload, rsv);

  constructor(codecs: readonly ExtensionCodec[]) {
    this.codecs = codecs;
    this.decodesPartialFrames = codecs.length > 0 && codecs.every((codec) => codec.decodesPartialFrames === true);
  }

  /**
   * Runs one inbound frame (or, with `decodesPartialFrames`, a piece of the message) through
   * every codec, last configured first; `done` gets the result.
   */
  decode(payload: Buffer, rsv: number, fin: boolean, done: DecodeCallback): void {
    this.decodeIndex = this.codecs.length;
    this.decodeRsv = rsv;
    this.decodeFin = fin;
    this.decodeDone = done;
    this.onDecoded(null, payload);
  }

  /**
   * Runs one outgoing message through every codec in configured order; `done` gets the bytes and
   * RSV bits.
   */
  encode(payload: Buffer, options: EncodeOptions, done: EncodeCallback): void {
    this.encodeIndex = 0;
    this.encodeOptions = options;
    this.encodeDone = done;
    this.onEncoded(null, payload, 0);
  }

  /**
   * The encoder a message with these options can share with other connections, or null. Only a
   * chain of one codec shares: with several, the output would depend on each codec's choice.
   */
  sharedEncoder(options: EncodeOptions, length: number): SharedEncoder | null {
    if (this.disposed || this.codecs.length !== 1) return null;
    const codec = this.codecs[0];
    if (codec.sharedEncoder === undefined) return null;
    try {
      return codec.sharedEncoder(options, length) ?? null;
    } catch {
      return null; // the connection encodes its own copy, and fails there if the codec is broken
    }
  }

  /** Disposes every codec once; later calls do nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const codec of this.codecs) {
      try {
        codec.dispose();
      } catch {
        // A codec that fails to clean up must not stop the others from doing so.
      }
    }
  }

  private onDecoded(error: WebSocketError | null, payload: Buffer | null): void {
    if (this.disposed) return;
    if (error !== null || payload === null || this.decodeIndex === 0) {
      const done = this.decodeDone;
      if (done === null) return; // a codec called back twice
      this.decodeDone = null;
      done(error ?? (payload === null ? codecFailed('decode') : null), payload);
      return;
    }
    const codec = this.codecs[--this.decodeIndex];
    try {
      codec.decode(payload, this.decodeRsv, this.decodeFin, this.decodeStep);
    } catch (thrown) {
      // Once `done` has run, the throw came from the caller's side (a message listener, say):
      // that is not the codec's failure and must not be swallowed.
      if (this.decodeDone === null) throw thrown;
      this.onDecoded(codecFailed('decode', thrown), null);
    }
  }

  private onEncoded(error: Error | null, payload: Buffer | null, rsv: number): void {
    if (this.disposed) return;
    if (error !== null || payload === null || this.encodeIndex === this.codecs.length) {
      const done = this.encodeDone;
      if (done === null) return;
      this.encodeDone = null;
      done(error ?? (payload === null ? codecFailed('encode') : null), payload, rsv);
      return;
    }
    const codec = this.codecs[this.encodeIndex++];
    try {
      codec.encode(payload, rsv, this.encodeOptions!, this.encodeStep);
    } catch (thrown) {
      if (this.encodeDone === null) throw thrown;
      this.onEncoded(codecFailed('encode', thrown), null, 0);
    }
  }
}

function codecFailed(step: string, cause?: unknown): WebSocketError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new WebSocketError('WS_ERR_EXTENSION_FAILED', `extension failed to ${step}${detail}`);
}
