import { ZlibLimiter, sharedLimiter, type LimiterTask } from '../src/zlib-limiter';

/** A task that records when it ran and releases when told. */
class Task implements LimiterTask {
  nextTask: LimiterTask | null = null;
  started = false;
  constructor(
    private readonly limiter: ZlibLimiter,
    private readonly log: string[],
    private readonly name: string,
    private readonly releaseAtOnce = false,
  ) {}
  run(): void {
    this.started = true;
    this.log.push(this.name);
    if (this.releaseAtOnce) this.limiter.release();
  }
  finish(): void {
    this.limiter.release();
  }
}

describe('ZlibLimiter', () => {
  it('runs at once while slots are free', () => {
    const limiter = new ZlibLimiter(2);
    const log: string[] = [];
    for (const name of ['t0', 't1']) limiter.enqueue(new Task(limiter, log, name));
    expect(log).toEqual(['t0', 't1']);
    expect(limiter.running).toBe(2);
    expect(limiter.pending).toBe(0);
  });

  it('queues past the cap and starts the next as a slot frees, in order', () => {
    const limiter = new ZlibLimiter(2);
    const log: string[] = [];
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((name) => new Task(limiter, log, name));
    for (const task of tasks) limiter.enqueue(task);
    expect(log).toEqual(['a', 'b']);
    expect(limiter.pending).toBe(3);
    tasks[1].finish();
    expect(log).toEqual(['a', 'b', 'c']);
    tasks[0].finish();
    tasks[2].finish();
    expect(log).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(limiter.running).toBe(2);
    expect(limiter.pending).toBe(0);
    tasks[3].finish();
    tasks[4].finish();
    expect(limiter.running).toBe(0);
  });

  it('drains a long queue of tasks that release synchronously without recursion', () => {
    const limiter = new ZlibLimiter(1);
    const log: string[] = [];
    const blocker = new Task(limiter, log, 'blocker');
    limiter.enqueue(blocker);
    for (let i = 0; i < 100_000; i++) limiter.enqueue(new Task(limiter, log, 'quick', true));
    expect(limiter.pending).toBe(100_000);
    blocker.finish();
    expect(log.length).toBe(100_001);
    expect(limiter.running).toBe(0);
    expect(limiter.pending).toBe(0);
  });

  it('a task may be queued again after it ran', () => {
    const limiter = new ZlibLimiter(1);
    const log: string[] = [];
    const task = new Task(limiter, log, 'again', true);
    limiter.enqueue(task);
    limiter.enqueue(task);
    expect(log).toEqual(['again', 'again']);
    expect(limiter.running).toBe(0);
  });

  it('shares one limiter per concurrency value across the process', () => {
    expect(sharedLimiter(3)).toBe(sharedLimiter(3));
    expect(sharedLimiter(3)).not.toBe(sharedLimiter(4));
    expect(sharedLimiter(4).concurrency).toBe(4);
  });
});
