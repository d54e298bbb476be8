import type { ZlibOptions } from 'node:zlib';
import { rejectUnknownOptions } from '@ws/core';

/** zlib settings a user may pass through; window size and flushing are decided by the extension. */
export type DeflateZlibOptions = Pick<ZlibOptions, 'level' | 'memLevel' | 'strategy' | 'chunkSize'>;
/** zlib settings a user may pass to the decompressor; the window size comes from the negotiation. */
export type InflateZlibOptions = Pick<ZlibOptions, 'chunkSize'>;

/** Options of `deflate()`. Every field is optional; see the README for the table. */
export interface DeflateOptions {
  /**
   * Always answer `server_no_context_takeover`: the server compresses each message on its own,
   * so an idle connection holds no compressor. Offers asking for it are accepted either way.
   */
  readonly serverNoContextTakeover?: boolean;
  /**
   * Always answer `client_no_context_takeover`: the client compresses each message on its own,
   * so an idle connection holds no decompressor. Echoed anyway when the client offers it.
   */
  readonly clientNoContextTakeover?: boolean;
  /**
   * Largest LZ77 window (8-15) the server compresses with. Default 12 (4 KiB), as in Python
   * websockets: about half the memory per connection of 15, for a few percent of ratio. On a
   * client: asked of the server (`server_max_window_bits=N`) only when given and below 15.
   */
  readonly serverMaxWindowBits?: number;
  /**
   * Largest LZ77 window (8-15) the client may compress with, asked of clients that offer
   * `client_max_window_bits` (RFC 7692 §7.1.2.2 allows no other). Default 12. On a client: the
   * offer carries `client_max_window_bits=N` only when given and below 15, else no value.
   */
  readonly clientMaxWindowBits?: number;
  /**
   * Decline offers without `client_max_window_bits` (Firefox sends none), so that every client
   * compresses within `clientMaxWindowBits`. Default false: such clients use a window of 15.
   */
  readonly requireClientMaxWindowBits?: boolean;
  /** Messages shorter than this many bytes are sent uncompressed. Default 1024. */
  readonly threshold?: number;
  /** zlib operations running at once across every connection sharing this value. Default 10. */
  readonly concurrency?: number;
  /**
   * Messages up to this many bytes (inflating: compressed bytes of a frame, or of the part of one
   * that has arrived) are compressed or inflated on the main thread, at once; larger ones on
   * libuv's thread pool, `concurrency` at a time. Default 32768; 0 sends everything to the pool.
   */
  readonly syncLimit?: number;
  /** Passed to each `DeflateRaw` (`level`, `memLevel`, `strategy`, `chunkSize`). */
  readonly zlibDeflateOptions?: DeflateZlibOptions;
  /** Passed to each `InflateRaw` (`chunkSize`). */
  readonly zlibInflateOptions?: InflateZlibOptions;
}

/** `DeflateOptions` checked and with defaults filled in. */
export interface DeflateConfig {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  readonly requireClientMaxWindowBits: boolean;
  /**
   * Whether the window options were given rather than defaulted: a client asks for a window only
   * when told to (the 12-bit defaults are a server's choice; see the README, On a client).
   */
  readonly windowBitsGiven: { readonly server: boolean; readonly client: boolean };
  readonly threshold: number;
  readonly concurrency: number;
  readonly syncLimit: number;
  readonly zlibDeflateOptions: DeflateZlibOptions;
  readonly zlibInflateOptions: InflateZlibOptions;
}

export const DEFAULT_THRESHOLD = 1024;
export const DEFAULT_CONCURRENCY = 10;
/**
 * A thread-pool round trip costs 10-25 µs of CPU on a busy core, a third of zlib's own work on a
 * 16 KiB JSON message; up to 32 KiB, doing the work at once holds the event loop for at most
 * about 0.12 ms of JSON or text and 0.7 ms of incompressible bytes (docs/profiles/deflate.md).
 */
export const DEFAULT_SYNC_LIMIT = 32 * 1024;
/** RFC 7692 §7.1.2: window bits range over 8-15; 15 (32 KiB) is what a peer assumes by default. */
export const MIN_WINDOW_BITS = 8;
export const MAX_WINDOW_BITS = 15;
/**
 * The defaults Python websockets chose: windows of 12 bits and memLevel 5 cost about half the
 * memory of zlib's defaults per connection with context takeover, for a few percent of ratio
 * (see the README's Memory section for the figures).
 */
export const DEFAULT_WINDOW_BITS = 12;
export const DEFAULT_MEM_LEVEL = 5;

const DEFLATE_KEYS: readonly string[] = ['level', 'memLevel', 'strategy', 'chunkSize'];
const INFLATE_KEYS: readonly string[] = ['chunkSize'];

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'serverNoContextTakeover',
  'clientNoContextTakeover',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
  'requireClientMaxWindowBits',
  'threshold',
  'concurrency',
  'syncLimit',
  'zlibDeflateOptions',
  'zlibInflateOptions',
]);

/** Checks options once, when the extension is built: misuse throws TypeError or RangeError. */
export function resolveOptions(options: DeflateOptions = {}): DeflateConfig {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('deflate options must be an object');
  }
  rejectUnknownOptions('deflate', options, KNOWN_KEYS);
  return {
    serverNoContextTakeover: flag(options.serverNoContextTakeover, 'serverNoContextTakeover'),
    clientNoContextTakeover: flag(options.clientNoContextTakeover, 'clientNoContextTakeover'),
    serverMaxWindowBits: windowBits(options.serverMaxWindowBits, 'serverMaxWindowBits'),
    clientMaxWindowBits: windowBits(options.clientMaxWindowBits, 'clientMaxWindowBits'),
    requireClientMaxWindowBits: flag(options.requireClientMaxWindowBits, 'requireClientMaxWindowBits'),
    windowBitsGiven: {
      server: options.serverMaxWindowBits !== undefined,
      client: options.clientMaxWindowBits !== undefined,
    },
    threshold: integer(options.threshold, 'threshold', DEFAULT_THRESHOLD, 0),
    concurrency: integer(options.concurrency, 'concurrency', DEFAULT_CONCURRENCY, 1),
    syncLimit: integer(options.syncLimit, 'syncLimit', DEFAULT_SYNC_LIMIT, 0),
    zlibDeflateOptions: {
      memLevel: DEFAULT_MEM_LEVEL,
      ...zlibOptions(options.zlibDeflateOptions, 'zlibDeflateOptions', DEFLATE_KEYS),
    },
    zlibInflateOptions: zlibOptions(options.zlibInflateOptions, 'zlibInflateOptions', INFLATE_KEYS),
  };
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
  return value;
}

function windowBits(value: unknown, name: string): number {
  if (value === undefined) return DEFAULT_WINDOW_BITS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_WINDOW_BITS || value > MAX_WINDOW_BITS) {
    throw new RangeError(`${name} must be an integer from ${MIN_WINDOW_BITS} to ${MAX_WINDOW_BITS}`);
  }
  return value;
}

function integer(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}`);
  }
  return value;
}

function zlibOptions<T extends object>(value: T | undefined, name: string, allowed: readonly string[]): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object') throw new TypeError(`${name} must be an object`);
  for (const key of Object.keys(value)) {
    // windowBits, flush and the like are the extension's to choose: a user value would break
    // the negotiated window or the 0x00 0x00 0xff 0xff framing of RFC 7692 §7.2.1.
    if (!allowed.includes(key)) throw new TypeError(`${name}.${key} is not supported (allowed: ${allowed.join(', ')})`);
  }
  return { ...value };
}
