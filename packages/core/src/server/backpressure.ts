import { CloseCode } from '../protocol/constants';
import { utf8Length } from '../protocol/text-codec';

/**
 * Outbound backpressure: how much one connection may hold unsent, decided in one place.
 * Every message the application sends (`send`, and `sendFrames` under `broadcast` and `publish`)
 * passes `admit()` once, before anything is queued:
 *
 *   bufferedAmount + size ≤ sendHighWaterMark   → 'accepted'      queue it; send more
 *   bufferedAmount + size ≤ maxBufferedAmount   → 'backpressure'  queue it; wait for 'drain'
 *   (or nothing queued yet: one message of any size may go to an idle connection)
 *   otherwise                                   → 'dropped'       not queued; the policy applies
 *
 * The policy for a dropped message is `backpressure`: 'close' (the default) also closes the
 * connection with 1013, 'drop' keeps it open. Either way the message is reported (`dropped`
 * event, its callback's error) and never held, so the server's memory stays bounded by
 * `maxBufferedAmount` per connection. Control frames (pongs, pings, the close frame) are not
 * admitted here: they are at most 127 bytes, and the pongs a peer can provoke are bounded by
 * reading pausing at `readPauseThreshold`.
 */

/** What `send` did with a message. */
export const SendStatus = {
  /** Queued, and the connection is below its high-water mark: send more. */
  Accepted: 'accepted',
  /** Queued, but past the high-water mark: wait for `drain` before sending more. */
  Backpressure: 'backpressure',
  /** Not queued: the connection is at `maxBufferedAmount` (see the `backpressure` option). */
  Dropped: 'dropped',
  /** Not queued: the connection is closing or closed. */
  NotOpen: 'not-open',
} as const;

export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/** What happens to a message that would take a connection past `maxBufferedAmount`. */
export type BackpressurePolicy = 'close' | 'drop';

export interface BackpressureLimits {
  readonly maxBufferedAmount: number;
  readonly sendHighWaterMark: number;
  readonly policy: BackpressurePolicy;
  /**
   * Socket bytes the peer has not read past which we stop reading from it (half the limit, at
   * most 4 MiB): what reading provokes (pongs, echoes from a `message` listener) cannot fill
   * the rest on its own, and a peer flooding pings is bounded even with no limit (Infinity).
   */
  readonly readPauseThreshold: number;
}

/**
 * 8 MiB: a healthy peer on a slow link (10 Mbit/s drains it in about 7 s) or one behind a burst of
 * broadcasts stays connected; reading pauses at half of it, the 4 MiB the echo path always had.
 */
export const DEFAULT_MAX_BUFFERED_AMOUNT = 8 * 1024 * 1024;
const MAX_READ_PAUSE_THRESHOLD = DEFAULT_MAX_BUFFERED_AMOUNT / 2;
/** 1 MiB: far above one message in the common case, and a producer that waits here leaves headroom. */
export const DEFAULT_SEND_HIGH_WATER_MARK = 1024 * 1024;

/**
 * 1013 (Try Again Later, IANA registry): the server is casting off a client for a condition of
 * the moment (it could not keep up with what was sent), not for anything the client sent, which
 * is what 1008 (Policy Violation) reports. A client may reconnect, with backoff.
 */
export const BACKPRESSURE_CLOSE_CODE = CloseCode.TryAgainLater;
// Neutral on the cause: a slow reader, or (with extensions) a server that encodes slower than it sends.
export const BACKPRESSURE_CLOSE_REASON = 'send buffer full';

export function resolveBackpressure(
  maxBufferedAmount: number,
  sendHighWaterMark: number | undefined,
  policy: BackpressurePolicy,
): BackpressureLimits {
  const mark = sendHighWaterMark ?? Math.min(DEFAULT_SEND_HIGH_WATER_MARK, maxBufferedAmount / 2);
  if (mark > maxBufferedAmount) {
    throw new RangeError(`option sendHighWaterMark (${mark}) must not exceed maxBufferedAmount (${maxBufferedAmount})`);
  }
  return {
    maxBufferedAmount,
    sendHighWaterMark: mark,
    policy,
    readPauseThreshold: Math.min(maxBufferedAmount / 2, MAX_READ_PAUSE_THRESHOLD),
  };
}

/** Whether a message of `size` bytes may join the `buffered` bytes a connection holds. */
export function admit(limits: BackpressureLimits, buffered: number, size: number): SendStatus {
  const after = buffered + size;
  if (after <= limits.sendHighWaterMark) return SendStatus.Accepted; // the common case: one comparison
  if (after <= limits.maxBufferedAmount || buffered === 0) return SendStatus.Backpressure;
  return SendStatus.Dropped;
}

/** `admit` for a string, whose UTF-8 length is measured only near the mark (3 bytes a unit at most). */
export function admitText(limits: BackpressureLimits, buffered: number, text: string): SendStatus {
  if (buffered + text.length * 3 <= limits.sendHighWaterMark) return SendStatus.Accepted;
  return admit(limits, buffered, utf8Length(text));
}

/** Bytes in frames built for many connections (usually one or two buffers). */
export function byteLengthOf(frames: readonly Buffer[]): number {
  let total = 0;
  for (let i = 0; i < frames.length; i++) total += frames[i].length;
  return total;
}

/** The error a dropped message's callback gets. */
export class BackpressureError extends Error {
  /** A stable identifier, like {@link WebSocketError.code}. */
  readonly code = 'WS_ERR_BACKPRESSURE';

  constructor(
    /** The dropped message's size in bytes. */
    readonly byteLength: number,
    /** What the connection held when it was dropped. */
    readonly bufferedAmount: number,
    limit: number,
  ) {
    super(`message of ${byteLength} bytes dropped: ${bufferedAmount} bytes are unsent and the limit is ${limit}`);
    this.name = 'BackpressureError';
  }
}
