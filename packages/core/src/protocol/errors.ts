import { CloseCode } from './constants';

/**
 * Every way a peer can break the protocol, each with the close code it causes.
 * One table, so the code a failure gets is decided in one place.
 */
export const ERROR_CLOSE_CODES = {
  WS_ERR_UNMASKED_FRAME: CloseCode.ProtocolError,
  WS_ERR_UNEXPECTED_RSV: CloseCode.ProtocolError,
  WS_ERR_INVALID_OPCODE: CloseCode.ProtocolError,
  WS_ERR_FRAGMENTED_CONTROL: CloseCode.ProtocolError,
  WS_ERR_CONTROL_TOO_LONG: CloseCode.ProtocolError,
  WS_ERR_UNEXPECTED_CONTINUATION: CloseCode.ProtocolError,
  WS_ERR_EXPECTED_CONTINUATION: CloseCode.ProtocolError,
  WS_ERR_INVALID_LENGTH: CloseCode.ProtocolError,
  WS_ERR_INVALID_CLOSE_PAYLOAD: CloseCode.ProtocolError,
  WS_ERR_INVALID_CLOSE_CODE: CloseCode.ProtocolError,
  WS_ERR_INVALID_UTF8: CloseCode.InvalidPayload,
  WS_ERR_INVALID_COMPRESSED_DATA: CloseCode.InvalidPayload,
  WS_ERR_MESSAGE_TOO_BIG: CloseCode.MessageTooBig,
  WS_ERR_EXTENSION_FAILED: CloseCode.InternalError,
} as const;

export type WebSocketErrorCode = keyof typeof ERROR_CLOSE_CODES;

/**
 * A failure caused by the peer: the connection is closed with `closeCode`.
 * Misuse by the program (a bad argument to `close()`, say) throws a plain
 * TypeError or RangeError instead.
 */
export class WebSocketError extends Error {
  readonly code: WebSocketErrorCode;
  readonly closeCode: number;

  constructor(code: WebSocketErrorCode, message: string, closeCode: number = ERROR_CLOSE_CODES[code]) {
    super(message);
    this.name = 'WebSocketError';
    this.code = code;
    this.closeCode = closeCode;
  }
}
