/**
 * Streams mode's guard against delivering an entry twice: per topic, the highest sequence seen
 * from each origin. An origin's sequence only grows within a topic's stream, so anything at or
 * below it is a resend (after a broken connection) or a re-read (after a Redis reset) and is
 * skipped.
 */

/** Origins remembered per topic; past it the least recently inserted is forgotten. */
export const MAX_ORIGINS_PER_TOPIC = 1024;

export class Dedupe {
  private readonly topics = new Map<string, Map<string, number>>();

  /** Whether the entry (`origin`, `sequence`) on `topic` is new; if so it is remembered. */
  accept(topic: string, origin: Buffer, sequence: number): boolean {
    let seen = this.topics.get(topic);
    if (seen === undefined) {
      seen = new Map();
      this.topics.set(topic, seen);
    }
    const key = origin.toString('latin1');
    const last = seen.get(key);
    if (last !== undefined && sequence <= last) return false;
    seen.set(key, sequence);
    if (last === undefined && seen.size > MAX_ORIGINS_PER_TOPIC) {
      // Publishers come and go (each process start is a new origin): bound the memory.
      seen.delete(seen.keys().next().value as string);
    }
    return true;
  }

  /** The topic has no local subscribers any more. */
  forget(topic: string): void {
    this.topics.delete(topic);
  }
}
