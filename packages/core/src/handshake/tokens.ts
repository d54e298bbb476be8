/**
 * HTTP token characters (RFC 7230 §3.2.6 tchar): a lookup table, so header parsing is a single
 * linear pass with no regular expression backtracking.
 */
export const TOKEN_CHARS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const extra = "!#$%&'*+-.^_`|~";
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (const ch of extra) table[ch.charCodeAt(0)] = 1;
  return table;
})();

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTokenChar(value.charCodeAt(i))) return false;
  return true;
}

export function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** True when a comma list (e.g. `Connection: keep-alive, Upgrade`) holds `token`, in any case. */
export function listHasToken(value: string, token: string): boolean {
  // The usual header is the token alone: one comparison, no split. A list of the same length
  // cannot hold it (its elements are shorter).
  if (value.length === token.length) return value.toLowerCase() === token;
  for (const element of value.split(',')) {
    if (element.trim().toLowerCase() === token) return true;
  }
  return false;
}
