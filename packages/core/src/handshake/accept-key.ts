import { createHash } from 'node:crypto';
import { HANDSHAKE_GUID } from '../protocol/constants';

/** RFC 6455 §4.2.2: base64 of the SHA-1 of the key followed by the GUID. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
}

/** A `Sec-WebSocket-Key` must be base64 of 16 bytes: 22 characters and `==` (RFC 6455 §4.1). */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}
