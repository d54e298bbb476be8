import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { Extension } from '../extension/extension';
import { checkExtensionList } from '../handshake/negotiate';
import { originListCheck } from '../handshake/origin';
import {
  type BackpressureLimits,
  type BackpressurePolicy,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  resolveBackpressure,
} from './backpressure';
import type { Plugin } from './plugin';
import type { UpgradeRequest } from './transport';

/** An HTTP server to attach to. */
export type AttachableServer = HttpServer | HttpsServer | Http2SecureServer;

/** A refusal from `verifyClient`: the status (and optional message and headers) to answer with. */
export interface VerifyRejection {
  /** An HTTP status from 400 to 599; anything else answers 500. */
  status: number;
  /** The plain-text body of the answer (the reason phrase is the status's own). Default: empty. */
  message?: string;
  /**
   * Extra headers (`WWW-Authenticate`, say). Names that are not tokens, framing headers and
   * values with control characters are dropped.
   */
  headers?: Record<string, string>;
}

/** `true` accepts, `false` refuses with 401, a {@link VerifyRejection} refuses with its status. */
export type VerifyResult = boolean | VerifyRejection;
/**
 * Decides on an upgrade request before the handshake; a throw or a rejected promise gives 500.
 * `request` is an `IncomingMessage` on HTTP/1.1 and an `Http2ServerRequest` on HTTP/2 (see
 * `UpgradeRequest`). Declared as a method so that a function typed for `IncomingMessage` alone,
 * written before HTTP/2 was served, still type-checks.
 */
export type VerifyClient = {
  /** The verdict on `request` (see {@link VerifyResult}), or a promise of it. */
  verify(request: UpgradeRequest): VerifyResult | Promise<VerifyResult>;
}['verify'];

/** Admits (true) or refuses with 403 an upgrade by its `Origin` header, as sent (undefined without one). */
export type OriginCheck = {
  /** True admits the upgrade; false refuses it with 403. `request` is there for checks beyond the header. */
  check(origin: string | undefined, request: UpgradeRequest): boolean;
}['check'];

/** Picks one of the client's subprotocols, or none. */
export type ProtocolSelector = {
  /**
   * Returns the subprotocol to answer with, one of `offered` (the client's, in its order), or
   * `undefined`, `null` or `false` to answer without one.
   */
  select(offered: readonly string[], request: UpgradeRequest): string | undefined | null | false;
}['select'];

/** Options of `new Server()`: one of `port`, `server` or `noServer` picks the serving mode. */
export interface ServerOptions {
  /** Standalone mode: the address to listen on. */
  host?: string;
  /** Standalone mode: the port to listen on (0 picks a free one). */
  port?: number;
  /**
   * Attached mode: an existing HTTP(S) server whose upgrades this server handles; an
   * `Http2SecureServer` also gets WebSockets over HTTP/2 streams (RFC 8441).
   */
  server?: AttachableServer;
  /** No-server mode: upgrades arrive only through `handleUpgrade()`. */
  noServer?: boolean;
  /** Serve only this path (query ignored). */
  path?: string;
  /** Largest incoming message in bytes, after extensions decode it and as received before. Default 100 MiB. */
  maxPayload?: number;
  /** Outgoing messages are split into frames of at most this many bytes. Default 1 MiB. */
  maxFrameSize?: number;
  /**
   * How text messages reach `message` listeners: `'string'` (the default), or `'buffer'`: the
   * UTF-8 bytes as a Buffer, as `ws` gives them, with `isBinary` false. Either way the text is
   * validated first (invalid UTF-8 fails the connection with 1007). A Buffer skips decoding,
   * and sending it back with `{ binary: false }` skips encoding (only a native `isUtf8` check
   * runs): the fastest way to relay large text.
   */
  textMessages?: TextMessages;
  /** Open connections plus handshakes in progress; past it upgrades get 503. Default Infinity. */
  maxConnections?: number;
  /**
   * Milliseconds a client has to finish its handshake: standalone, from the socket's accept until
   * the 101 is written, however slowly the request trickles in; every mode, the time an async
   * `verifyClient` may take. Default 10000.
   */
  handshakeTimeout?: number;
  /** Milliseconds a connection may go without receiving a byte before it is closed with 1001. Default 0 (off). */
  idleTimeout?: number;
  /** Origins allowed to connect (exact, as `scheme://host[:port]`), or a function; others get 403. */
  allowedOrigins?: readonly string[] | OriginCheck;
  /** Milliseconds to wait for the peer's close frame after sending ours. Default 5000. */
  closeTimeout?: number;
  /**
   * Bytes one connection may hold unsent (socket buffer plus messages waiting on extensions);
   * a message that would pass it is dropped and `backpressure` applies. Default 8 MiB.
   */
  maxBufferedAmount?: number;
  /** Past this many unsent bytes `send` returns 'backpressure': wait for `drain`. Default 1 MiB. */
  sendHighWaterMark?: number;
  /** A message over `maxBufferedAmount`: 'close' (1013, the default) or 'drop' (report it only). */
  backpressure?: BackpressurePolicy;
  /** Subprotocols in order of preference, or a function that picks one. */
  protocols?: readonly string[] | ProtocolSelector;
  /** Accepts or refuses each upgrade request (sync or async). Default: accept all. */
  verifyClient?: VerifyClient;
  /** Extensions offered to clients, in order of preference and of the pipeline. */
  extensions?: readonly Extension[];
  /** Plugins attached to this server, in order. */
  plugins?: readonly Plugin[];
}

/** How text messages are delivered: see {@link ServerOptions.textMessages}. */
export type TextMessages = 'string' | 'buffer';

export interface ResolvedOptions {
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly server: AttachableServer | undefined;
  readonly noServer: boolean;
  readonly path: string | undefined;
  readonly maxPayload: number;
  readonly maxFrameSize: number;
  /** `textMessages: 'buffer'`. */
  readonly textAsBuffer: boolean;
  readonly maxConnections: number;
  readonly handshakeTimeout: number;
  /** 0 when off. */
  readonly idleTimeout: number;
  readonly allowedOrigins: OriginCheck | undefined;
  readonly closeTimeout: number;
  readonly backpressure: BackpressureLimits;
  readonly protocols: readonly string[] | ProtocolSelector | undefined;
  readonly verifyClient: VerifyClient | undefined;
  readonly extensions: readonly Extension[];
  readonly plugins: readonly Plugin[];
}

export const DEFAULTS = {
  maxPayload: 100 * 1024 * 1024,
  maxFrameSize: 1024 * 1024,
  maxConnections: Infinity,
  handshakeTimeout: 10_000,
  closeTimeout: 5_000,
  maxBufferedAmount: DEFAULT_MAX_BUFFERED_AMOUNT,
  backpressure: 'close',
} as const;

export function positive(name: string, value: number | undefined, fallback: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  const valid = allowInfinity ? value > 0 && !Number.isNaN(value) : Number.isFinite(value) && value > 0;
  if (typeof value !== 'number' || !valid) {
    throw new RangeError(`option ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/** Node's timers hold at most 2^31 - 1 ms; beyond that they fire after 1 ms instead. */
const MAX_TIMEOUT = 2 ** 31 - 1;

export function timeout(name: string, value: number | undefined, fallback: number): number {
  const ms = positive(name, value, fallback);
  if (ms > MAX_TIMEOUT) throw new RangeError(`option ${name} must be at most ${MAX_TIMEOUT} ms, got ${ms}`);
  return ms;
}

/** Validates options once, at construction, so misuse fails loudly and early. */
export function resolveOptions(options: ServerOptions): ResolvedOptions {
  const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true];
  if (modes.filter(Boolean).length !== 1) {
    throw new TypeError('give exactly one of `port` (standalone), `server` (attached) or `noServer: true`');
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new RangeError(`option port must be an integer from 0 to 65535, got ${String(options.port)}`);
  }
  if (options.path !== undefined && !options.path.startsWith('/')) {
    throw new TypeError(`option path must start with "/", got ${JSON.stringify(options.path)}`);
  }
  const textMessages = options.textMessages ?? 'string';
  if (textMessages !== 'string' && textMessages !== 'buffer') {
    throw new TypeError(`option textMessages must be 'string' or 'buffer', got ${JSON.stringify(textMessages)}`);
  }
  const extensions = options.extensions ?? [];
  checkExtensionList(extensions);
  const policy = options.backpressure ?? DEFAULTS.backpressure;
  if (policy !== 'close' && policy !== 'drop') {
    throw new TypeError(`option backpressure must be 'close' or 'drop', got ${JSON.stringify(policy)}`);
  }
  const backpressure = resolveBackpressure(
    positive('maxBufferedAmount', options.maxBufferedAmount, DEFAULTS.maxBufferedAmount, true),
    options.sendHighWaterMark === undefined
      ? undefined
      : positive('sendHighWaterMark', options.sendHighWaterMark, 0, true),
    policy,
  );
  return {
    host: options.host,
    port: options.port,
    server: options.server,
    noServer: options.noServer === true,
    path: options.path,
    maxPayload: positive('maxPayload', options.maxPayload, DEFAULTS.maxPayload, true),
    maxFrameSize: positive('maxFrameSize', options.maxFrameSize, DEFAULTS.maxFrameSize, true),
    textAsBuffer: textMessages === 'buffer',
    maxConnections: positive('maxConnections', options.maxConnections, DEFAULTS.maxConnections, true),
    handshakeTimeout: timeout('handshakeTimeout', options.handshakeTimeout, DEFAULTS.handshakeTimeout),
    idleTimeout: options.idleTimeout === 0 ? 0 : timeout('idleTimeout', options.idleTimeout, 0),
    allowedOrigins: resolveOriginCheck(options.allowedOrigins),
    closeTimeout: timeout('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeout),
    backpressure,
    protocols: options.protocols,
    verifyClient: options.verifyClient,
    extensions,
    plugins: options.plugins ?? [],
  };
}

function resolveOriginCheck(allowed: ServerOptions['allowedOrigins']): OriginCheck | undefined {
  if (allowed === undefined || typeof allowed === 'function') return allowed;
  if (!Array.isArray(allowed)) throw new TypeError('option allowedOrigins must be an array of origins or a function');
  return originListCheck(allowed);
}
