import { heartbeat, type Heartbeat, type HeartbeatOptions } from '@ws/heartbeat';
import { type FakeConnection, FakeServer } from './helpers/fakes';

/**
 * The heartbeat's policy on jest's fake clock, with fake connections that record what the
 * plugin asked of them. The same behaviours are proven over real sockets in heartbeat.test.ts.
 */
function setup(options: HeartbeatOptions, connections = 1) {
  const server = new FakeServer();
  const instance: Heartbeat = heartbeat(options).attach(server.asServer());
  const peers: FakeConnection[] = [];
  for (let i = 0; i < connections; i++) {
    const peer = server.connect();
    peers.push(peer);
    instance.onConnection(peer.asConnection());
  }
  return { server, instance, peers };
}

const INTERVAL = 100; // 10 slots of 10 ms by default
const TICK = 10; // one slot, so a tick of the wheel

function totalPings(peers: FakeConnection[]): number {
  return peers.reduce((n, p) => n + p.pings.length, 0);
}

/** Advances the clock through one interval's 10 ticks; the pings sent on each. */
function pingsPerTick(peers: FakeConnection[]): number[] {
  const perTick: number[] = [];
  for (let t = 0; t < INTERVAL / TICK; t++) {
    const before = totalPings(peers);
    jest.advanceTimersByTime(TICK);
    perTick.push(totalPings(peers) - before);
  }
  return perTick;
}

describe('heartbeat scheduling', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.clearAllTimers();
    jest.useRealTimers();
  });

  it('spreads the first pings of a burst of connections evenly over the interval', () => {
    const { instance, peers } = setup({ interval: INTERVAL }, 100);
    expect(pingsPerTick(peers)).toEqual(Array(10).fill(10));
    expect(jest.getTimerCount()).toBe(1); // one timer for 100 connections
    instance.close();
  });

  it('leaves a connection the application closes while a ping is out to core: no timeout, no terminate', () => {
    const { server, instance, peers } = setup({ interval: INTERVAL });
    const [peer] = peers;
    const timeouts: unknown[] = [];
    server.on('heartbeatTimeout', (connection: unknown) => timeouts.push(connection));
    peer.on('heartbeat', () => peer.close(1000, 'bye'));
    jest.advanceTimersByTime(5 * INTERVAL);
    expect(peer.pings).toHaveLength(1);
    expect(peer.closes).toEqual([[1000, 'bye']]);
    expect(timeouts).toEqual([]);
    expect(peer.terminated).toBe(false);
    expect(instance.size).toBe(0);
    instance.close();
  });

  it('with a payload, only a pong that echoes it answers the ping', () => {
    const { server, instance, peers } = setup({ interval: INTERVAL, payload: 'hb' });
    const [peer] = peers;
    peer.on('heartbeat', () => server.emit('pong', peer, Buffer.from('other')));
    jest.advanceTimersByTime(3 * INTERVAL);
    expect(peer.closes).toEqual([[1011, 'heartbeat timeout']]);
    instance.close();
  });

  it('pings an answering connection once per interval, with the configured payload', () => {
    const { instance, peers } = setup({ interval: INTERVAL, payload: 'hb' });
    const [peer] = peers;
    peer.on('heartbeat', () => peer.answer());
    jest.advanceTimersByTime(10 * INTERVAL);
    expect(peer.pings).toHaveLength(10);
    expect(peer.pings.every((p) => p.toString() === 'hb')).toBe(true);
    expect(peer.closes).toEqual([]);
    instance.close();
  });

  it('emits heartbeat on the connection and the server for every ping sent', () => {
    const { server, instance, peers } = setup({ interval: INTERVAL });
    const [peer] = peers;
    const onServer: unknown[] = [];
    const onConnection: Buffer[] = [];
    server.on('heartbeat', (connection: unknown) => onServer.push(connection));
    peer.on('heartbeat', (payload: Buffer) => {
      onConnection.push(payload);
      peer.answer();
    });
    jest.advanceTimersByTime(3 * INTERVAL);
    expect(onConnection).toHaveLength(3);
    expect(onServer).toEqual([peer, peer, peer]);
    instance.close();
  });

  describe('a connection that does not answer', () => {
    it.each([
      // interval, timeout, slots: closed no later than interval + timeout
      [100, undefined, undefined],
      [100, 30, undefined],
      [100, 250, undefined],
      [100, 100, 1],
    ])('interval %i, timeout %p: one ping, then close(1011) within interval + timeout', (interval, timeout, slots) => {
      const { server, instance, peers } = setup({ interval, timeout, slots });
      const [peer] = peers;
      const timeouts: unknown[] = [];
      server.on('heartbeatTimeout', (c: unknown) => timeouts.push(c));
      peer.on('heartbeatTimeout', () => timeouts.push('connection'));
      let pingedAt = -1;
      peer.on('heartbeat', () => (pingedAt = Date.now()));
      const start = Date.now();
      let closedAt = -1;
      while (closedAt < 0 && Date.now() - start < 10 * interval) {
        jest.advanceTimersByTime(1);
        if (peer.closes.length > 0) closedAt = Date.now();
      }
      expect(peer.pings).toHaveLength(1);
      expect(peer.closes).toEqual([[1011, 'heartbeat timeout']]);
      expect(closedAt - pingedAt).toBeGreaterThanOrEqual(timeout ?? interval); // never early
      expect(closedAt - start).toBeLessThanOrEqual(interval + (timeout ?? interval));
      expect(timeouts).toEqual(['connection', peer]);
      instance.close();
    });

    it('is closed with the configured code and reason', () => {
      const { instance, peers } = setup({ interval: INTERVAL, closeCode: 4000, closeReason: 'no pong' });
      jest.advanceTimersByTime(2 * INTERVAL);
      expect(peers[0].closes).toEqual([[4000, 'no pong']]);
      instance.close();
    });

    it('is terminated when the close handshake has not finished a timeout later', () => {
      const { instance, peers } = setup({ interval: INTERVAL, timeout: 50 });
      const [peer] = peers;
      jest.advanceTimersByTime(60); // first ping at 10 ms, dead at 60 ms
      expect(peer.closes).toHaveLength(1);
      expect(peer.terminated).toBe(false);
      jest.advanceTimersByTime(50);
      expect(peer.terminated).toBe(true);
      expect(instance.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('is not terminated when it closes in time', () => {
      const { instance, peers } = setup({ interval: INTERVAL, timeout: 50 });
      const [peer] = peers;
      jest.advanceTimersByTime(60);
      expect(peer.closes).toHaveLength(1);
      instance.onDisconnect(peer.asConnection());
      jest.advanceTimersByTime(10 * INTERVAL);
      expect(peer.terminated).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  it('with a timeout longer than the interval, pings every interval while answered', () => {
    const { instance, peers } = setup({ interval: INTERVAL, timeout: 5 * INTERVAL });
    const [peer] = peers;
    peer.on('heartbeat', () => peer.answer());
    jest.advanceTimersByTime(6 * INTERVAL);
    expect(peer.pings).toHaveLength(6);
    instance.close();
  });

  it('does not ping a connection that is already closing for another reason', () => {
    const { instance, peers } = setup({ interval: INTERVAL });
    const [peer] = peers;
    peer.isOpen = false;
    jest.advanceTimersByTime(5 * INTERVAL);
    expect(peer.pings).toEqual([]);
    expect(peer.closes).toEqual([]);
    instance.close();
  });

  describe('countActivity', () => {
    it.each([
      [true, 0],
      [false, 10],
    ])('countActivity: %p → a chatty connection gets %i pings in 10 intervals', (countActivity, pings) => {
      const { instance, peers } = setup({ interval: INTERVAL, countActivity });
      const [peer] = peers;
      peer.on('heartbeat', () => peer.answer());
      for (let t = 0; t < 10 * INTERVAL; t += 20) {
        peer.talk();
        jest.advanceTimersByTime(20);
      }
      expect(peer.pings).toHaveLength(pings);
      expect(peer.closes).toEqual([]);
      instance.close();
    });

    it('counts a message after the ping as the answer', () => {
      const { instance, peers } = setup({ interval: INTERVAL, countActivity: true });
      const [peer] = peers;
      peer.on('heartbeat', () => peer.talk()); // never a pong
      jest.advanceTimersByTime(10 * INTERVAL);
      expect(peer.pings.length).toBeGreaterThanOrEqual(9);
      expect(peer.closes).toEqual([]);
      instance.close();
    });

    it('without it, messages do not replace the pong', () => {
      const { instance, peers } = setup({ interval: INTERVAL });
      const [peer] = peers;
      peer.on('heartbeat', () => peer.talk());
      jest.advanceTimersByTime(3 * INTERVAL);
      expect(peer.closes).toEqual([[1011, 'heartbeat timeout']]);
      instance.close();
    });

    it('pings again an interval after the chatter stops', () => {
      const { instance, peers } = setup({ interval: INTERVAL, countActivity: true });
      const [peer] = peers;
      peer.on('heartbeat', () => peer.answer());
      for (let t = 0; t < 3 * INTERVAL; t += 20) {
        peer.talk();
        jest.advanceTimersByTime(20);
      }
      expect(peer.pings).toEqual([]);
      jest.advanceTimersByTime(INTERVAL + INTERVAL / 2); // the first turn a whole interval later
      expect(peer.pings).toHaveLength(1);
      instance.close();
    });

    it('still pings an idle connection once per interval: the pong answering a ping is not activity', () => {
      const { instance, peers } = setup({ interval: INTERVAL, countActivity: true });
      const [peer] = peers;
      peer.on('heartbeat', () => setTimeout(() => peer.answer(), 25)); // a few ticks later
      jest.advanceTimersByTime(12 * INTERVAL);
      expect(peer.pings.length).toBeGreaterThanOrEqual(10); // the handshake counts: first ping after one interval
      expect(peer.pings.length).toBeLessThanOrEqual(11);
      instance.close();
    });

    it('counts an unsolicited pong (RFC 6455 §5.5.3) as a sign of life', () => {
      const { instance, peers } = setup({ interval: INTERVAL, countActivity: true });
      const [peer] = peers;
      for (let t = 0; t < 10 * INTERVAL; t += 30) {
        peer.answer(); // nobody asked
        jest.advanceTimersByTime(30);
      }
      expect(peer.pings).toEqual([]);
      instance.close();
    });

    it('keeps pings spread when every connection goes quiet at the same moment', () => {
      const { instance, peers } = setup({ interval: INTERVAL, countActivity: true }, 100);
      for (const peer of peers) peer.on('heartbeat', () => peer.answer());
      jest.advanceTimersByTime(35);
      for (const peer of peers) peer.talk(); // say, everyone answers a broadcast
      jest.advanceTimersByTime(INTERVAL);
      expect(pingsPerTick(peers)).toEqual(Array(10).fill(10));
      instance.close();
    });
  });

  describe('latency', () => {
    it('is emitted on the connection and the server when a pong answers the ping', () => {
      const { server, instance, peers } = setup({ interval: INTERVAL });
      const [peer] = peers;
      const seen: Array<[unknown, number]> = [];
      server.on('latency', (c: unknown, ms: number) => seen.push([c, ms]));
      peer.on('latency', (ms: number) => seen.push(['connection', ms]));
      peer.on('heartbeat', () => peer.answer(7));
      jest.advanceTimersByTime(INTERVAL);
      expect(seen).toEqual([
        ['connection', 7],
        [peer, 7],
      ]);
      instance.close();
    });

    it('is not emitted for a pong nobody asked for', () => {
      const { server, instance, peers } = setup({ interval: INTERVAL });
      const seen: number[] = [];
      server.on('latency', (_c: unknown, ms: number) => seen.push(ms));
      peers[0].answer(3); // before any ping
      expect(seen).toEqual([]);
      instance.close();
    });
  });

  describe('lifecycle', () => {
    it('a disconnected connection is forgotten: no more pings, and no timer once none is left', () => {
      const { instance, peers } = setup({ interval: INTERVAL }, 3);
      for (const peer of peers) peer.on('heartbeat', () => peer.answer());
      jest.advanceTimersByTime(INTERVAL);
      const [gone, ...rest] = peers;
      instance.onDisconnect(gone.asConnection());
      expect(instance.size).toBe(2);
      jest.advanceTimersByTime(3 * INTERVAL);
      expect(gone.pings).toHaveLength(1);
      expect(rest.map((p) => p.pings.length)).toEqual([4, 4]);
      for (const peer of rest) instance.onDisconnect(peer.asConnection());
      expect(instance.isRunning).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
      instance.close();
    });

    it('starts its timer with the first connection', () => {
      const server = new FakeServer();
      const instance = heartbeat({ interval: INTERVAL }).attach(server.asServer());
      expect(instance.isRunning).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
      instance.onConnection(server.connect().asConnection());
      expect(instance.isRunning).toBe(true);
      instance.close();
    });

    it('close() stops the timer, removes its server listeners and ignores later connections', () => {
      const { server, instance, peers } = setup({ interval: INTERVAL, countActivity: true }, 5);
      expect(server.listenerCount('pong')).toBe(1);
      expect(server.listenerCount('message')).toBe(1);
      instance.close();
      instance.close(); // idempotent
      expect(jest.getTimerCount()).toBe(0);
      expect(['pong', 'message', 'ping'].map((e) => server.listenerCount(e))).toEqual([0, 0, 0]);
      instance.onConnection(server.connect().asConnection());
      expect(instance.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(10 * INTERVAL);
      expect(peers.every((p) => p.pings.length === 0)).toBe(true);
    });

    it('a listener that closes the server during a tick leaves nothing running', () => {
      const { server, instance, peers } = setup({ interval: INTERVAL }, 10);
      server.on('heartbeat', () => instance.close());
      jest.advanceTimersByTime(5 * INTERVAL);
      expect(totalPings(peers)).toBe(1);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
