import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Extension } from '../extension/extension';
import { checkExtensionList } from '../handshake/negotiate';
import { isToken } from '../handshake/tokens';
import { type BackpressureLimits, type BackpressurePolicy, resolveBackpressure } from '../server/backpressure';
import { rejectUnknownOptions } from '../server/option-keys';
import { DEFAULTS, positive, timeout } from '../server/options';

/** Options of `connect(url, options)`. */
export interface ClientOptions {
  /** Subprotocols to offer, most preferred first (`Sec-WebSocket-Protocol`). Default: none. */
  protocols?: string | readonly string[];
  /** Extra request headers (`Authorization`, `Cookie`, …); not the ones the handshake sets itself. */
  headers?: Record<string, string>;
  /** The `Origin` header, as `scheme://host[:port]`. Default: none (not a browser). */
  origin?: string;
  /** Extensions to offer (each with `offer()` and `accept()`), in order of preference and of the pipeline. */
  extensions?: readonly Extension[];
  /** Milliseconds for the whole opening handshake, connect and redirects included. Default 30000. */
  handshakeTimeout?: number;
  /** Largest incoming message in bytes, after extensions decode it. Default 100 MiB. */
  maxPayload?: number;
  /** Outgoing messages are split into frames of at most this many bytes. Default 1 MiB. */
  maxFrameSize?: number;
  /** Milliseconds the closing handshake may take, until the server closes TCP. Default 5000. */
  closeTimeout?: number;
  /** Bytes the connection may hold unsent; a message past it is dropped and `backpressure` applies. Default 8 MiB. */
  maxBufferedAmount?: number;
  /** Past this many unsent bytes `send` returns 'backpressure': wait for `drain`. Default 1 MiB. */
  sendHighWaterMark?: number;
  /** A message over `maxBufferedAmount`: 'close' (1013, the default) or 'drop' (report it only). */
  backpressure?: BackpressurePolicy;
  /** Follow 301, 302, 303, 307 and 308 answers to their `Location`. Default false: a redirect fails with ERR_WS_STATUS. */
  followRedirects?: boolean;
  /** Redirects followed at most, with `followRedirects`; one more fails with ERR_WS_REDIRECT. Default 10. */
  maxRedirects?: number;
  /** For `wss:`: passed to `tls.connect` (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`, …). */
  tls?: TlsConnectionOptions;
  /** Connect to this Unix domain socket instead of the URL's host and port (the URL still gives Host and path). */
  socketPath?: string;
  /** Aborts the opening handshake (rejects with ERR_WS_ABORTED); no effect once open. */
  signal?: AbortSignal;
}

export interface ResolvedClientOptions {
  readonly protocols: readonly string[];
  readonly headers: readonly (readonly [string, string])[];
  readonly origin: string | undefined;
  readonly extensions: readonly Extension[];
  readonly handshakeTimeout: number;
  readonly maxPayload: number;
  readonly maxFrameSize: number;
  readonly closeTimeout: number;
  readonly backpressure: BackpressureLimits;
  readonly followRedirects: boolean;
  readonly maxRedirects: number;
  readonly tls: TlsConnectionOptions | undefined;
  readonly socketPath: string | undefined;
  readonly signal: AbortSignal | undefined;
}

export const CLIENT_DEFAULTS = {
  handshakeTimeout: 30_000,
  maxRedirects: 10,
} as const;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'protocols',
  'headers',
  'origin',
  'extensions',
  'handshakeTimeout',
  'maxPayload',
  'maxFrameSize',
  'closeTimeout',
  'maxBufferedAmount',
  'sendHighWaterMark',
  'backpressure',
  'followRedirects',
  'maxRedirects',
  'tls',
  'socketPath',
  'signal',
]);

/** Headers the handshake writes itself; each has its own option, or none. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
  'content-length',
  'transfer-encoding',
]);

/** Validates options once, before any socket opens, so misuse fails loudly (TypeError, RangeError). */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('connect: options must be an object');
  rejectUnknownOptions('connect', options, KNOWN_OPTIONS);
  const extensions = options.extensions ?? [];
  for (const extension of extensions) {
    if (typeof extension.offer !== 'function' || typeof extension.accept !== 'function') {
      throw new TypeError(`connect: extension ${extension.name} has no client side (offer and accept)`);
    }
  }
  checkExtensionList(extensions);
  const policy = options.backpressure ?? DEFAULTS.backpressure;
  if (policy !== 'close' && policy !== 'drop') {
    throw new TypeError(`option backpressure must be 'close' or 'drop', got ${JSON.stringify(policy)}`);
  }
  const maxRedirects = options.maxRedirects ?? CLIENT_DEFAULTS.maxRedirects;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
    throw new RangeError(`option maxRedirects must be a non-negative integer, got ${String(maxRedirects)}`);
  }
  if (options.origin !== undefined) checkHeaderValue('origin', options.origin);
  return {
    protocols: resolveProtocols(options.protocols),
    headers: resolveHeaders(options.headers),
    origin: options.origin,
    extensions,
    handshakeTimeout: timeout('handshakeTimeout', options.handshakeTimeout, CLIENT_DEFAULTS.handshakeTimeout),
    maxPayload: positive('maxPayload', options.maxPayload, DEFAULTS.maxPayload, true),
    maxFrameSize: positive('maxFrameSize', options.maxFrameSize, DEFAULTS.maxFrameSize, true),
    closeTimeout: timeout('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeout),
    backpressure: resolveBackpressure(
      positive('maxBufferedAmount', options.maxBufferedAmount, DEFAULTS.maxBufferedAmount, true),
      options.sendHighWaterMark === undefined
        ? undefined
        : positive('sendHighWaterMark', options.sendHighWaterMark, 0, true),
      policy,
    ),
    followRedirects: options.followRedirects === true,
    maxRedirects,
    tls: options.tls,
    socketPath: options.socketPath,
    signal: options.signal,
  };
}

/** RFC 6455 §4.1: subprotocols are distinct tokens. */
function resolveProtocols(protocols: ClientOptions['protocols']): readonly string[] {
  if (protocols === undefined) return [];
  const list = typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw new TypeError(`option protocols: ${JSON.stringify(protocol)} is not a token (RFC 6455 §4.1)`);
    }
    if (seen.has(protocol)) throw new TypeError(`option protocols: "${protocol}" is listed twice`);
    seen.add(protocol);
  }
  return list;
}

function resolveHeaders(headers: ClientOptions['headers']): readonly (readonly [string, string])[] {
  if (headers === undefined) return [];
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isToken(name)) throw new TypeError(`option headers: ${JSON.stringify(name)} is not a header name`);
    if (HANDSHAKE_HEADERS.has(name.toLowerCase())) {
      throw new TypeError(`option headers: "${name}" is set by the handshake itself (use its option, if any)`);
    }
    checkHeaderValue(`headers.${name}`, value);
    entries.push([name, value]);
  }
  return entries;
}

function checkHeaderValue(option: string, value: unknown): void {
  if (typeof value !== 'string' || /[\0\r\n]/.test(value)) {
    throw new TypeError(`option ${option} must be a string without CR, LF or NUL`);
  }
}
