/**
 * Runs in a child process started by nodes.ts: a @ws/core server with the Redis adapter, the
 * way an application runs it, one per "machine" of a multi-process test.
 *
 *   argv[2]  RedisAdapterOptions as JSON
 *   argv[3]  { listenErrors?: boolean }: without it, no `error` listener at all (a failure must
 *            not crash a process that does not listen)
 *
 * A client joins topics with its URL: `ws://host:port/?topics=a,b`.
 *
 * IPC: sends { type: 'listening', port } once bound; answers { id, command, ... } with { id, ... }:
 * - connected: once every connection to Redis is up
 * - subscribed { topic }: once the adapter has the topic's subscription in Redis
 * - publish { topic, publisher, from, count, binaryEvery?, padding? }: `count` publishes of
 *   `<publisher>:<i>` (every `binaryEvery`-th as binary, padded to `padding` bytes with '.')
 * - stats: drop reports, event counts, whether connected, connections open
 * - close: `server.close()`, then lets go of the IPC channel: the process must exit by itself
 */
import { Server, type Connection } from '@ws/core';
import { redisAdapter, type DropReport, type RedisAdapterOptions } from '@ws/redis';

interface Command {
  id: number;
  command: 'connected' | 'subscribed' | 'publish' | 'stats' | 'close';
  topic?: string;
  publisher?: string;
  from?: number;
  count?: number;
  binaryEvery?: number;
  padding?: number;
}

const adapterOptions = JSON.parse(process.argv[2] ?? '{}') as RedisAdapterOptions;
const flags = JSON.parse(process.argv[3] ?? '{}') as { listenErrors?: boolean };

const plugin = redisAdapter(adapterOptions);
const dropped: DropReport[] = [];
const events = { error: 0, disconnect: 0, reconnect: 0, reset: 0 };
plugin.on('dropped', (report) => dropped.push(report));
plugin.on('disconnect', () => events.disconnect++);
plugin.on('reconnect', () => events.reconnect++);
plugin.on('reset', () => events.reset++);
if (flags.listenErrors === true) plugin.on('error', () => events.error++);

const server = new Server({ host: '127.0.0.1', port: 0, plugins: [plugin] });
server.on('error', () => undefined);
server.on('connection', (connection: Connection) => {
  const topics = new URL(connection.url, 'http://localhost').searchParams.get('topics');
  for (const topic of topics ? topics.split(',') : []) connection.subscribe(topic);
});
server.on('listening', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

function publish(message: Command): void {
  const { topic, publisher, from = 0, count = 1, binaryEvery = 0, padding = 0 } = message;
  for (let i = from; i < from + count; i++) {
    const text = `${publisher}:${i}`;
    const body = padding > text.length ? text + ':' + '.'.repeat(padding - text.length - 1) : text;
    if (binaryEvery > 0 && i % binaryEvery === 0) server.publish(topic!, Buffer.from(body), { binary: true });
    else server.publish(topic!, body);
  }
}

process.on('message', (message: Command) => {
  const reply = (body: object = {}) => process.send?.({ id: message.id, ...body });
  const adapter = plugin.adapterOf(server);
  switch (message.command) {
    case 'connected':
      void adapter?.whenConnected().then(() => reply());
      break;
    case 'subscribed':
      void adapter?.whenSubscribed(message.topic!).then(() => reply());
      break;
    case 'publish':
      publish(message);
      reply();
      break;
    case 'stats':
      reply({ dropped, events, connected: adapter?.isConnected ?? false, clients: server.clients.size });
      break;
    case 'close':
      void server.close();
      reply();
      // With the IPC channel gone, only the server and Redis connections could keep us alive.
      process.disconnect();
      break;
  }
});
