/**
 * A server process for cross-process.js: @ws/core with the Redis adapter.
 *
 *   argv[2]  RedisAdapterOptions as JSON
 *
 * Clients join topic `bench` on connect. IPC: { type: 'listening', port } once bound;
 * { command: 'subscribed' } answers once the topic is subscribed in Redis;
 * { command: 'publish', count, size, rate? } publishes `count` binary messages of `size` bytes,
 * each starting with its send time (float64, ms since the epoch, sub-millisecond) and its index,
 * all at once in chunks or at `rate` per second; answers { done } when the last was handed over.
 */
import { performance } from 'node:perf_hooks';
import { Server } from '@ws/core';
import { redisAdapter, type RedisAdapterOptions } from '@ws/redis';

const plugin = redisAdapter(JSON.parse(process.argv[2] ?? '{}') as RedisAdapterOptions);
let dropped = 0;
plugin.on('dropped', (report) => (dropped += report.messages));
const server = new Server({ host: '127.0.0.1', port: 0, plugins: [plugin] });
server.on('connection', (connection) => connection.subscribe('bench'));
server.on('listening', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

const now = () => performance.timeOrigin + performance.now();

function publishOne(index: number, size: number): void {
  const message = Buffer.alloc(size);
  message.writeDoubleLE(now(), 0);
  message.writeUInt32LE(index, 8);
  server.publish('bench', message, { binary: true });
}

process.on('message', (message: { command: string; count?: number; size?: number; rate?: number }) => {
  if (message.command === 'subscribed') {
    void plugin
      .adapterOf(server)!
      .whenSubscribed('bench')
      .then(() => process.send?.({ type: 'subscribed' }));
  } else if (message.command === 'publish') {
    const { count = 0, size = 64, rate } = message;
    let index = 0;
    // At full speed: chunks of 100 per turn, so replies and I/O interleave. Rate-limited: one
    // chunk per millisecond tick, sized to the rate.
    const perTurn = rate === undefined ? 100 : Math.max(1, Math.round(rate / 1000));
    const step = () => {
      for (let i = 0; i < perTurn && index < count; i++) publishOne(index++, size);
      if (index < count) {
        if (rate === undefined) setImmediate(step);
        else setTimeout(step, 1);
      } else process.send?.({ type: 'done', dropped });
    };
    step();
  } else if (message.command === 'exit') {
    void server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
