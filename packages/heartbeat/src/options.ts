import { CloseCode, isValidWireCloseCode, rejectUnknownOptions } from '@ws/core';

/** Options of `heartbeat()`. Every field is optional; see the README's options table. */
export interface HeartbeatOptions {
  /** Milliseconds between two pings to the same connection. Default 5000 (the seed's 5 s). */
  interval?: number;
  /** Milliseconds a ping may stay unanswered before the connection is judged dead. Default: `interval`. */
  timeout?: number;
  /** Application data of every ping, at most 125 bytes (RFC 6455 §5.5). Default: empty. */
  payload?: string | Uint8Array;
  /** Count any incoming message, ping or pong as a sign of life, so busy connections are not pinged. Default `false`. */
  countActivity?: boolean;
  /** Close code sent to a dead connection. Default 1011 (see the README for why). */
  closeCode?: number;
  /** Close reason sent to a dead connection, at most 123 bytes of UTF-8. Default `'heartbeat timeout'`. */
  closeReason?: string;
  /** Ticks the interval is cut into; each connection is pinged on one of them. Default: ticks of `interval / 32`, kept within 10-50 ms. */
  slots?: number;
}

/** The options after validation, with every default applied and times converted to ticks. */
export interface ResolvedHeartbeatOptions {
  /** Milliseconds between two pings to one connection. */
  readonly interval: number;
  /** Milliseconds a ping may stay unanswered. */
  readonly timeout: number;
  /** The payload of every ping (a copy of the option). */
  readonly payload: Buffer;
  /** Whether any message, ping or unsolicited pong counts as a sign of life. */
  readonly countActivity: boolean;
  /** Close code sent to a dead connection. */
  readonly closeCode: number;
  /** Close reason sent with it. */
  readonly closeReason: string;
  /** Ticks the interval is cut into. */
  readonly slots: number;
  /** Length of one tick of the timer wheel, in whole milliseconds. */
  readonly tickMs: number;
  /** `interval` in ticks (at least 1). */
  readonly intervalTicks: number;
  /** `timeout` in ticks, rounded up so a peer never gets less than `timeout` (at least 1). */
  readonly timeoutTicks: number;
}

/** Default `interval`: 5 s, the seed's `ping_interval`. */
export const DEFAULT_INTERVAL = 5000;
/** RFC 6455 §7.4.1: 1011, the server can no longer serve this connection. Why not 1002: README. */
export const DEFAULT_CLOSE_CODE: number = CloseCode.InternalError;
/** Default `closeReason`. */
export const DEFAULT_CLOSE_REASON = 'heartbeat timeout';
/**
 * By default an interval is cut into 32 ticks, kept between 10 ms (shorter ticks cost wake-ups
 * without making detection meaningfully sharper) and 50 ms (longer ones pile more connections
 * into each tick: with 50,000 connections and a 5 s interval, 500 pings per tick).
 */
const DEFAULT_SLOTS = 32;
const MIN_TICK_MS = 10;
const MAX_TICK_MS = 50;
/** setTimeout/setInterval clamp anything larger to 1 ms, which would turn a typo into a ping storm. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** RFC 6455 §5.5: control frame payloads are at most 125 bytes. */
const MAX_PING_PAYLOAD = 125;
/** RFC 6455 §5.5.1: 125 bytes less the 2-byte status code. */
const MAX_CLOSE_REASON = 123;

const KNOWN_KEYS = new Set(['interval', 'timeout', 'payload', 'countActivity', 'closeCode', 'closeReason', 'slots']);

/**
 * Validates `options` and applies the defaults. Throws a TypeError or RangeError naming the
 * option, so a bad configuration fails when the server is built, not on the first ping.
 */
export function resolveOptions(options: HeartbeatOptions = {}): ResolvedHeartbeatOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('heartbeat: options must be an object');
  }
  rejectUnknownOptions('heartbeat', options, KNOWN_KEYS);

  const interval = milliseconds('interval', options.interval, DEFAULT_INTERVAL);
  const timeout = milliseconds('timeout', options.timeout, interval);
  const payload = pingPayload(options.payload);
  const countActivity = flag('countActivity', options.countActivity, false);
  const closeCode = wireCloseCode(options.closeCode);
  const closeReason = reason(options.closeReason);
  const slots = slotCount(options.slots, interval);

  const tickMs = Math.max(1, Math.round(interval / slots));
  const intervalTicks = Math.max(1, Math.round(interval / tickMs));
  const timeoutTicks = Math.max(1, Math.ceil(timeout / tickMs));
  return {
    interval,
    timeout,
    payload,
    countActivity,
    closeCode,
    closeReason,
    slots,
    tickMs,
    intervalTicks,
    timeoutTicks,
  };
}

function milliseconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`heartbeat: ${name} must be a number of milliseconds`);
  }
  if (!(value >= 1 && value <= MAX_TIMER_MS)) {
    throw new RangeError(`heartbeat: ${name} must be between 1 and ${MAX_TIMER_MS} ms, got ${value}`);
  }
  return value;
}

function pingPayload(value: unknown): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  // Copied, so a caller mutating its buffer later cannot change what is on the wire.
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else throw new TypeError('heartbeat: payload must be a string or a Buffer');
  if (bytes.length > MAX_PING_PAYLOAD) {
    throw new RangeError(
      `heartbeat: payload is ${bytes.length} bytes; a ping carries at most ${MAX_PING_PAYLOAD} (RFC 6455 §5.5)`,
    );
  }
  return bytes;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`heartbeat: ${name} must be a boolean`);
  return value;
}

function wireCloseCode(value: unknown): number {
  if (value === undefined) return DEFAULT_CLOSE_CODE;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError('heartbeat: closeCode must be an integer');
  }
  // RFC 6455 §7.4.1-2: 1004-1006 and 1015 are reserved, 1016-2999 unassigned. The core's
  // `close()` would refuse them too, but only when the first connection dies.
  if (!isValidWireCloseCode(value))
    throw new RangeError(`heartbeat: closeCode ${value} may not be sent in a close frame`);
  return value;
}

function reason(value: unknown): string {
  if (value === undefined) return DEFAULT_CLOSE_REASON;
  if (typeof value !== 'string') throw new TypeError('heartbeat: closeReason must be a string');
  const bytes = Buffer.from(value, 'utf8');
  // A lone surrogate would be sent as U+FFFD, which is not what the caller wrote.
  if (bytes.toString('utf8') !== value) {
    throw new RangeError('heartbeat: closeReason must be well-formed Unicode');
  }
  if (bytes.length > MAX_CLOSE_REASON) {
    throw new RangeError(
      `heartbeat: closeReason is ${bytes.length} bytes of UTF-8; at most ${MAX_CLOSE_REASON} fit (RFC 6455 §5.5.1)`,
    );
  }
  return value;
}

function slotCount(value: unknown, interval: number): number {
  if (value === undefined) {
    const tick = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, interval / DEFAULT_SLOTS));
    return Math.max(1, Math.round(interval / tick));
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError('heartbeat: slots must be an integer');
  }
  if (value < 1 || value > interval) {
    throw new RangeError(`heartbeat: slots must be between 1 and interval (${interval}), got ${value}`);
  }
  return value;
}
