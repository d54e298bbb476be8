import { MAX_CONTROL_PAYLOAD, Opcode } from './constants';
import { WebSocketError } from './errors';

/**
 * Checks a frame's first two bytes: the mask bit for the peer's role, the opcode, RSV bits,
 * fragmentation of control frames and the order of data frames (`messageOpcode`: the opcode of
 * the message in progress, 0 for none), and the length field of a control frame. `allowedRsv`:
 * the RSV bits negotiated extensions claim; `fromServer`: frames must not be masked (§5.1).
 * Null when they are sound.
 */
export function checkFrameHeader(
  first: number,
  second: number,
  messageOpcode: number,
  allowedRsv: number,
  fromServer: boolean,
): WebSocketError | null {
  const opcode = first & 0x0f;
  const rsv = (first >> 4) & 0x07;
  const fin = (first & 0x80) !== 0;

  if ((second & 0x80) === 0) {
    if (!fromServer) return new WebSocketError('WS_ERR_UNMASKED_FRAME', 'client frames must be masked');
  } else if (fromServer) {
    return new WebSocketError('WS_ERR_MASKED_FRAME', 'server frames must not be masked');
  }
  if (opcode >= 0x8) {
    if (opcode > Opcode.Pong) return invalidOpcode(opcode);
    if (!fin) return new WebSocketError('WS_ERR_FRAGMENTED_CONTROL', 'control frames must not be fragmented');
    if (rsv !== 0) return unexpectedRsv(rsv);
    if ((second & 0x7f) >= 126) {
      return new WebSocketError('WS_ERR_CONTROL_TOO_LONG', `control frame payload over ${MAX_CONTROL_PAYLOAD} bytes`);
    }
  } else if (opcode === Opcode.Continuation) {
    if (messageOpcode === 0) {
      return new WebSocketError('WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame with no message to continue');
    }
    if (rsv !== 0) return unexpectedRsv(rsv);
  } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
    if (messageOpcode !== 0) {
      return new WebSocketError('WS_ERR_EXPECTED_CONTINUATION', 'new data frame inside a fragmented message');
    }
    if ((rsv & ~allowedRsv) !== 0) return unexpectedRsv(rsv);
  } else {
    return invalidOpcode(opcode);
  }
  return null;
}

/** RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length". */
export function nonMinimalLength(): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_LENGTH', 'payload length not in its shortest encoding');
}

function invalidOpcode(opcode: number): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_OPCODE', `reserved opcode 0x${opcode.toString(16)}`);
}

function unexpectedRsv(rsv: number): WebSocketError {
  return new WebSocketError('WS_ERR_UNEXPECTED_RSV', `RSV bits 0b${rsv.toString(2).padStart(3, '0')} not negotiated`);
}
