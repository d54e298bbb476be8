import { isToken } from './tokens';

/**
 * Parses `Sec-WebSocket-Protocol` (RFC 6455 §4.1, §11.3.4): a comma list of distinct tokens.
 * Returns null when malformed (an element that is not a token, or a duplicate).
 */
export function parseSubprotocolHeader(header: string): string[] | null {
  const protocols = new Set<string>();
  for (const element of header.split(',')) {
    const protocol = element.trim();
    if (protocol === '') continue;
    if (!isToken(protocol) || protocols.has(protocol)) return null;
    protocols.add(protocol);
  }
  return [...protocols];
}
