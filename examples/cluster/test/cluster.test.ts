/**
 * The chat cluster over real sockets: three worker processes and a redis-server started by
 * startCluster, `ws` clients on different workers. What one process's room publishes reaches
 * every page wherever it is connected; ids are unique across processes; a close on one process
 * is announced on the others. Skipped (with a message) without redis-server, failing under CI=true.
 */
import { ChatClient } from '../../chat/test/helpers/chat-client';
import { describeWithRedis } from '../../../packages/redis/test/helpers/redis-server';
import { startCluster, type ClusterHandle } from '../src/cluster';

/** Worker processes transpile their sources on a first run (cached after): a loaded machine needs time. */
const STARTUP_MS = 90_000;

describeWithRedis('the chat cluster', () => {
  let cluster: ClusterHandle;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ workers: 3, port: 0 });
  }, STARTUP_MS);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(() => cluster?.close());

  async function joinOn(worker: number, name: string): Promise<ChatClient> {
    const client = await ChatClient.join(cluster.workers[worker].wsUrl, name);
    clients.push(client);
    return client;
  }

  it('runs each worker in a process of its own, named in its welcome', async () => {
    const pids = cluster.workers.map((worker) => worker.pid);
    expect(new Set(pids).size).toBe(3);
    expect(pids).not.toContain(process.pid);
    for (const worker of cluster.workers) {
      const { client, welcome } = await ChatClient.connect(worker.wsUrl);
      clients.push(client);
      expect(welcome.server).toEqual({ name: `worker ${worker.index}`, pid: worker.pid });
    }
  });

  it('hands out ids that are unique across the processes', async () => {
    const ids: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (const worker of cluster.workers) {
        const { client, welcome } = await ChatClient.connect(worker.wsUrl);
        clients.push(client);
        ids.push(welcome.id);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('delivers a message posted on one process to the participants of every process, once', async () => {
    const [ada, grace, linus] = [await joinOn(0, 'ada'), await joinOn(1, 'grace'), await joinOn(2, 'linus')];
    // Each join was published from its own process: seeing the last one everywhere means every
    // worker is subscribed to the room on Redis.
    for (const client of [ada, grace]) await client.nextWhere('join', (event) => event.user.name === 'linus');
    grace.send({ type: 'message', text: 'hello from worker 2' });
    for (const client of [ada, grace, linus]) {
      const event = await client.nextWhere('message', (e) => e.text === 'hello from worker 2');
      expect(event.user.name).toBe('grace');
    }
    // Once, not twice: a marker posted after it arrives with no second copy before it.
    grace.send({ type: 'message', text: 'marker' });
    for (const client of [ada, linus]) {
      await client.nextWhere('message', (e) => e.text === 'marker');
      expect(client.pending().filter((item) => item.kind === 'event' && item.event.type === 'message')).toEqual([]);
    }
  });

  it('carries binary messages across processes, after their header', async () => {
    const ada = await joinOn(0, 'ada');
    const grace = await joinOn(2, 'grace');
    await ada.nextWhere('join', (event) => event.user.name === 'grace');
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    ada.ws.send(bytes);
    const header = await grace.next('binary');
    expect(header.size).toBe(bytes.length);
    expect(await grace.nextBinary()).toEqual(bytes);
  });

  it('announces on the other processes a participant whose connection closed', async () => {
    const ada = await joinOn(0, 'ada');
    const grace = await joinOn(1, 'grace');
    await ada.nextWhere('join', (event) => event.user.name === 'grace');
    await grace.close();
    const left = await ada.nextWhere('leave', (event) => event.user.name === 'grace');
    expect(left.user.name).toBe('grace');
  });
});
