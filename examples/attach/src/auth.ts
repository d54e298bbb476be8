import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The credential a client presents: `?token=…` in the upgrade URL, or a `token` cookie.
 * Browsers cannot set headers on a WebSocket handshake, which is why these two places are the
 * usual ones (the cookie is sent by the browser on its own; the query string shows up in logs,
 * so prefer the cookie outside of tests).
 */
export function presentedToken(request: IncomingMessage): string | undefined {
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
  if (query !== null) return query;
  return cookie(request.headers.cookie, 'token');
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A checker for one secret. Digests first, so the comparison's time says nothing about length. */
export function tokenChecker(secret: string): (presented: string | undefined) => boolean {
  const expected = digest(secret);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
