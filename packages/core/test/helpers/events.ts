/**
 * Waiting for events without hanging a test: every wait has a deadline, and a `Recorder` keeps
 * events that fired before anyone waited for them (sockets are fast; a late `once` misses).
 */

/** Anything with Node-style listeners: Node's EventEmitter, eventemitter3, ws. */
export interface Listenable {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

export const DEFAULT_WAIT_MS = 3000;

/** Rejects after `ms` unless `promise` settles first; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` until true, or rejects after `ms`. */
export async function until(predicate: () => boolean, what: string, ms = DEFAULT_WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await delay(5);
  }
}

/**
 * Polls `count` until it reaches `target`; rejects once it has not grown for `stallMs`. For a
 * stream that a loaded machine may slow down but must never stop.
 */
export async function untilCounted(count: () => number, target: number, what: string, stallMs: number): Promise<void> {
  let last = count();
  let lastChange = Date.now();
  while (last < target) {
    await delay(5);
    const now = count();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(`stalled for ${stallMs} ms at ${last} of ${target}: ${what}`);
    }
  }
}

/** Records every emission of the named events, in order. */
export class Recorder {
  readonly log: Array<{ event: string; args: any[] }> = [];
  private readonly waiters: Array<{ event: string; seen: number; resolve: (args: any[]) => void }> = [];

  constructor(emitter: Listenable, events: readonly string[]) {
    for (const event of events) {
      emitter.on(event, (...args: any[]) => {
        this.log.push({ event, args });
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          const waiter = this.waiters[i];
          if (waiter.event === event && this.all(event).length > waiter.seen) {
            this.waiters.splice(i, 1);
            waiter.resolve(this.all(event)[waiter.seen]);
          }
        }
      });
    }
  }

  /** The argument lists of every recorded `event`. */
  all(event: string): any[][] {
    return this.log.filter((entry) => entry.event === event).map((entry) => entry.args);
  }

  count(event: string): number {
    return this.all(event).length;
  }

  /** The arguments of the `index`-th `event` (0-based), now or when it happens. */
  nth(event: string, index = 0, ms = DEFAULT_WAIT_MS): Promise<any[]> {
    const seen = this.all(event);
    if (seen.length > index) return Promise.resolve(seen[index]);
    return withTimeout(
      new Promise<any[]>((resolve) => this.waiters.push({ event, seen: index, resolve })),
      ms,
      `event '${event}' #${index + 1}`,
    );
  }
}
