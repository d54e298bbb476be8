import type { ExtensionOffer, ExtensionParam } from '../extension/extension';
import { isToken, isTokenChar, isWhitespace } from './tokens';

const ESCAPE = /\\(.)/gs;

/**
 * Parses `Sec-WebSocket-Extensions` by the grammar of RFC 6455 §9.1:
 *
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *
 * A quoted value, once unescaped, must itself be a token. One pass over the header, so the time
 * is linear in its length whatever a client sends. Returns null when the header is malformed.
 * Empty list elements (`a, , b`) are allowed, as `#` rules permit.
 */
export function parseExtensionHeader(header: string): ExtensionOffer[] | null {
  const offers: ExtensionOffer[] = [];
  const length = header.length;
  let i = 0;

  const skipSpace = (): void => {
    while (i < length && isWhitespace(header.charCodeAt(i))) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < length && isTokenChar(header.charCodeAt(i))) i++;
    return header.slice(start, i);
  };

  for (;;) {
    skipSpace();
    if (i === length) break;
    if (header.charCodeAt(i) === 0x2c /* , */) {
      i++;
      continue;
    }
    const name = readToken();
    if (name === '') return null;
    const params: ExtensionParam[] = [];
    skipSpace();
    while (i < length && header.charCodeAt(i) === 0x3b /* ; */) {
      i++;
      skipSpace();
      const paramName = readToken();
      if (paramName === '') return null;
      skipSpace();
      let value: string | true = true;
      if (i < length && header.charCodeAt(i) === 0x3d /* = */) {
        i++;
        skipSpace();
        if (i < length && header.charCodeAt(i) === 0x22 /* " */) {
          const quoted = readQuotedToken(header, i + 1);
          if (quoted === null) return null;
          value = quoted.value;
          i = quoted.end;
        } else {
          value = readToken();
          if (value === '') return null;
        }
        skipSpace();
      }
      params.push({ name: paramName, value });
    }
    offers.push({ name, params });
    if (i === length) break;
    if (header.charCodeAt(i) !== 0x2c) return null;
    i++;
  }
  return offers.length > 0 ? offers : null;
}

/**
 * Reads a quoted-string from `start` (just past the opening quote) whose unescaped value must be
 * a token (RFC 6455 §9.1), so every character, escaped or not, must be a token character: the
 * first that is not ends the parse. The value is sliced (and unescaped by one native replace)
 * rather than built a character at a time, which cost superlinear time on long values.
 * Returns the value and the index past the closing quote, or null.
 */
function readQuotedToken(header: string, start: number): { value: string; end: number } | null {
  const length = header.length;
  let escaped = false;
  let i = start;
  for (;;) {
    if (i === length) return null; // unclosed
    let code = header.charCodeAt(i);
    if (code === 0x22 /* " */) break;
    if (code === 0x5c /* \ */) {
      escaped = true;
      if (++i === length) return null;
      code = header.charCodeAt(i);
    }
    if (!isTokenChar(code)) return null;
    i++;
  }
  if (i === start) return null; // "" is not a token
  const raw = header.slice(start, i);
  return { value: escaped ? raw.replace(ESCAPE, '$1') : raw, end: i + 1 };
}

/** Formats one response entry: `name; param; param=value`. Values that are not tokens are quoted. */
export function formatExtension(name: string, params: readonly ExtensionParam[]): string {
  let out = name;
  for (const param of params) {
    out += `; ${param.name}`;
    if (param.value !== true) {
      out += isToken(param.value) ? `=${param.value}` : `="${param.value.replace(/(["\\])/g, '\\$1')}"`;
    }
  }
  return out;
}
