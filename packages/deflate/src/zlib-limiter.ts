/**
 * A process-wide cap on zlib operations in flight on the thread pool (those over `syncLimit`;
 * smaller ones run on the main thread, one at a time, and need no slot).
 *
 * Why: each compression or decompression there runs with its own input and output buffers.
 * Thousands of connections compressing at once (a broadcast to every client, say) would start thousands of operations together, and the memory they hold at once, plus
 * the heap fragmentation it leaves behind, grows with the number of connections rather than
 * with the work the pool can actually do (the failure reported against `ws` in
 * websockets/ws#1369, which its `lib/limiter.js` answers the same way). Capping the operations
 * and queueing the rest keeps that memory proportional to the cap; the thread pool (4 threads
 * by default) could not run more at once anyway.
 *
 * The queue is an intrusive linked list through the tasks themselves: queueing allocates
 * nothing, and each connection side is queued at most once at a time.
 */

export interface LimiterTask {
  /** The link to the next queued task; owned by the limiter. */
  nextTask: LimiterTask | null;
  /** Starts the work. The task must call `release()` exactly once when it is over. */
  run(): void;
}

export class ZlibLimiter {
  readonly concurrency: number;
  private active = 0;
  private waiting = 0;
  private head: LimiterTask | null = null;
  private tail: LimiterTask | null = null;
  private draining = false;

  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }

  /** Operations holding a slot. */
  get running(): number {
    return this.active;
  }

  /** Operations waiting for a slot. */
  get pending(): number {
    return this.waiting;
  }

  /** Runs the task now if a slot is free (synchronously), or once one frees up. */
  enqueue(task: LimiterTask): void {
    task.nextTask = null;
    if (this.tail === null) this.head = task;
    else this.tail.nextTask = task;
    this.tail = task;
    this.waiting++;
    this.drain();
  }

  /** Frees the slot of a task that has finished (or been abandoned). */
  release(): void {
    if (this.active > 0) this.active--;
    this.drain();
  }

  private drain(): void {
    // A task may release synchronously from run() (a connection disposed while it waited):
    // the loop, not recursion, starts the next one, so a long queue cannot overflow the stack.
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.active < this.concurrency && this.head !== null) {
        const task = this.head;
        this.head = task.nextTask;
        if (this.head === null) this.tail = null;
        task.nextTask = null;
        this.waiting--;
        this.active++;
        task.run();
      }
    } finally {
      this.draining = false;
    }
  }
}

const shared = new Map<number, ZlibLimiter>();

/**
 * The limiter shared by every `deflate()` instance in the process configured with the same
 * `concurrency`: servers that agree on the cap share one queue.
 */
export function sharedLimiter(concurrency: number): ZlibLimiter {
  let limiter = shared.get(concurrency);
  if (limiter === undefined) {
    limiter = new ZlibLimiter(concurrency);
    shared.set(concurrency, limiter);
  }
  return limiter;
}
