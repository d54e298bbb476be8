/**
 * One process of the cluster (forked by cluster.ts): the room of examples/chat on its own port,
 * joined to the other processes through Redis. The room publishes every event on its topic; the
 * adapter carries each publish to the others, which deliver it to their own subscribers.
 *
 * Configured by the environment: CLUSTER_WORKER (1…N), CLUSTER_WORKERS (N), CLUSTER_HOST,
 * CLUSTER_PORT (0: a free one), REDIS_URL. Reports `{ type: 'listening', url, port, pid }` over IPC.
 */
import { redisAdapter } from '@ws/redis';
import { startChat } from '../../chat/src/chat-server';

function numberFrom(name: string): number {
  const value = Number(process.env[name]);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, not ${process.env[name]}`);
  return value;
}

async function main(): Promise<void> {
  const index = numberFrom('CLUSTER_WORKER');
  const name = `worker ${index}`;
  const chat = await startChat({
    host: process.env.CLUSTER_HOST || '127.0.0.1',
    port: numberFrom('CLUSTER_PORT'),
    plugins: [redisAdapter({ url: process.env.REDIS_URL })],
    identity: { name, pid: process.pid },
    // Worker i hands out i, i + N, i + 2N, …: ids stay unique across the cluster.
    ids: { first: index, step: numberFrom('CLUSTER_WORKERS') },
    log: (line) => console.log(`[${name}] ${line}`),
  });
  process.send?.({ type: 'listening', url: chat.url, port: chat.port, pid: process.pid });

  const stop = (): void => void chat.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The launcher went away without stopping us (it crashed): do not linger.
  process.once('disconnect', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
