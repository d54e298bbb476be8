import type { WebSocketError } from '../protocol/errors';

/**
 * The extension contract (RFC 6455 §9). An `Extension` is configured once per server; for each
 * handshake it sees the client's offers bearing its name and may accept one. An accepted offer
 * yields a per-connection `ExtensionCodec` that transforms data frames.
 *
 *   inbound:  frame parser → codecs in reverse configured order → message assembler
 *   outbound: send() → codecs in configured order → frame writer
 *
 * Order is always kept: a connection hands a codec one frame (inbound) or one message
 * (outbound) at a time and waits for its callback before the next one. A codec that sets
 * `decodesPartialFrames` is handed inbound frames in pieces as they arrive instead, so what it
 * decodes (inflated text, say) is validated before the rest of a frame has come.
 */

/** One parameter of an offer or response: `name` or `name=value` (quotes already removed). */
export interface ExtensionParam {
  /** The parameter name, as sent (compare case-insensitively). */
  readonly name: string;
  /** `true` for a parameter without a value. */
  readonly value: string | true;
}

/** One offer from `Sec-WebSocket-Extensions`, parameters in the order sent (duplicates kept). */
export interface ExtensionOffer {
  /** The extension token the client offered, e.g. `permessage-deflate`. */
  readonly name: string;
  /** Its parameters, in the order the client sent them. */
  readonly params: readonly ExtensionParam[];
}

/** What an extension answers when it accepts an offer. */
export interface ExtensionAcceptance {
  /** Parameters of the response's `Sec-WebSocket-Extensions` entry. */
  readonly params: readonly ExtensionParam[];
  /** Called once the connection is established, to make its codec. */
  createCodec(context: CodecContext): ExtensionCodec;
}

/** What a codec is told about the connection it serves. */
export interface CodecContext {
  /** The connection's `maxPayload` in bytes (0 = no limit): decoded messages must not exceed it. */
  readonly maxPayload: number;
}

/**
 * An extension a server offers (`new Server({ extensions })`): one object for every connection,
 * negotiated per handshake. See `ExtensionAcceptance` and `ExtensionCodec`.
 */
export interface Extension {
  /** The extension token, e.g. `permessage-deflate`. */
  readonly name: string;
  /**
   * The RSV bits this extension may set (`Rsv1 | Rsv2 | Rsv3`, values 4, 2, 1). They are
   * per-message: allowed on the first frame of a data message only. Two extensions in one
   * server may not claim the same bit.
   */
  readonly rsv: number;
  /**
   * Given every offer bearing `name`, in the client's order, accept one or return null to
   * decline (the handshake goes on without this extension). Offers are hostile input: return
   * null rather than throw.
   */
  negotiate(offers: readonly ExtensionOffer[]): ExtensionAcceptance | null;
  /**
   * Client side (`connect({ extensions })`): the offers to send, most preferred first; each
   * becomes one element of `Sec-WebSocket-Extensions` (`name; p1; p2=v`). An extension without
   * `offer` and `accept` cannot be given to `connect()`.
   */
  offer?(): readonly (readonly ExtensionParam[])[];
  /**
   * Client side: the server accepted this extension with `params` (its response element).
   * Return the acceptance (its `createCodec` makes the client's codec), or throw an Error whose
   * message names the rule the response broke: the handshake then fails with that message.
   */
  accept?(params: readonly ExtensionParam[]): ExtensionAcceptance;
}

/**
 * How a codec hands back what one `decode` call decoded: the bytes (possibly none), or the
 * error that closes the connection.
 */
export type DecodeCallback = (error: WebSocketError | null, payload: Buffer | null) => void;
/**
 * How a codec hands back one encoded message: the bytes and the RSV bits of its first frame, or an
 * error (the connection closes with 1011).
 */
export type EncodeCallback = (error: Error | null, payload: Buffer | null, rsv: number) => void;

/** Options of one outgoing message, as given to `send()`. */
export interface EncodeOptions {
  /** A binary message (`true`) or a text one (`false`). */
  readonly binary: boolean;
  /** `false` when the caller asked that this message not be transformed (`send(…, { compress: false })`). */
  readonly compress: boolean;
}

/** The per-connection side of an extension: transforms the data frames of one connection. */
export interface ExtensionCodec {
  /**
   * Opt in to being fed inbound frames in pieces: `decode` is then called with the part of a
   * frame's payload that has arrived so far, then with the next part, and so on; a frame that
   * arrives whole in one chunk is still one call. Pieces follow each other in wire order, are
   * never empty unless a frame is (after a message's first 64 pieces under 256 bytes, smaller
   * ones are held until 256 bytes have come), and do not mark frame boundaries: `fin` is set on
   * the last piece of the message only. Right for codecs that transform a message as one stream (such as
   * permessage-deflate); left unset, every call gets one whole frame. A connection uses pieces
   * only when every negotiated codec opts in.
   */
  readonly decodesPartialFrames?: boolean;
  /**
   * Transform the payload of one inbound data frame (or, with `decodesPartialFrames`, the next
   * piece of the message's payload). `rsv` holds the RSV bits of the message's first frame (so
   * a codec knows whether the whole message is its own), `fin` marks the end of the message.
   * Call `done` exactly once, synchronously or later, with the decoded bytes or with a
   * WebSocketError (its `closeCode` closes the connection: 1009 when the decoded size would
   * pass `maxPayload`, 1007 for undecodable data). The next call waits for `done`; bytes that
   * arrive meanwhile are joined into the next piece. After the connection fails (invalid UTF-8
   * in what `done` returned, say), no further call comes.
   */
  decode(payload: Buffer, rsv: number, fin: boolean, done: DecodeCallback): void;
  /**
   * Transform one whole outgoing message. Call `done` exactly once with the bytes to send and
   * the RSV bits to set on its first frame (`rsv` is the bits set so far by earlier codecs; pass
   * it on, OR-ed with your own when you transformed the message).
   */
  encode(payload: Buffer, rsv: number, options: EncodeOptions, done: EncodeCallback): void;
  /**
   * Optional: how a message sent to many connections (`broadcast`, `publish`) may be encoded
   * once for all of them. Return an encoder that is the same object (`===`) for every codec whose
   * `encode` would turn any message with these options into the same bytes, or null when this
   * connection must encode its own copy (its output depends on its own state, such as a
   * compression context kept between messages). Core encodes each such message once per distinct
   * encoder and writes the result to each connection in the order its messages were sent.
   */
  sharedEncoder?(options: EncodeOptions, length: number): SharedEncoder | null;
  /** The connection is gone: release resources. Pending callbacks may be dropped. */
  dispose(): void;
}

/**
 * Encodes messages for every connection whose codec returned it from `sharedEncoder`: the same
 * work `ExtensionCodec.encode` does, but with no connection's state, so its output can be written
 * to all of them.
 */
export interface SharedEncoder {
  /** Transform one whole message; the contract of `ExtensionCodec.encode`. */
  encode(payload: Buffer, rsv: number, options: EncodeOptions, done: EncodeCallback): void;
}
