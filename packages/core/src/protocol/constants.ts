/** Frame opcodes, RFC 6455 §5.2. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RSV bits as they sit in the low nibble of `rsv` values (RSV1 = 4, RSV2 = 2, RSV3 = 1). */
export const Rsv1 = 0b100;
export const Rsv2 = 0b010;
export const Rsv3 = 0b001;

/** Close status codes, RFC 6455 §7.4.1 and the IANA registry. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: never on the wire; reported when a close frame carried no code. */
  NoStatus: 1005,
  /** Reserved: never on the wire; reported when the TCP connection was lost. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The GUID of RFC 6455 §1.3, appended to the key to compute Sec-WebSocket-Accept. */
export const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §5.5: control frame payloads are at most 125 bytes. */
export const MAX_CONTROL_PAYLOAD = 125;
/** A close reason is what is left of 125 bytes after the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Codes that may be sent in a close frame (RFC 6455 §7.4.1, §7.4.2): 1000-1003, 1007-1014
 * (1004-1006 and 1015 are reserved, 1016-2999 unassigned), and 3000-4999 for libraries and
 * applications.
 */
export function isValidWireCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}
