import { isUtf8 } from 'node:buffer';
import { CloseCode, MAX_CLOSE_REASON_BYTES, isValidWireCloseCode } from './constants';
import { WebSocketError } from './errors';

export interface ClosePayload {
  readonly code: number;
  readonly reason: string;
}

const NO_STATUS: ClosePayload = { code: CloseCode.NoStatus, reason: '' };

/**
 * Reads a received close frame's body (RFC 6455 §5.5.1): empty, or a 2-byte code followed by a
 * UTF-8 reason. Returns the error the connection must fail with when the body is malformed.
 */
export function parseClosePayload(payload: Buffer): ClosePayload | WebSocketError {
  if (payload.length === 0) return NO_STATUS;
  if (payload.length === 1) {
    return new WebSocketError('WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame body of 1 byte');
  }
  const code = payload.readUInt16BE(0);
  if (!isValidWireCloseCode(code)) {
    return new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', `invalid close code ${code}`);
  }
  const reasonBytes = payload.subarray(2);
  if (!isUtf8(reasonBytes)) {
    return new WebSocketError('WS_ERR_INVALID_UTF8', 'close reason is not valid UTF-8');
  }
  return { code, reason: reasonBytes.toString('utf8') };
}

/**
 * Builds a close frame's body for `close(code, reason)`, throwing on arguments that may not go
 * on the wire: that is misuse by the program, not a peer's fault.
 */
export function encodeClosePayload(code?: number, reason = ''): Buffer {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('a close reason needs a close code');
    return Buffer.alloc(0);
  }
  if (!Number.isInteger(code) || !isValidWireCloseCode(code)) {
    throw new RangeError(`close code ${code} may not be sent: use 1000-1003, 1007-1014 or 3000-4999`);
  }
  if (typeof reason !== 'string') throw new TypeError('the close reason must be a string');
  const reasonLength = Buffer.byteLength(reason);
  if (reasonLength > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `close reason is ${reasonLength} bytes of UTF-8; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame`,
    );
  }
  const body = Buffer.allocUnsafe(2 + reasonLength);
  body.writeUInt16BE(code, 0);
  body.write(reason, 2, 'utf8');
  return body;
}
