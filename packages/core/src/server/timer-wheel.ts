/**
 * A hashed timer wheel: one `setInterval` for any number of deadlines, O(1) to schedule, move or
 * cancel, nothing allocated per deadline. Time is counted in ticks, not read from the clock.
 *
 *   tick:     ... 41   42   43   44 ...        `now` advances by one per timer firing
 *   slot:          1    2    3    0           slot = due % slots (here 4)
 *                  |    |
 *                entry entry <-> entry        intrusive doubly-linked list per slot
 *
 * An entry due more than `slots` ticks ahead sits in its slot for several turns; each visit puts it
 * back until its tick comes (the "rounds" of a hashed wheel). Counting ticks rather than reading
 * the clock means that if the event loop stalls, every deadline stalls with it: a peer is never
 * blamed for the time this process could not read its answer. A wheel made with `followClock`
 * instead catches up with the clock when its timer fires late (one clock read per tick, none per
 * entry), for deadlines that must hold in wall time however loaded the process is.
 */

const UNSCHEDULED = -1;

/** Links of one entry. Extend it: the wheel keeps its bookkeeping inside the entry itself. */
export class WheelEntry {
  /** @internal */ wheelNext: WheelEntry | null = null;
  /** @internal */ wheelPrev: WheelEntry | null = null;
  /** @internal Index of the list holding the entry: a slot, PENDING, or UNSCHEDULED. */
  wheelList = UNSCHEDULED;
  /** The tick at which the entry is due, valid while it is scheduled. */
  wheelDue = 0;

  /** Whether the entry is waiting in a wheel. */
  get isScheduled(): boolean {
    return this.wheelList !== UNSCHEDULED;
  }
}

/**
 * The timer wheel described at the top of this module: entries are {@link WheelEntry} objects, due
 * callbacks run per tick.
 */
export class TimerWheel<T extends WheelEntry> {
  /** Milliseconds per tick. */
  readonly tickMs: number;
  /** Number of slots; entries due within `slots` ticks are visited exactly once. */
  readonly slots: number;

  private readonly onDue: (entry: T) => void;
  /** One list head per slot, plus one at index `slots` for the slot being processed. */
  private readonly heads: (WheelEntry | null)[];
  private readonly pending: number;
  private timer: NodeJS.Timeout | null = null;
  private tickCount = 0;
  private readonly followClock: boolean;
  /** With `followClock`: the clock reading at which tick 0 was (virtually) due. */
  private epoch = 0;
  private entries = 0;
  private closed = false;

  /**
   * `onDue(entry)` runs when an entry's tick comes; the entry is unscheduled by then and may be
   * scheduled again from inside the callback. With `followClock`, a late timer turns the wheel
   * as many ticks as the clock says have passed.
   */
  constructor(tickMs: number, slots: number, onDue: (entry: T) => void, options: { followClock?: boolean } = {}) {
    if (!(Number.isInteger(tickMs) && tickMs >= 1)) throw new RangeError('tickMs must be a positive integer');
    if (!(Number.isInteger(slots) && slots >= 1)) throw new RangeError('slots must be a positive integer');
    this.tickMs = tickMs;
    this.slots = slots;
    this.onDue = onDue;
    this.heads = new Array<WheelEntry | null>(slots + 1).fill(null);
    this.pending = slots;
    this.followClock = options.followClock === true;
  }

  /** The current tick: how many times the wheel has turned. */
  get now(): number {
    return this.tickCount;
  }

  /** How many entries are scheduled. */
  get size(): number {
    return this.entries;
  }

  /** Whether the wheel's timer exists. It runs only while entries are scheduled. */
  get isRunning(): boolean {
    return this.timer !== null;
  }

  /**
   * Schedules `entry` to be due `ticks` ticks from now (at least 1); moves it if already scheduled.
   * A no-op once the wheel is closed: a callback may close it and then reschedule its own entry.
   */
  schedule(entry: T, ticks: number): void {
    if (this.closed) return;
    if (!(Number.isInteger(ticks) && ticks >= 1))
      throw new RangeError(`ticks must be a positive integer, got ${ticks}`);
    if (entry.wheelList !== UNSCHEDULED) this.unlink(entry);
    else this.entries += 1;
    // Following the clock: ticks the late timer has yet to turn are not part of the wait.
    if (this.followClock && this.timer !== null) ticks += Math.max(0, this.ticksByClock() - this.tickCount);
    entry.wheelDue = this.tickCount + ticks;
    this.link(entry, entry.wheelDue % this.slots);
    if (this.timer === null) this.start();
  }

  /** Removes `entry` from the wheel; a no-op if it is not scheduled. */
  cancel(entry: T): void {
    if (entry.wheelList === UNSCHEDULED) return;
    this.unlink(entry);
    entry.wheelList = UNSCHEDULED;
    this.entries -= 1;
    if (this.entries === 0) this.stop();
  }

  /** Stops the timer and forgets every entry. The wheel cannot be used afterwards. */
  close(): void {
    this.closed = true;
    this.stop();
    for (let i = 0; i < this.heads.length; i++) {
      let entry = this.heads[i];
      this.heads[i] = null;
      while (entry !== null) {
        const next = entry.wheelNext;
        entry.wheelNext = entry.wheelPrev = null;
        entry.wheelList = UNSCHEDULED;
        entry = next;
      }
    }
    this.entries = 0;
  }

  /**
   * Turns the wheel by one tick and runs `onDue` for every entry now due. Called by the timer;
   * public so that a test can turn the wheel by hand.
   */
  tick(): void {
    const now = ++this.tickCount;
    const slot = now % this.slots;
    // Move the slot's list aside first: a callback may schedule into this same slot (an entry
    // `slots` ticks ahead) or cancel any entry, including ones not yet visited.
    let entry = this.heads[slot];
    this.heads[slot] = null;
    this.heads[this.pending] = entry;
    for (; entry !== null; entry = entry.wheelNext) entry.wheelList = this.pending;

    try {
      while ((entry = this.heads[this.pending]) !== null) {
        this.unlink(entry);
        if (entry.wheelDue > now) {
          this.link(entry, slot); // not yet: another turn of the wheel
        } else {
          entry.wheelList = UNSCHEDULED;
          this.entries -= 1;
          this.onDue(entry as T);
        }
      }
    } finally {
      // A throwing callback (user code in an event listener) is not swallowed, but the entries it
      // left unvisited must not be lost: those already due come back on the next tick, the others
      // keep their deadline (they may be whole turns of the wheel away).
      while ((entry = this.heads[this.pending]) !== null) {
        this.unlink(entry);
        if (entry.wheelDue > now) {
          this.link(entry, entry.wheelDue % this.slots);
        } else {
          entry.wheelDue = now + 1;
          this.link(entry, (now + 1) % this.slots);
        }
      }
      if (this.entries === 0) this.stop();
    }
  }

  /** @internal The timer fired: one tick, or with `followClock` as many as have passed. */
  turn(): void {
    if (!this.followClock) {
      this.tick();
      return;
    }
    const due = this.ticksByClock();
    // At least one: a timer may fire a fraction of a millisecond before the clock says so.
    do this.tick();
    while (this.tickCount < due && this.timer !== null);
  }

  private ticksByClock(): number {
    return Math.floor((performance.now() - this.epoch) / this.tickMs);
  }

  private start(): void {
    this.epoch = performance.now() - this.tickCount * this.tickMs;
    // One timer for the whole wheel; unref'd, so deadlines alone never keep a process alive.
    this.timer = setInterval(turn, this.tickMs, this);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  private link(entry: WheelEntry, list: number): void {
    const head = this.heads[list];
    entry.wheelPrev = null;
    entry.wheelNext = head;
    if (head !== null) head.wheelPrev = entry;
    this.heads[list] = entry;
    entry.wheelList = list;
  }

  private unlink(entry: WheelEntry): void {
    const { wheelPrev: prev, wheelNext: next } = entry;
    if (prev !== null) prev.wheelNext = next;
    else this.heads[entry.wheelList] = next;
    if (next !== null) next.wheelPrev = prev;
    entry.wheelNext = entry.wheelPrev = null;
  }
}

/** The timer's callback: module-level, so the timer holds no closure. */
function turn(wheel: { turn(): void }): void {
  wheel.turn();
}
