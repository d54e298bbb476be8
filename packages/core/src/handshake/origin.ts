/**
 * The `Origin` header compared as RFC 6454 §6.1 serializes an origin: `scheme://host[:port]`,
 * scheme and host in lower case, a scheme's default port left out. A value with anything more
 * (a path, a query, credentials), or that does not parse, matches nothing.
 */

/** The origin in its serialized form, or null if `value` is not one. `null` stays `null`. */
export function normalizeOrigin(value: string): string | null {
  // RFC 6454 §7.3: "null" is the origin of a sandboxed or opaque context; compared as is.
  if (value === 'null') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  // `host` is lower-cased and loses a default port for http(s) and ws(s) (WHATWG URL).
  const origin = `${url.protocol}//${url.host}`;
  // Special schemes serialize with a trailing "/", others (chrome-extension:) without.
  if (url.host === '' || (url.href !== origin && url.href !== `${origin}/`)) return null;
  return origin.toLowerCase(); // an opaque host (chrome-extension://ID) keeps its case in `host`
}

/** Builds the check for a list of allowed origins; an entry that is not an origin throws. */
export function originListCheck(allowed: readonly string[]): (origin: string | undefined) => boolean {
  const origins = new Set<string>();
  for (const entry of allowed) {
    const origin = typeof entry === 'string' ? normalizeOrigin(entry) : null;
    if (origin === null) {
      throw new TypeError(`option allowedOrigins: ${JSON.stringify(entry)} is not an origin (scheme://host[:port])`);
    }
    origins.add(origin);
  }
  // No Origin header: not a browser (RFC 6455 §4.1 makes browsers send it, §10.2), and any
  // other client could send whatever Origin it likes, so refusing it would protect nothing.
  return (origin) => {
    if (origin === undefined) return true;
    const normalized = normalizeOrigin(origin);
    return normalized !== null && origins.has(normalized);
  };
}
