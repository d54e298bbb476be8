import type { ExtensionOffer, ExtensionParam } from '../extension/extension';
import { isToken, isTokenChar, isWhitespace } from './tokens';

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
          i++;
          let unescaped = '';
          let closed = false;
          while (i < length) {
            const code = header.charCodeAt(i++);
            if (code === 0x22) {
              closed = true;
              break;
            }
            if (code === 0x5c /* \ */) {
              if (i === length) return null;
              unescaped += header[i++];
            } else {
              unescaped += String.fromCharCode(code);
            }
          }
          if (!closed || !isToken(unescaped)) return null;
          value = unescaped;
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
