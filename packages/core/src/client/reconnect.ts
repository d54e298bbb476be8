import EventEmitter from 'eventemitter3';
import type { Connection } from '../server/connection';
import { rejectUnknownOptions } from '../server/option-keys';
import { connect } from './connect';
import { resolveClientOptions, type ClientOptions } from './options';
import { parseTarget } from './target';

/**
 * A client connection that comes back: `reconnecting(url, options)` connects, and whenever the
 * connection closes or an attempt fails, tries again after an exponential backoff with full
 * jitter, until `close()` or `maxAttempts` failures in a row.
 *
 *   connect ─ok─▶ open(connection) ─…─▶ close(code) ─┐
 *      ▲  └fail─▶ error(err) ───────────────────────┤ attempt(n, delay): wait delay
 *      └───────────────────────────────────────────┘ (n > maxAttempts: end)
 *
 * Full jitter (a uniformly random delay between 0 and the exponential bound) spreads the
 * reconnects of many clients cut off at the same moment (a server restart) instead of sending
 * them back in waves.
 */

/** Options of `reconnecting()`. Every field is optional. */
export interface ReconnectOptions {
  /** Bound of the first retry's delay in ms; each further retry doubles it (`factor`). Default 1000. */
  readonly minDelay?: number;
  /** Cap on the delay bound, in ms. Default 30000. */
  readonly maxDelay?: number;
  /** How much the bound grows per retry. Default 2. */
  readonly factor?: number;
  /** Attempts in a row without an open connection before giving up (`end`). Default: unlimited. */
  readonly maxAttempts?: number;
  /** Options of every `connect()` call, checked here. Aborting their `signal` is `close()`. */
  readonly connectOptions?: ClientOptions;
}

/** Events of a {@link Reconnecting}. */
export interface ReconnectEvents {
  /**
   * Attempt number `attempt` (counted from 1 again after each open connection) will start in
   * `delay` ms (0 for the very first one).
   */
  attempt: (attempt: number, delay: number) => void;
  /** A connection is open; it is also `reconnecting.connection` until it closes. */
  open: (connection: Connection) => void;
  /** The open connection closed; a new attempt follows unless `close()` was called. */
  close: (code: number, reason: string, wasClean: boolean) => void;
  /** An attempt failed (its connect() rejected) or the open connection failed. */
  error: (error: Error) => void;
  /** No more attempts: `close()` was called, or `maxAttempts` failed in a row. */
  end: (reason: 'closed' | 'maxAttempts') => void;
}

const DEFAULT_MIN_DELAY = 1000;
const DEFAULT_MAX_DELAY = 30000;
const DEFAULT_FACTOR = 2;
/** setTimeout turns anything larger into 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const KNOWN_KEYS: ReadonlySet<string> = new Set(['minDelay', 'maxDelay', 'factor', 'maxAttempts', 'connectOptions']);

/**
 * The delay before retry `retry` (1-based), in whole ms: uniformly random in [0, min(maxDelay,
 * minDelay * factor^(retry-1))] ("full jitter"). `random` returns a number in [0, 1).
 */
export function backoffDelay(
  retry: number,
  minDelay: number,
  maxDelay: number,
  factor: number,
  random: () => number = Math.random,
): number {
  // Whole ms, so the random pick below cannot round past the bound.
  const bound = Math.floor(Math.min(maxDelay, minDelay * factor ** (retry - 1)));
  return Math.floor(random() * (bound + 1));
}

/** Connects to `url` and reconnects whenever the connection is lost; see {@link Reconnecting}. */
export function reconnecting(url: string | URL, options: ReconnectOptions = {}): Reconnecting {
  return new Reconnecting(url, options);
}

/** A connection kept up by reconnecting (what {@link reconnecting} returns). */
export class Reconnecting extends EventEmitter<ReconnectEvents> {
  /** The URL every attempt connects to. */
  readonly url: string | URL;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly factor: number;
  private readonly maxAttempts: number;
  private readonly connectOptions: ClientOptions;
  private current: Connection | null = null;
  /** Attempts since the last open connection. */
  private attempts = 0;
  /** Retries since the last open connection: the exponent of the backoff. */
  private retries = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Aborts the attempt in flight, when `close()` is called during its handshake. */
  private inFlight: AbortController | null = null;
  private stopped = false;
  private closeCode: number | undefined;
  private closeReason: string | undefined;

  constructor(url: string | URL, options: ReconnectOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('reconnect options must be an object');
    rejectUnknownOptions('reconnecting', options, KNOWN_KEYS);
    this.url = url;
    this.minDelay = delayOption(options.minDelay, 'minDelay', DEFAULT_MIN_DELAY);
    this.maxDelay = delayOption(options.maxDelay, 'maxDelay', DEFAULT_MAX_DELAY);
    if (this.maxDelay < this.minDelay) throw new RangeError('maxDelay must be at least minDelay');
    const factor = options.factor ?? DEFAULT_FACTOR;
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
      throw new RangeError('factor must be a finite number of at least 1');
    }
    this.factor = factor;
    const maxAttempts = options.maxAttempts ?? Infinity;
    if (maxAttempts !== Infinity && (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1)) {
      throw new RangeError('maxAttempts must be a positive integer or Infinity');
    }
    this.maxAttempts = maxAttempts;
    // A bad URL or option would fail every attempt alike: refuse it now, as connect() would.
    const connectOptions = options.connectOptions ?? {};
    parseTarget(url, resolveClientOptions(connectOptions).socketPath);
    this.connectOptions = connectOptions;
    // An aborted signal would abort every later attempt too: it stops the whole helper.
    connectOptions.signal?.addEventListener('abort', () => this.close(), { once: true });
    // The first attempt waits a microtask so listeners added right after construction hear it.
    queueMicrotask(() => this.schedule(0));
  }

  /** The open connection, or null between connections. */
  get connection(): Connection | null {
    return this.current;
  }

  /** Whether attempts have stopped for good (`close()` or `maxAttempts`). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Stops reconnecting: a pending attempt is cancelled, one in flight is aborted, and the open
   * connection is closed with `code` and `reason` (default 1000). Idempotent.
   */
  close(code?: number, reason?: string): void {
    if (this.stopped) return;
    this.closeCode = code;
    this.closeReason = reason;
    this.end('closed');
    this.inFlight?.abort();
    if (this.current !== null) this.current.close(code, reason);
  }

  private end(reason: 'closed' | 'maxAttempts'): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.emit('end', reason);
  }

  /** Schedules the next attempt, `delay` ms from now, or gives up after maxAttempts. */
  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.attempts >= this.maxAttempts) {
      this.end('maxAttempts');
      return;
    }
    this.attempts++;
    this.timer = setTimeout(attemptNow, delay, this);
    this.emit('attempt', this.attempts, delay);
  }

  /** @internal The timer fired: connect. */
  attempt(): void {
    this.timer = null;
    if (this.stopped) return;
    const controller = new AbortController();
    this.inFlight = controller;
    const own = this.connectOptions.signal;
    const signal = own === undefined ? controller.signal : AbortSignal.any([own, controller.signal]);
    connect(this.url, { ...this.connectOptions, signal }).then(
      (connection) => {
        this.inFlight = null;
        this.opened(connection);
      },
      (error: unknown) => {
        this.inFlight = null;
        // Not `instanceof Error`: Node's errors may come from another realm (a vm context, jest).
        this.failed(typeof error === 'object' && error !== null ? (error as Error) : new Error(String(error)));
      },
    );
  }

  private opened(connection: Connection): void {
    if (this.stopped) {
      // close() was called while this attempt was in flight.
      connection.close(this.closeCode, this.closeReason);
      return;
    }
    this.attempts = 0;
    this.retries = 0;
    this.current = connection;
    connection.on('error', (error) => this.emit('error', error));
    connection.once('close', (code, reason, wasClean) => {
      this.current = null;
      this.emit('close', code, reason, wasClean);
      this.retry();
    });
    this.emit('open', connection);
  }

  private failed(error: Error): void {
    if (this.stopped) return;
    this.emit('error', error);
    this.retry();
  }

  private retry(): void {
    if (this.stopped) return;
    this.retries++;
    this.schedule(backoffDelay(this.retries, this.minDelay, this.maxDelay, this.factor));
  }
}

function attemptNow(reconnecting: Reconnecting): void {
  reconnecting.attempt();
}

function delayOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new RangeError(`${name} must be an integer number of ms from 0 to ${MAX_TIMER_MS}`);
  }
  return value;
}
