/** Frame opcodes, RFC 6455 §5.2. */
export const Opcode = {
  /** Continues a fragmented message (§5.4). */
  Continuation: 0x0,
  /** First frame of a text message: UTF-8 (§5.6). */
  Text: 0x1,
  /** First frame of a binary message (§5.6). */
  Binary: 0x2,
  /** Starts or answers the closing handshake (§5.5.1). */
  Close: 0x8,
  /** Asks for a pong with the same payload (§5.5.2). */
  Ping: 0x9,
  /** Answers a ping, or a unidirectional heartbeat (§5.5.3). */
  Pong: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RSV bits as they sit in the low nibble of `rsv` values (RSV1 = 4, RSV2 = 2, RSV3 = 1). */
export const Rsv1 = 0b100;
/** RSV2, for an extension that claims it. */
export const Rsv2 = 0b010;
/** RSV3, for an extension that claims it. */
export const Rsv3 = 0b001;

/** Close status codes, RFC 6455 §7.4.1 and the IANA registry. */
export const CloseCode = {
  /** 1000: the purpose of the connection is fulfilled. */
  Normal: 1000,
  /** 1001: the endpoint is going away (a server shutting down, a page left). */
  GoingAway: 1001,
  /** 1002: the peer broke the protocol. */
  ProtocolError: 1002,
  /** 1003: a type of data the endpoint cannot accept (binary where only text is). */
  UnsupportedData: 1003,
  /** Reserved: never on the wire; reported when a close frame carried no code. */
  NoStatus: 1005,
  /** Reserved: never on the wire; reported when the TCP connection was lost. */
  Abnormal: 1006,
  /** 1007: data inconsistent with the message type (text that is not UTF-8). */
  InvalidPayload: 1007,
  /** 1008: a message that violates the endpoint's policy. */
  PolicyViolation: 1008,
  /** 1009: a message too big to process (past `maxPayload`). */
  MessageTooBig: 1009,
  /** 1010: sent by a client when the server did not negotiate an extension it requires. */
  MandatoryExtension: 1010,
  /** 1011: the server met a condition that keeps it from serving this connection. */
  InternalError: 1011,
  /** 1012: the service is restarting (IANA registry). */
  ServiceRestart: 1012,
  /** 1013: the service is overloaded, try again later (IANA registry). */
  TryAgainLater: 1013,
  /** 1014: a gateway got an invalid answer from upstream (IANA registry). */
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
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
