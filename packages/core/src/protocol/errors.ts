import { CloseCode } from './constants';

/**
 * Every way a peer can break the protocol, each with the close code it causes.
 * One table, so the code a failure gets is decided in one place.
 */
export const ERROR_CLOSE_CODES = {
  /** A client frame without the mask bit (§5.1). */
  WS_ERR_UNMASKED_FRAME: CloseCode.ProtocolError,
  /** A server frame with the mask bit (§5.1), seen by a client. */
  WS_ERR_MASKED_FRAME: CloseCode.ProtocolError,
  /** An RSV bit no negotiated extension claimed, or on a frame where it is not allowed. */
  WS_ERR_UNEXPECTED_RSV: CloseCode.ProtocolError,
  /** A reserved opcode (3-7, 0xB-0xF). */
  WS_ERR_INVALID_OPCODE: CloseCode.ProtocolError,
  /** A control frame without FIN. */
  WS_ERR_FRAGMENTED_CONTROL: CloseCode.ProtocolError,
  /** A control frame over 125 bytes. */
  WS_ERR_CONTROL_TOO_LONG: CloseCode.ProtocolError,
  /** A continuation frame with nothing to continue. */
  WS_ERR_UNEXPECTED_CONTINUATION: CloseCode.ProtocolError,
  /** A new data frame inside a fragmented message. */
  WS_ERR_EXPECTED_CONTINUATION: CloseCode.ProtocolError,
  /** A 64-bit length with its most significant bit set, or a length not in its shortest encoding (§5.2). */
  WS_ERR_INVALID_LENGTH: CloseCode.ProtocolError,
  /** A close frame with a 1-byte body. */
  WS_ERR_INVALID_CLOSE_PAYLOAD: CloseCode.ProtocolError,
  /** A close code that may not be sent (e.g. 1005, 1006, 1016, 2999, 5000). */
  WS_ERR_INVALID_CLOSE_CODE: CloseCode.ProtocolError,
  /** Text or a close reason that is not UTF-8, caught at the first bad byte. */
  WS_ERR_INVALID_UTF8: CloseCode.InvalidPayload,
  /** An extension could not decode the data (e.g. a corrupt deflate stream). */
  WS_ERR_INVALID_COMPRESSED_DATA: CloseCode.InvalidPayload,
  /** A message over `maxPayload`, known from the frame header or while an extension decodes. */
  WS_ERR_MESSAGE_TOO_BIG: CloseCode.MessageTooBig,
  /** An extension failed on our side. */
  WS_ERR_EXTENSION_FAILED: CloseCode.InternalError,
} as const;

/** The stable `code` of a {@link WebSocketError}, one per way of breaking the protocol. */
export type WebSocketErrorCode = keyof typeof ERROR_CLOSE_CODES;

/**
 * A failure caused by the peer: the connection is closed with `closeCode`.
 * Misuse by the program (a bad argument to `close()`, say) throws a plain
 * TypeError or RangeError instead.
 */
export class WebSocketError extends Error {
  /** What the peer did, as a stable identifier (`WS_ERR_INVALID_UTF8`, …). */
  readonly code: WebSocketErrorCode;
  /** The close code sent to the peer for it (1002, 1007, 1009, 1011). */
  readonly closeCode: number;

  constructor(code: WebSocketErrorCode, message: string, closeCode: number = ERROR_CLOSE_CODES[code]) {
    super(message);
    this.name = 'WebSocketError';
    this.code = code;
    this.closeCode = closeCode;
  }
}
