import { isIP } from 'node:net';
import { HandshakeError } from './handshake-error';

/** Where one handshake attempt goes, from a `ws:`, `wss:` or `ws+unix:` URL. */
export interface Target {
  readonly url: URL;
  readonly secure: boolean;
  /** Host to connect to (brackets of an IPv6 literal removed); '' for a Unix socket. */
  readonly hostname: string;
  readonly port: number;
  /** A Unix socket path (from `ws+unix:` or the `socketPath` option), or undefined. */
  readonly socketPath: string | undefined;
  /** Request target: path and query. */
  readonly path: string;
  /** The `Host` header. */
  readonly host: string;
  /** `user:password` from the URL, for `Authorization: Basic`, or undefined. */
  readonly credentials: string | undefined;
}

/**
 * Parses the URL given to `connect()`. `ws+unix:/path/to.sock:/request/path` (as `ws` writes it)
 * names a Unix socket; `socketPath` does the same for a `ws:` URL. A fragment is refused
 * (RFC 6455 §3: it "MUST NOT be used"). Misuse throws TypeError.
 */
export function parseTarget(input: string | URL, socketPath: string | undefined): Target {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TypeError(`connect: invalid URL ${JSON.stringify(String(input))}`);
  }
  if (url.hash !== '' || String(input).includes('#')) {
    throw new TypeError('connect: a WebSocket URL must not have a fragment (RFC 6455 §3)');
  }
  const credentials =
    url.username === '' && url.password === ''
      ? undefined
      : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  if (url.protocol === 'ws+unix:' || url.protocol === 'wss+unix:') {
    const [socket, ...rest] = url.pathname.split(':');
    if (socket === '') throw new TypeError('connect: a ws+unix: URL needs a socket path (ws+unix:/path.sock:/request)');
    const path = (rest.length === 0 ? '/' : rest.join(':')) + url.search;
    return {
      url,
      secure: url.protocol === 'wss+unix:',
      hostname: '',
      port: 0,
      socketPath: socket,
      path: path.startsWith('/') ? path : `/${path}`,
      host: 'localhost',
      credentials,
    };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`connect: the URL must be ws:, wss: or ws+unix:, got ${url.protocol}`);
  }
  const secure = url.protocol === 'wss:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    url,
    secure,
    hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    socketPath,
    path: (url.pathname === '' ? '/' : url.pathname) + url.search,
    host: url.host,
    credentials,
  };
}

/** The TLS server name for SNI: the host name, never an IP literal (RFC 6066 §3). */
export function serverName(target: Target): string | undefined {
  return target.hostname === '' || isIP(target.hostname) !== 0 ? undefined : target.hostname;
}

/** A redirect's `Location`, resolved against the URL it answered; http(s) maps to ws(s). */
export function redirectTarget(location: string, from: Target): Target {
  let url: URL;
  try {
    url = new URL(location, from.url);
  } catch {
    throw new HandshakeError('ERR_WS_REDIRECT', `redirect Location ${JSON.stringify(location)} is not a URL`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  url.hash = '';
  try {
    // A socket path given as an option applies to the same host only.
    return parseTarget(url, url.host === from.url.host ? from.socketPath : undefined);
  } catch (error) {
    throw new HandshakeError('ERR_WS_REDIRECT', `redirect to ${url.href}: ${(error as Error).message}`);
  }
}
