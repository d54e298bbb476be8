/**
 * Redis failures, in both modes, against real processes: Redis stopped (local delivery goes on,
 * nothing crashes, even with no `error` listener), Redis killed and started again on the same
 * port (the adapter reconnects and resubscribes by itself; in streams mode what was published
 * meanwhile is delivered after), Redis absent at start-up, and `server.close()` during an outage.
 */
import { type Client, join, RedisNode, sleep, until, type Received } from './helpers/nodes';
import { describeWithRedis, freePort, RedisServer } from './helpers/redis-server';

jest.setTimeout(120_000);

/** The indices each publisher's messages arrived with, in arrival order. */
function byPublisher(received: Received[]): Record<string, number[]> {
  const result: Record<string, number[]> = {};
  for (const { data } of received) {
    const [publisher, index] = data.split(':');
    (result[publisher] ??= []).push(Number(index));
  }
  return result;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

function strictlyIncreasing(values: number[]): boolean {
  return values.every((value, i) => i === 0 || value > values[i - 1]);
}

describeWithRedis('@ws/redis when Redis fails', () => {
  describe.each(['pubsub', 'streams'] as const)('mode %s', (mode) => {
    let nodes: RedisNode[] = [];
    const clients: Client[] = [];

    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
    });

    /** Nodes without an `error` listener: a Redis failure must not crash them. */
    async function startNodes(count: number, url: string): Promise<RedisNode[]> {
      nodes = Array.from({ length: count }, () => new RedisNode({ url, mode }, { listenErrors: false }));
      return Promise.all(nodes.map((node) => node.start()));
    }

    function stopNodes(): void {
      for (const node of nodes.splice(0)) node.kill();
    }

    const joinNode = (node: RedisNode, topics: string[]) => join(node, topics, clients);

    const connected = async (node: RedisNode) => (await node.stats()).connected;

    describe('two processes, Redis killed and started again', () => {
      let redis: RedisServer;
      let a: RedisNode;
      let b: RedisNode;

      beforeAll(async () => {
        redis = await new RedisServer().start();
        [a, b] = await startNodes(2, redis.url);
      });

      // Each test starts with Redis up and both processes connected (a publish before that is,
      // correctly, dropped in pub/sub mode).
      beforeEach(async () => {
        if (!redis.isRunning) await redis.start(redis.port);
        await Promise.all([a.connected(), b.connected()]);
      });

      afterAll(async () => {
        stopNodes();
        await redis.dispose();
      });

      test('stopped: local delivery goes on; restarted: it reconnects and resubscribes by itself', async () => {
        const onA = await joinNode(a, ['f']);
        const onB = await joinNode(b, ['f']);
        await Promise.all([a.subscribed('f'), b.subscribed('f')]);
        await a.publish({ topic: 'f', publisher: 'A', count: 10 });
        await until(() => onA.received.length === 10 && onB.received.length === 10, 'delivery before the outage');

        await redis.kill();
        await until(async () => !(await connected(a)) && !(await connected(b)), 'both nodes to see Redis gone');
        await a.publish({ topic: 'f', publisher: 'A', from: 10, count: 20 });
        // Local subscribers are served directly, Redis or not.
        await until(() => onA.received.length === 30, 'local delivery during the outage');
        // A topic first subscribed while Redis is away is subscribed once it is back.
        const lateOnB = await joinNode(b, ['g']);
        await sleep(1500); // several failed reconnects, each an error nobody listens to
        expect(a.isAlive && b.isAlive).toBe(true);
        if (mode === 'pubsub') {
          // At most once: what could not be sent is reported, with counts.
          await until(
            async () => (await a.stats()).dropped.some((report) => report.reason === 'disconnected'),
            'a drop report',
          );
          const dropped = (await a.stats()).dropped.filter((report) => report.reason === 'disconnected');
          expect(dropped.reduce((sum, report) => sum + report.messages, 0)).toBe(20);
          expect(onB.received.length).toBe(10);
        }

        await redis.start(redis.port);
        await until(async () => (await connected(a)) && (await connected(b)), 'both nodes to reconnect', 30_000);
        expect((await a.stats()).events.reconnect).toBeGreaterThanOrEqual(1);
        await b.subscribed('g');
        await a.publish({ topic: 'f', publisher: 'A', from: 30, count: 10 });
        await b.publish({ topic: 'f', publisher: 'B', count: 10 });
        await a.publish({ topic: 'g', publisher: 'G', count: 3 });

        const expectedOnB = mode === 'streams' ? range(0, 40) : [...range(0, 10), ...range(30, 40)];
        await until(() => onB.received.length >= expectedOnB.length + 10, 'delivery after the restart');
        await until(() => onA.received.length >= 50 && lateOnB.received.length >= 3, 'the rest');
        await sleep(300);
        expect(byPublisher(onB.received)).toEqual({ A: expectedOnB, B: range(0, 10) });
        expect(byPublisher(onA.received)).toEqual({ A: range(0, 40), B: range(0, 10) });
        expect(byPublisher(lateOnB.received)).toEqual({ G: range(0, 3) });
        if (mode === 'streams') expect((await b.stats()).events.reset).toBeGreaterThanOrEqual(1);
      });

      test('killed and restarted while a process publishes steadily', async () => {
        const onB = await joinNode(b, ['steady']);
        await b.subscribed('steady');
        const droppedSoFar = async () => (await a.stats()).dropped.reduce((sum, report) => sum + report.messages, 0);
        const droppedBefore = await droppedSoFar(); // a is shared with the test before
        const batches = 60;
        for (let batch = 0; batch < batches; batch++) {
          await a.publish({ topic: 'steady', publisher: 'A', from: batch * 10, count: 10, binaryEvery: 7 });
          if (batch === 15) await redis.kill();
          if (batch === 30) await redis.start(redis.port);
          await sleep(25);
        }
        await until(async () => (await connected(a)) && (await connected(b)), 'both nodes to reconnect', 30_000);
        // Published once everything is back: always delivered.
        await a.publish({ topic: 'steady', publisher: 'A', from: batches * 10, count: 10, binaryEvery: 7 });
        const total = batches * 10 + 10;
        if (mode === 'streams') {
          // Exactly once, in order, including what was published while Redis was away.
          await until(() => onB.received.length >= total, `all ${total} messages`, 30_000);
          await sleep(300);
          expect(byPublisher(onB.received).A).toEqual(range(0, total));
        } else {
          await until(() => onB.received.some((message) => message.data === `A:${total - 1}`), 'the last message');
          await sleep(300);
          const indices = byPublisher(onB.received).A;
          // At most once and in order: gaps, never a duplicate or a reordering.
          expect(strictlyIncreasing(indices)).toBe(true);
          expect(indices.slice(-10)).toEqual(range(total - 10, total));
          expect(indices.slice(0, 100)).toEqual(range(0, 100));
          const dropped = (await droppedSoFar()) - droppedBefore;
          expect(dropped).toBeGreaterThan(0);
          expect(indices.length + dropped).toBeLessThanOrEqual(total);
        }
        // Binary stayed binary through the outage.
        for (const message of onB.received) expect(message.text).toBe(Number(message.data.split(':')[1]) % 7 !== 0);
      });

      if (mode === 'streams') {
        test('past the local buffer, publishes are dropped and reported; the rest arrive in order', async () => {
          const small = new RedisNode({ url: redis.url, mode, bufferMessages: 20 }, { listenErrors: false });
          nodes.push(small);
          await small.start();
          await small.connected();
          const onB = await joinNode(b, ['bounded']);
          await b.subscribed('bounded');
          await redis.kill();
          await until(async () => !(await connected(small)), 'the node to see Redis gone');
          await small.publish({ topic: 'bounded', publisher: 'S', count: 50 });
          await until(async () => (await small.stats()).dropped.length > 0, 'a drop report');
          expect((await small.stats()).dropped).toEqual([{ reason: 'buffer-full', messages: 30, bytes: 30 * 4 }]);
          await redis.start(redis.port);
          await until(() => onB.received.length >= 20, 'the 20 buffered messages', 30_000);
          await sleep(300);
          expect(byPublisher(onB.received)).toEqual({ S: range(0, 20) });
          expect(small.isAlive).toBe(true);
        });
      }

      test('server.close() during an outage still lets the process exit', async () => {
        await joinNode(a, ['x']);
        await a.subscribed('x');
        await redis.kill();
        await until(async () => !(await connected(a)), 'the node to see Redis gone');
        await a.publish({ topic: 'x', publisher: 'A', count: 3 });
        expect(await a.close()).toBe(0);
      });
    });

    describe('Redis absent at start-up', () => {
      afterAll(stopNodes);

      test('started while Redis is down: serves locally, connects once Redis comes', async () => {
        const port = await freePort();
        const [a, b] = await startNodes(2, `redis://127.0.0.1:${port}`);
        const onA = await joinNode(a, ['late']);
        const onB = await joinNode(b, ['late']);
        await a.publish({ topic: 'late', publisher: 'A', count: 5 });
        await until(() => onA.received.length === 5, 'local delivery without Redis');
        await sleep(1000);
        expect(a.isAlive && b.isAlive).toBe(true);
        const late = new RedisServer();
        try {
          await late.start(port);
          await Promise.all([a.subscribed('late'), b.subscribed('late')]);
          // Subscribed is the subscriber connection; a publishes on its other one, which may still
          // be waiting out its reconnect delay (a publish meanwhile is dropped as 'disconnected').
          await until(() => connected(a), 'a to be connected to Redis');
          await a.publish({ topic: 'late', publisher: 'A', from: 5, count: 5 });
          await until(() => onB.received.some((message) => message.data === 'A:9'), 'delivery once Redis is up');
          await sleep(300);
          // What was published after both subscriptions were in place arrives, once each, in order. What
          // a published before (buffered, in streams mode) reaches b only if it was flushed after b
          // learned the stream's position: a topic first subscribed while Redis is away starts at the
          // stream's end once Redis is back (README).
          const indices = byPublisher(onB.received).A;
          expect(strictlyIncreasing(indices)).toBe(true);
          expect(indices.slice(-5)).toEqual(range(5, 10));
          if (mode === 'pubsub') expect(indices).toEqual(range(5, 10));
        } finally {
          await late.dispose();
        }
      });
    });
  });
});
