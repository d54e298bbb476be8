import * as crypto from 'node:crypto';
import { HANDSHAKE_GUID } from '../protocol/constants';

/** Node's one-shot digest (20.12 and later): no Hash object, no stream state per handshake. */
const oneShotHash = (crypto as Partial<Pick<typeof crypto, 'hash'>>).hash;

/** RFC 6455 §4.2.2: base64 of the SHA-1 of the key followed by the GUID. */
export function acceptKey(key: string): string {
  const input = key + HANDSHAKE_GUID;
  if (oneShotHash !== undefined) return oneShotHash('sha1', input, 'base64');
  return crypto.createHash('sha1').update(input).digest('base64');
}

/**
 * A `Sec-WebSocket-Key` must be base64 of 16 bytes (RFC 6455 §4.1): 22 characters and `==`,
 * the last character carrying only 2 bits of data, so its low 4 bits are zero (A, Q, g or w).
 */
const KEY_PATTERN = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}
