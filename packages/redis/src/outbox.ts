/**
 * Streams mode's local buffer of publishes, in publish order, bounded by count and bytes:
 *
 *   head                                                        tail
 *   [ acknowledged (kept for replay) | in flight | not sent yet ]
 *
 * - While Redis is away, publishes wait here and are sent in order once it is back.
 * - A broken connection moves what was in flight back to "not sent" (it is sent again: receivers
 *   drop the duplicates by sequence).
 * - After a Redis reset (restart without persistence) everything kept, acknowledged included, is
 *   sent again: entries Redis confirmed but lost before every reader had read them come back.
 * - When full, the oldest acknowledged entries make room; when there are none, the new publish
 *   is refused (the caller reports it).
 */

export interface OutboxEntry {
  readonly key: string;
  readonly message: Buffer;
  /** Payload bytes, for drop reports. */
  readonly bytes: number;
}

export class Outbox {
  private entries: OutboxEntry[] = [];
  private head = 0;
  private acknowledged = 0;
  private inFlight = 0;
  private heldBytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** Entries held, acknowledged ones included. */
  get size(): number {
    return this.entries.length - this.head;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Entries Redis has not confirmed (in flight or not sent). */
  get unconfirmed(): number {
    return this.size - this.acknowledged;
  }

  /** Appends `entry`; false (and nothing kept) when the bounds leave no room. */
  push(entry: OutboxEntry): boolean {
    const length = entry.message.length;
    while (this.acknowledged > 0 && (this.size >= this.maxMessages || this.heldBytes + length > this.maxBytes)) {
      this.shift();
    }
    if (this.size >= this.maxMessages || this.heldBytes + length > this.maxBytes) return false;
    this.entries.push(entry);
    this.heldBytes += length;
    return true;
  }

  /** The next entry to send, now counted as in flight; undefined when all are sent. */
  next(): OutboxEntry | undefined {
    const index = this.head + this.acknowledged + this.inFlight;
    if (index >= this.entries.length) return undefined;
    this.inFlight++;
    return this.entries[index];
  }

  /** Redis confirmed the oldest entry in flight (replies come in order). */
  acknowledge(): void {
    if (this.inFlight === 0) return;
    this.inFlight--;
    this.acknowledged++;
  }

  /** The connection broke: what was in flight is to be sent again. */
  rewindInFlight(): void {
    this.inFlight = 0;
  }

  /** Redis lost its data: everything kept is to be sent again. */
  rewindAll(): void {
    this.inFlight = 0;
    this.acknowledged = 0;
  }

  /** Removes the unconfirmed entries and returns their count and payload bytes. */
  clearUnconfirmed(): { messages: number; bytes: number } {
    let bytes = 0;
    const start = this.head + this.acknowledged;
    for (let i = start; i < this.entries.length; i++) bytes += this.entries[i].bytes;
    const messages = this.entries.length - start;
    this.entries.length = start;
    this.inFlight = 0;
    this.recount();
    return { messages, bytes };
  }

  private shift(): void {
    this.heldBytes -= this.entries[this.head].message.length;
    this.head++;
    this.acknowledged--;
    // Drop the consumed prefix now and then rather than shifting the array each time.
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private recount(): void {
    let bytes = 0;
    for (let i = this.head; i < this.entries.length; i++) bytes += this.entries[i].message.length;
    this.heldBytes = bytes;
  }
}
