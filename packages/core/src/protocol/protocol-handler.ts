import type { ExtensionChain } from '../extension/chain';
import type { WebSocketError } from './errors';

/**
 * The sans-I/O WebSocket protocol of one connection, server side or (`role: 'client'`) client side: bytes in through `receive()`,
 * events out through a `ProtocolHandler`; commands in (`send`, `ping`, `close`), frame bytes out
 * through an `OutputSink`. No sockets, timers or emitters: the I/O layer owns those.
 *
 *   receive → Inbound: FrameParser → (ExtensionChain.decode, of frames or of their pieces) → MessageAssembler → handler.onMessage
 *   send    → (EncodeQueue → ExtensionChain.encode) → frame writer → sink
 */
export interface ProtocolHandler {
  /** A whole message arrived, decoded and validated: text as a string (a Buffer with `textAsBuffer`), binary as a Buffer. */
  onMessage(data: string | Buffer, isBinary: boolean): void;
  /** A ping arrived; the pong is already written. */
  onPing(payload: Buffer): void;
  /** A pong arrived. */
  onPong(payload: Buffer): void;
  /**
   * The peer's close frame arrived (1005 when it had no code). Input is over. Unless our close
   * frame went out first, the answer is written right after this returns: the peer's code and
   * reason, or what `Protocol.close(code, reason)` called from in here asked for instead.
   */
  onPeerClose(code: number, reason: string): void;
  /** Our close frame (first or echo) has just been handed to the sink. */
  onCloseWritten(): void;
  /** The connection failed (peer's fault or an extension error); a close frame was written if still possible. */
  onFail(error: WebSocketError): void;
  /** Input that waited on an extension is flowing again (see `isInputPaused`). */
  onInputResumed(): void;
  /** Messages that waited on an asynchronous extension have all been handed to the sink. */
  onOutputFlushed(): void;
}

/** How a {@link Protocol} is set up: limits and the negotiated extensions. */
export interface ProtocolOptions {
  /** Largest incoming message in bytes (0 = no limit). */
  readonly maxPayload: number;
  /** Outgoing messages are split into frames of at most this many bytes. */
  readonly maxFrameSize: number;
  /** Hand validated text to `onMessage` as its UTF-8 bytes instead of a string. Default false. */
  readonly textAsBuffer?: boolean;
  /** RSV bits claimed by the negotiated extensions. */
  readonly allowedRsv: number;
  /** The negotiated extensions' codecs, or null when none was negotiated. */
  readonly extensions: ExtensionChain | null;
  /**
   * Which end this is (RFC 6455 §5.1). 'server' (the default): incoming frames must be masked,
   * outgoing ones are not. 'client': every outgoing frame is masked with a fresh key from the
   * CSPRNG, and a masked incoming frame fails the connection with 1002.
   */
  readonly role?: 'server' | 'client';
}
