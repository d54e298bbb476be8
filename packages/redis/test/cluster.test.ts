/**
 * Sharded pub/sub on a real local Redis Cluster of three masters (started here with
 * `redis-server --cluster-enabled yes` on three free ports and joined with `redis-cli --cluster
 * create`): three server processes, topics spread over the shards, every client gets every
 * publish exactly once, in per-publisher order, and each channel lives on the shard that owns it.
 */
import { Redis } from 'ioredis';
import { checkExactlyOnce, type Client, join, RedisNode, sleep, until } from './helpers/nodes';
import { describeWithRedis, RedisCluster } from './helpers/redis-server';

jest.setTimeout(120_000);

describeWithRedis('@ws/redis on a Redis Cluster (sharded pub/sub)', () => {
  let cluster: RedisCluster;
  let nodes: RedisNode[] = [];
  const clients: Client[] = [];
  const topics = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  const prefix = 'cl:';

  beforeAll(async () => {
    cluster = await new RedisCluster().start();
    const options = { cluster: { nodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) }, prefix };
    nodes = [0, 1, 2].map(() => new RedisNode(options));
    await Promise.all(nodes.map((node) => node.start()));
    await Promise.all(nodes.map((node) => node.connected()));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const node of nodes) node.kill();
    await cluster?.dispose();
  });

  const joinNode = (node: RedisNode, joined: string[]) => join(node, joined, clients);

  test('every client gets every publish exactly once, in per-publisher order; channels live on their shard', async () => {
    const receivers: Client[] = [];
    for (const node of nodes) receivers.push(await joinNode(node, topics));
    for (const node of nodes) for (const topic of topics) await node.subscribed(topic);

    // Each shard channel is subscribed on exactly one master: the one that owns its slot.
    const owners = new Set<number>();
    for (const topic of topics) {
      const holders: number[] = [];
      for (const port of cluster.ports) {
        const redis = new Redis(port, '127.0.0.1');
        const channels = (await redis.pubsub('SHARDCHANNELS')) as string[];
        redis.disconnect();
        if (channels.includes(prefix + topic)) holders.push(port);
      }
      expect(holders).toHaveLength(1);
      owners.add(holders[0]);
    }
    expect(owners.size).toBeGreaterThanOrEqual(2); // the topics really are spread over shards

    const count = 50;
    await Promise.all(
      nodes.flatMap((node, n) =>
        topics.map((topic) => node.publish({ topic, publisher: `${topic}-p${n}`, count, binaryEvery: 4 })),
      ),
    );
    const total = 3 * count * topics.length;
    await until(
      () => receivers.every((client) => client.received.length >= total),
      `${total} messages on every client`,
    );
    await sleep(300);
    const expected = Object.fromEntries(topics.flatMap((topic) => [0, 1, 2].map((n) => [`${topic}-p${n}`, count])));
    for (const client of receivers) {
      // Publisher names carry the topic: order is checked per publisher per topic (per shard).
      expect(checkExactlyOnce(client.received, expected, 4)).toEqual([]);
    }
  });

  test('a master killed and started again: its channels are subscribed again, delivery resumes', async () => {
    const receivers = [await joinNode(nodes[0], ['omega']), await joinNode(nodes[1], ['omega'])];
    await Promise.all([nodes[0].subscribed('omega'), nodes[1].subscribed('omega')]);
    const channel = `${prefix}omega`;
    const shardNumsub = async (port: number): Promise<number> => {
      const redis = new Redis(port, '127.0.0.1', { retryStrategy: () => null, maxRetriesPerRequest: 0 });
      redis.on('error', () => undefined);
      try {
        return Number(((await redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]);
      } catch {
        return -1;
      } finally {
        redis.disconnect();
      }
    };
    let owner = cluster.nodes[0];
    for (const node of cluster.nodes) if ((await shardNumsub(node.port)) === 2) owner = node;
    expect(await shardNumsub(owner.port)).toBe(2);

    await owner.kill();
    await sleep(500);
    await owner.start(owner.port); // same port, same nodes.conf: it owns the same slots, with no subscribers
    await cluster.waitForOk();
    // Nobody calls anything: both processes subscribe again by themselves.
    await until(async () => (await shardNumsub(owner.port)) === 2, 'both processes to subscribe again', 30_000);
    await nodes[2].publish({ topic: 'omega', publisher: 'after', count: 20 });
    await until(() => receivers.every((client) => client.received.length >= 20), 'delivery after the restart');
    await sleep(300);
    for (const client of receivers) expect(checkExactlyOnce(client.received, { after: 20 })).toEqual([]);
  });

  test('server.close() ends the cluster connections and the process exits by itself', async () => {
    const node = await new RedisNode({
      cluster: { nodes: [{ host: '127.0.0.1', port: cluster.ports[0] }] },
      prefix,
    }).start();
    await joinNode(node, ['alpha']);
    await node.subscribed('alpha');
    expect(await node.close()).toBe(0);
  });
});
