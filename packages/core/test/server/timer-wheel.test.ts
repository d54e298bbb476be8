import { TimerWheel, WheelEntry } from '@ws/core';

class Item extends WheelEntry {
  constructor(readonly name: string) {
    super();
  }
}

/** A wheel on jest's fake clock that records which entry fired on which tick. */
function recordingWheel(slots: number, tickMs = 10) {
  const fired: Array<[string, number]> = [];
  const wheel: TimerWheel<Item> = new TimerWheel<Item>(tickMs, slots, (item) => {
    fired.push([item.name, wheel.now]);
  });
  const advance = (ticks: number) => jest.advanceTimersByTime(ticks * tickMs);
  return { wheel, fired, advance };
}

describe('TimerWheel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.clearAllTimers();
    jest.useRealTimers();
  });

  describe('an entry fires on exactly its tick', () => {
    it.each([
      // slots, ticks ahead
      [8, 1],
      [8, 7],
      [8, 8], // lands in the slot being processed one turn later
      [8, 9],
      [8, 27], // three turns of the wheel
      [1, 1],
      [1, 5],
    ])('with %i slots, %i ticks ahead', (slots, ticks) => {
      const { wheel, fired, advance } = recordingWheel(slots);
      wheel.schedule(new Item('a'), ticks);
      advance(ticks - 1);
      expect(fired).toEqual([]);
      advance(1);
      expect(fired).toEqual([['a', ticks]]);
    });
  });

  it('runs on the real timer every tickMs, one timer for every entry', () => {
    const { wheel, fired, advance } = recordingWheel(4, 25);
    for (let i = 1; i <= 100; i++) wheel.schedule(new Item(`e${i}`), 1 + (i % 4));
    expect(jest.getTimerCount()).toBe(1);
    expect(wheel.isRunning).toBe(true);
    advance(4);
    expect(fired).toHaveLength(100);
  });

  it('spreads entries by tick: each tick fires only its own slot', () => {
    const { wheel, fired, advance } = recordingWheel(5);
    for (let i = 0; i < 50; i++) wheel.schedule(new Item(String(i)), 1 + (i % 5));
    const perTick: number[] = [];
    for (let t = 0; t < 5; t++) {
      const before = fired.length;
      advance(1);
      perTick.push(fired.length - before);
    }
    expect(perTick).toEqual([10, 10, 10, 10, 10]);
  });

  it('schedule() on a scheduled entry moves it', () => {
    const { wheel, fired, advance } = recordingWheel(8);
    const a = new Item('a');
    wheel.schedule(a, 2);
    wheel.schedule(a, 5);
    expect(wheel.size).toBe(1);
    advance(4);
    expect(fired).toEqual([]);
    advance(1);
    expect(fired).toEqual([['a', 5]]);
  });

  it('an entry rescheduled from its own callback fires again', () => {
    const fired: number[] = [];
    const wheel: TimerWheel<Item> = new TimerWheel<Item>(10, 4, (item) => {
      fired.push(wheel.now);
      if (fired.length < 3) wheel.schedule(item, 4); // same slot as the one being processed
    });
    wheel.schedule(new Item('a'), 4);
    jest.advanceTimersByTime(200);
    expect(fired).toEqual([4, 8, 12]);
    expect(wheel.isRunning).toBe(false);
  });

  describe('cancel()', () => {
    it('removes the entry: it never fires', () => {
      const { wheel, fired, advance } = recordingWheel(4);
      const a = new Item('a');
      const b = new Item('b');
      wheel.schedule(a, 2);
      wheel.schedule(b, 2);
      wheel.cancel(a);
      expect(a.isScheduled).toBe(false);
      expect(wheel.size).toBe(1);
      advance(10);
      expect(fired).toEqual([['b', 2]]);
    });

    it('stops the timer when the last entry goes', () => {
      const { wheel } = recordingWheel(4);
      const a = new Item('a');
      wheel.schedule(a, 3);
      expect(jest.getTimerCount()).toBe(1);
      wheel.cancel(a);
      expect(wheel.isRunning).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('of an entry not scheduled is a no-op', () => {
      const { wheel } = recordingWheel(4);
      const a = new Item('a');
      wheel.schedule(new Item('b'), 1);
      wheel.cancel(a);
      wheel.cancel(a);
      expect(wheel.size).toBe(1);
    });

    it('from a callback, of an entry due on the same tick, keeps it from firing', () => {
      const items = [new Item('a'), new Item('b'), new Item('c')];
      const fired: string[] = [];
      const wheel: TimerWheel<Item> = new TimerWheel<Item>(10, 4, (item) => {
        fired.push(item.name);
        for (const other of items) if (other !== item) wheel.cancel(other);
      });
      for (const item of items) wheel.schedule(item, 1);
      jest.advanceTimersByTime(100);
      expect(fired).toHaveLength(1);
      expect(wheel.size).toBe(0);
    });
  });

  it('stops its timer once every entry has fired', () => {
    const { wheel, advance } = recordingWheel(4);
    wheel.schedule(new Item('a'), 1);
    wheel.schedule(new Item('b'), 6);
    advance(6);
    expect(wheel.size).toBe(0);
    expect(wheel.isRunning).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a throwing callback is not swallowed, and the entries it left fire on the next tick', () => {
    const fired: string[] = [];
    const wheel = new TimerWheel<Item>(10, 4, (item) => {
      fired.push(item.name);
      if (item.name === 'boom' && fired.length === 1) throw new Error('listener failed');
    });
    const names = ['x', 'y', 'boom']; // linked at the head: fired in reverse order
    for (const name of names) wheel.schedule(new Item(name), 1);
    expect(() => wheel.tick()).toThrow('listener failed');
    expect(fired).toEqual(['boom']);
    expect(wheel.size).toBe(2);
    wheel.tick();
    expect(fired.sort()).toEqual(['boom', 'x', 'y']);
    wheel.close();
  });

  it('entries a throwing callback left unvisited keep a deadline turns of the wheel away', () => {
    const fired: Array<[string, number]> = [];
    const wheel: TimerWheel<Item> = new TimerWheel<Item>(10, 4, (item) => {
      fired.push([item.name, wheel.now]);
      if (item.name === 'A') throw new Error('listener failed');
    });
    wheel.schedule(new Item('B'), 9); // slot 1, two turns away
    wheel.schedule(new Item('A'), 1); // slot 1 too, linked ahead of B
    expect(() => wheel.tick()).toThrow('listener failed');
    for (let t = 2; t <= 9; t++) wheel.tick();
    expect(fired).toEqual([
      ['A', 1],
      ['B', 9],
    ]);
    wheel.close();
  });

  describe('close()', () => {
    it('leaves no timer and unschedules every entry', () => {
      const { wheel, fired, advance } = recordingWheel(4);
      const items = [new Item('a'), new Item('b'), new Item('c')];
      items.forEach((item, i) => wheel.schedule(item, i + 1));
      wheel.close();
      expect(jest.getTimerCount()).toBe(0);
      expect(wheel.size).toBe(0);
      expect(items.map((item) => item.isScheduled)).toEqual([false, false, false]);
      advance(10);
      expect(fired).toEqual([]);
    });

    it('makes later schedule() calls no-ops', () => {
      const { wheel } = recordingWheel(4);
      wheel.close();
      wheel.schedule(new Item('a'), 1);
      expect(wheel.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('from inside a callback ends the tick', () => {
      const fired: string[] = [];
      const wheel = new TimerWheel<Item>(10, 4, (item) => {
        fired.push(item.name);
        wheel.close();
        wheel.schedule(item, 1);
      });
      wheel.schedule(new Item('a'), 1);
      wheel.schedule(new Item('b'), 1);
      jest.advanceTimersByTime(100);
      expect(fired).toHaveLength(1);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('rejects', () => {
    it.each([0, -1, 1.5, NaN])('ticks = %p', (ticks) => {
      const { wheel } = recordingWheel(4);
      expect(() => wheel.schedule(new Item('a'), ticks)).toThrow(RangeError);
      expect(wheel.size).toBe(0);
    });

    it.each([
      [0, 4],
      [10, 0],
      [2.5, 4],
    ])('tickMs = %p, slots = %p', (tickMs, slots) => {
      expect(() => new TimerWheel<Item>(tickMs, slots, () => undefined)).toThrow(RangeError);
    });
  });
});

describe('TimerWheel on real time', () => {
  it('does not keep the process alive: its timer is unref()ed', () => {
    const countTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = countTimers();
    const wheel = new TimerWheel<Item>(10, 4, () => undefined);
    wheel.schedule(new Item('a'), 2);
    try {
      expect(wheel.isRunning).toBe(true);
      expect(countTimers()).toBe(before);
    } finally {
      wheel.close();
    }
  });

  it('fires on a short real interval', async () => {
    const fired: number[] = [];
    const start = performance.now();
    const wheel = new TimerWheel<Item>(10, 5, () => fired.push(performance.now() - start));
    wheel.schedule(new Item('a'), 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    wheel.close();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(29); // three ticks of 10 ms, never early
  });
});

describe('TimerWheel following the clock', () => {
  /** Blocks the event loop, as a burst of work on a loaded process would. */
  const stall = (ms: number): void => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  const firstFiring = (fired: number[]): Promise<void> =>
    new Promise((resolve) => {
      const poll = setInterval(() => {
        if (fired.length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });

  it.each([
    [true, 400, 600], // due during the stall: fires as soon as the loop is free
    [false, 680, Infinity], // counting ticks: the stall is added to the wait
  ])(
    'followClock %p: a 300 ms deadline with a 400 ms stall fires after %d ms, before %d',
    async (followClock, atLeast, below) => {
      const fired: number[] = [];
      const start = performance.now();
      const wheel = new TimerWheel<Item>(10, 8, () => fired.push(performance.now() - start), { followClock });
      try {
        wheel.schedule(new Item('a'), 30);
        stall(400);
        await firstFiring(fired);
        expect(fired[0]).toBeGreaterThanOrEqual(atLeast);
        expect(fired[0]).toBeLessThan(below);
      } finally {
        wheel.close();
      }
    },
  );

  it('a deadline set while the timer is overdue is not cut short by the catching up', async () => {
    const fired: number[] = [];
    const wheel = new TimerWheel<Item>(10, 8, (item) => item.name === 'b' && fired.push(performance.now() - setAt), {
      followClock: true,
    });
    let setAt = 0;
    try {
      wheel.schedule(new Item('a'), 50); // keeps the timer running
      stall(200); // the timer is now 20 ticks behind
      setAt = performance.now();
      wheel.schedule(new Item('b'), 10);
      await firstFiring(fired);
      expect(fired[0]).toBeGreaterThanOrEqual(90); // ten ticks of 10 ms from when it was set
    } finally {
      wheel.close();
    }
  });
});
