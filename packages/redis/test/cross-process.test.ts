/**
 * Three server processes on one real Redis, `ws` clients on each: every publish, from any
 * process, reaches every subscriber exactly once, in the order its publisher published, text as
 * text and binary as binary; in both modes.
 */
import { Redis } from 'ioredis';
import { checkExactlyOnce, type Client, join, RedisNode, sleep, until } from './helpers/nodes';
import { describeWithRedis, RedisServer } from './helpers/redis-server';

jest.setTimeout(90_000);

describeWithRedis('@ws/redis across three processes', () => {
  let redis: RedisServer;
  let inspector: Redis;

  beforeAll(async () => {
    redis = await new RedisServer().start();
    inspector = new Redis(redis.url);
  });

  afterAll(async () => {
    inspector?.disconnect();
    await redis?.dispose();
  });

  describe.each(['pubsub', 'streams'] as const)('mode %s', (mode) => {
    const prefix = `cross-${mode}:`;
    let nodes: RedisNode[] = [];
    const clients: Client[] = [];

    beforeAll(async () => {
      nodes = [0, 1, 2].map(() => new RedisNode({ url: redis.url, mode, prefix }));
      await Promise.all(nodes.map((node) => node.start()));
      await Promise.all(nodes.map((node) => node.connected()));
    });

    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
    });

    afterAll(() => {
      for (const node of nodes) node.kill();
    });

    const joinNode = (node: RedisNode, topics: string[]) => join(node, topics, clients);

    test('every client on every process gets every publish exactly once, in per-publisher order', async () => {
      const news: Client[] = [];
      const other: Client[] = [];
      for (const node of nodes) {
        news.push(await joinNode(node, ['news']), await joinNode(node, ['news', 'sport']));
        other.push(await joinNode(node, ['other']));
      }
      await Promise.all(nodes.map((node) => node.subscribed('news')));
      const count = 300;
      // All three publish at once, every third message binary, each 200 bytes.
      await Promise.all(
        nodes.map((node, n) =>
          node.publish({ topic: 'news', publisher: `p${n}`, count, binaryEvery: 3, padding: 200 }),
        ),
      );
      const total = 3 * count;
      await until(
        () => news.every((client) => client.received.length >= total),
        'every news client to get 900 messages',
      );
      await sleep(300); // a duplicate would arrive by now
      for (const client of news) {
        expect(checkExactlyOnce(client.received, { p0: count, p1: count, p2: count }, 3)).toEqual([]);
        expect(client.received.every((message) => message.data.length === 200)).toBe(true);
      }
      for (const client of other) expect(client.received).toEqual([]);
    });

    test('a 1 MiB message, text and binary, arrives byte for byte', async () => {
      const receivers = await Promise.all(nodes.map((node) => joinNode(node, ['big'])));
      await Promise.all(nodes.map((node) => node.subscribed('big')));
      const size = 1024 * 1024;
      await nodes[1].publish({ topic: 'big', publisher: 'big', count: 2, binaryEvery: 2, padding: size });
      await until(() => receivers.every((client) => client.received.length >= 2), 'the big messages');
      await sleep(200);
      for (const client of receivers) {
        expect(checkExactlyOnce(client.received, { big: 2 }, 2)).toEqual([]);
        for (const message of client.received) {
          expect(message.data.length).toBe(size);
          expect(message.data.endsWith('...')).toBe(true);
        }
      }
    });

    if (mode === 'pubsub') {
      test('a process SUBSCRIBEs only to topics it has subscribers for, and UNSUBSCRIBEs when the last leaves', async () => {
        const channel = `${prefix}solo`;
        const numsub = async () => Number(((await inspector.pubsub('NUMSUB', channel)) as [string, number])[1]);
        expect(await numsub()).toBe(0);
        const first = await joinNode(nodes[0], ['solo']);
        const second = await joinNode(nodes[0], ['solo']);
        await nodes[0].subscribed('solo');
        // One subscription for the process, however many local subscribers; none from the others.
        expect(await numsub()).toBe(1);
        const elsewhere = await joinNode(nodes[2], ['solo']);
        await nodes[2].subscribed('solo');
        expect(await numsub()).toBe(2);
        first.close();
        await sleep(200);
        expect(await numsub()).toBe(2);
        second.close();
        elsewhere.close();
        await until(async () => (await numsub()) === 0, 'the channel to be unsubscribed');
        const channels = (await inspector.pubsub('CHANNELS', `${prefix}*`)) as string[];
        expect(channels).not.toContain(channel);
      });
    } else {
      test('each topic is one stream, trimmed near maxLen', async () => {
        const receiver = await joinNode(nodes[0], ['trim']);
        await nodes[0].subscribed('trim');
        await nodes[1].publish({ topic: 'trim', publisher: 't', count: 50 });
        await until(() => receiver.received.length >= 50, 'the 50 entries');
        expect(await inspector.type(`${prefix}s:trim`)).toBe('stream');
        expect(await inspector.xlen(`${prefix}s:trim`)).toBe(50);
      });
    }

    test('server.close() ends the Redis connections and the process exits by itself', async () => {
      const names = async () =>
        String(await inspector.client('LIST'))
          .split('\n')
          .filter((line) => line.includes('name=ws-redis'));
      const before = (await names()).length;
      const node = await new RedisNode({ url: redis.url, mode, prefix }).start();
      await until(async () => (await names()).length === before + 2, 'the new process to open its two connections');
      expect(await node.close()).toBe(0);
      await until(async () => (await names()).length === before, 'its connections to be gone from CLIENT LIST');
    });
  });
});
