/** Why messages were not handed to Redis (the `dropped` event's `reason`). */
export type DropReason =
  /** Pub/sub mode: published while the connection to Redis was down. */
  | 'disconnected'
  /** Pub/sub mode: sent, but the connection broke before Redis confirmed it; it may or may not have been delivered. */
  | 'unconfirmed'
  /** Streams mode: the local buffer was full (bufferMessages or bufferBytes). */
  | 'buffer-full'
  /** Streams mode: Redis refused the XADD (out of memory, a key of another type): reported on `error` too. */
  | 'rejected'
  /** The adapter closed with messages still waiting for Redis. */
  | 'closed';

/** The `dropped` event's argument: counts since the previous report of the same reason. */
export interface DropReport {
  /** Why these messages were dropped; one report per reason. */
  reason: DropReason;
  /** Messages not sent (or not confirmed). */
  messages: number;
  /** Their payload bytes. */
  bytes: number;
}

/**
 * Counts drops and reports them once per turn of the event loop and reason, so an outage under
 * load gives a few events with counts rather than one per message.
 */
export class DropCounter {
  private readonly counts = new Map<DropReason, DropReport>();
  private scheduled = false;

  constructor(private readonly report: (report: DropReport) => void) {}

  add(reason: DropReason, messages: number, bytes: number): void {
    if (messages === 0) return;
    const entry = this.counts.get(reason);
    if (entry === undefined) this.counts.set(reason, { reason, messages, bytes });
    else {
      entry.messages += messages;
      entry.bytes += bytes;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Reports what was counted now (also called at close, so nothing counted goes unreported). */
  flush(): void {
    this.scheduled = false;
    const reports = [...this.counts.values()];
    this.counts.clear();
    for (const report of reports) this.report(report);
  }
}
